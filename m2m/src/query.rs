//! Typed queries: `Tag::query().filter(|c| c.name.eq("rust"))`.
//!
//! The derive generates, for each model, a struct of typed [`Column`]s (for
//! `Tag`, `TagColumns { id: Column<Tag, i64>, name: Column<Tag, String> }`).
//! Query closures receive it, so an unknown column or a value of the wrong
//! type does not compile. Values are always bound as parameters, never
//! spliced into the SQL text.

use std::marker::PhantomData;

use rusqlite::types::{ToSql, Value};

use crate::db::{Db, Session, Statements};
use crate::dialect::Param;
use crate::error::Op;
use crate::value::{RowReader, SqlValue};

use crate::def::RelationDef;
use crate::key::IntoKey;
use crate::relation::{Forward, Relation, Through};
use crate::{Error, Model, Result};

/// A relation of `Self` is used in a query on `M`: they must be one model.
/// (A bound rather than `Relation<M, ..>` in the signature, so the query
/// closure's type is still inferred from the relation's target, and the
/// mistake is one error in these words.)
#[diagnostic::on_unimplemented(
    message = "this relation belongs to `{Self}`, not to `{M}`",
    label = "a relation of `{Self}`, in a query on `{M}`",
    note = "a query on `{M}` takes a descriptor of `{M}`'s relations: `{M}::FIELD` for a relation declared on `{M}`, or the reverse descriptor that `related_name` generates on `{M}` for one declared on another model"
)]
#[doc(hidden)]
pub trait OwnedBy<M> {}
impl<M> OwnedBy<M> for M {}

/// The `T` of a bare `None` compared with a column: no value has this type.
#[derive(Debug)]
#[doc(hidden)]
pub enum NoValue {}

/// Never implemented: the bound that turns `c.body.eq(None)` into advice.
#[diagnostic::on_unimplemented(
    message = "a column is not compared with `None`: test for NULL with `.is_null()` or `.is_not_null()`",
    label = "compared with `None`",
    note = "in SQL, `column = NULL` is never true, whatever the column holds"
)]
#[doc(hidden)]
pub trait NotNull {}

/// A typed column of model `M` holding values of type `V` (for a nullable
/// `Option<V>` field, `V` is the inner type; test for NULL with
/// [`Column::is_null`]).
pub struct Column<M, V> {
    name: &'static str,
    _m: PhantomData<fn() -> (M, V)>,
}

impl<M, V> Clone for Column<M, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M, V> Copy for Column<M, V> {}
impl<M, V> std::fmt::Debug for Column<M, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

/// A value that can be compared with a column of type `V`: a `V`, a `&V`,
/// or `&str` / `&[u8]` for `String` / `Vec<u8>` columns. `None` is not one
/// (`column = NULL` is never true): `c.body.eq(None)` does not compile and
/// says to test for NULL with [`Column::is_null`] / [`Column::is_not_null`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be compared with a column of type `{V}`",
    label = "expected a `{V}` (or a reference to one) here"
)]
pub trait SqlArg<V> {
    /// The value as SQLite will receive it.
    fn to_value(&self) -> rusqlite::Result<Value>;
}

impl<V: ToSql> SqlArg<V> for V {
    fn to_value(&self) -> rusqlite::Result<Value> {
        crate::sqlite::to_value(self)
    }
}
impl<V: ToSql> SqlArg<V> for &V {
    fn to_value(&self) -> rusqlite::Result<Value> {
        crate::sqlite::to_value(*self)
    }
}
impl SqlArg<String> for &str {
    fn to_value(&self) -> rusqlite::Result<Value> {
        Ok(Value::Text((*self).to_owned()))
    }
}
impl SqlArg<Vec<u8>> for &[u8] {
    fn to_value(&self) -> rusqlite::Result<Value> {
        Ok(Value::Blob(self.to_vec()))
    }
}
#[doc(hidden)]
/// Only so that `c.body.eq(None)` infers this impl and reports, through its
/// unmeetable bound, to test for NULL with `is_null()` (`= NULL` is never true).
impl<V: NotNull> SqlArg<V> for Option<NoValue> {
    fn to_value(&self) -> rusqlite::Result<Value> {
        Ok(Value::Null)
    }
}

/// A condition on rows of `M`, built from [`Column`] methods and combined
/// with [`Expr::and`], [`Expr::or`] and [`Expr::not`].
pub struct Expr<M> {
    pub(crate) render: Render,
    pub(crate) error: Option<rusqlite::Error>,
    _m: PhantomData<fn() -> M>,
}

/// SQL a dialect writes when the query runs, pushing its parameters in the
/// order it writes them: conditions are kept as how to write them, so one
/// query runs on any backend.
pub(crate) type Render = Box<dyn Fn(&dyn Statements, &mut Vec<Param>) -> String + Send + Sync>;

impl<M> std::fmt::Debug for Expr<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut params = Vec::new();
        let sql = (self.render)(&crate::sqlite::Sqlite, &mut params);
        f.debug_struct("Expr")
            .field("sql", &sql)
            .field("params", &params)
            .finish()
    }
}

impl<M> Expr<M> {
    fn new(render: Render, error: Option<rusqlite::Error>) -> Self {
        Expr {
            render,
            error,
            _m: PhantomData,
        }
    }
    fn join(self, and: bool, other: Expr<M>) -> Self {
        let (a, b) = (self.render, other.render);
        Expr::new(
            Box::new(move |d, p| {
                let a = a(d, p);
                d.join(&a, and, &b(d, p))
            }),
            self.error.or(other.error),
        )
    }
    /// Both conditions hold.
    pub fn and(self, other: Expr<M>) -> Self {
        self.join(true, other)
    }
    /// Either condition holds.
    pub fn or(self, other: Expr<M>) -> Self {
        self.join(false, other)
    }
    /// The condition does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        let a = self.render;
        Expr::new(Box::new(move |d, p| d.not(&a(d, p))), self.error)
    }
}

/// One `ORDER BY` term: `c.name.asc()`.
pub struct Order<M> {
    table: &'static str,
    column: &'static str,
    ascending: bool,
    _m: PhantomData<fn() -> M>,
}

impl<M> Order<M> {
    fn render(&self, d: &dyn Statements) -> String {
        d.order(&d.column(self.table, self.column), self.ascending)
    }
}

impl<M> std::fmt::Debug for Order<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Order({})", self.render(&crate::sqlite::Sqlite))
    }
}

impl<M: Model, V> Column<M, V> {
    #[doc(hidden)]
    pub const fn __new(name: &'static str) -> Self {
        Column {
            name,
            _m: PhantomData,
        }
    }

    /// The column's SQL name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// A value refused as a parameter (a NaN) is the expression's error.
    fn checked(self, value: rusqlite::Result<Value>) -> (Value, Option<rusqlite::Error>) {
        let value =
            value.and_then(|v| crate::sqlite::check_value(self.name, (&v).into()).map(|()| v));
        match value {
            Ok(v) => (v, None),
            Err(e) => (Value::Null, Some(e)),
        }
    }

    fn compare(self, op: &'static str, value: rusqlite::Result<Value>) -> Expr<M> {
        let (table, name) = (M::TABLE.name, self.name);
        let (v, error) = self.checked(value);
        Expr::new(
            Box::new(move |d, p| d.compare(&d.column(table, name), op, &v, p)),
            error,
        )
    }

    fn null(self, null: bool) -> Expr<M> {
        let (table, name) = (M::TABLE.name, self.name);
        Expr::new(
            Box::new(move |d, _| d.is_null(&d.column(table, name), null)),
            None,
        )
    }

    /// `column = value`
    pub fn eq(self, value: impl SqlArg<V>) -> Expr<M> {
        self.compare("=", value.to_value())
    }
    /// `column <> value`
    pub fn ne(self, value: impl SqlArg<V>) -> Expr<M> {
        self.compare("<>", value.to_value())
    }
    /// `column < value`
    pub fn lt(self, value: impl SqlArg<V>) -> Expr<M> {
        self.compare("<", value.to_value())
    }
    /// `column <= value`
    pub fn le(self, value: impl SqlArg<V>) -> Expr<M> {
        self.compare("<=", value.to_value())
    }
    /// `column > value`
    pub fn gt(self, value: impl SqlArg<V>) -> Expr<M> {
        self.compare(">", value.to_value())
    }
    /// `column >= value`
    pub fn ge(self, value: impl SqlArg<V>) -> Expr<M> {
        self.compare(">=", value.to_value())
    }
    /// `column IS NULL`
    pub fn is_null(self) -> Expr<M> {
        self.null(true)
    }
    /// `column IS NOT NULL`
    pub fn is_not_null(self) -> Expr<M> {
        self.null(false)
    }
    /// `column IN (values...)`; an empty list matches no row. Any number of
    /// values, of any type (they travel as one JSON array parameter).
    pub fn in_<A: SqlArg<V>>(self, values: impl IntoIterator<Item = A>) -> Expr<M> {
        let (table, name) = (M::TABLE.name, self.name);
        let mut list = Vec::new();
        let mut error = None;
        for v in values {
            let (v, e) = self.checked(v.to_value());
            match e {
                None => list.push(v),
                Some(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        if list.is_empty() {
            // An empty list names nothing, never everything.
            return Expr::new(Box::new(|d, _| d.nothing()), error);
        }
        Expr::new(
            Box::new(move |d, p| d.in_list(&d.column(table, name), &list, p)),
            error,
        )
    }

    /// Ascending order on this column.
    pub fn asc(self) -> Order<M> {
        self.order(true)
    }
    /// Descending order on this column.
    pub fn desc(self) -> Order<M> {
        self.order(false)
    }

    fn order(self, ascending: bool) -> Order<M> {
        Order {
            table: M::TABLE.name,
            column: self.name,
            ascending,
            _m: PhantomData,
        }
    }
}

impl<M: Model> Column<M, String> {
    /// `column LIKE pattern` (SQLite's `%` and `_` wildcards, ASCII case-insensitive).
    pub fn like(self, pattern: impl SqlArg<String>) -> Expr<M> {
        self.compare("LIKE", pattern.to_value())
    }
}

/// A relation whose owner has a `ManyToMany` field for it: the declared
/// side (`Article::TAGS`), which [`Query::prefetch`] can fill.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `ManyToMany` field on `{M}` for `Query::prefetch` to fill",
    label = "a reverse relation",
    note = "prefetch the reverse side with `Relation::prefetch(&conn, &rows)`, which returns the targets grouped by owner"
)]
pub trait SlotRelation<M, T, P> {
    #[doc(hidden)]
    fn relation(self) -> Relation<M, T, P, Forward>;
}

impl<M: Model, T: Model, P: Through> SlotRelation<M, T, P> for Relation<M, T, P, Forward> {
    fn relation(self) -> Relation<M, T, P, Forward> {
        self
    }
}

/// An eager load run on the fetched rows (`Send + Sync`, so a query can be
/// built on one thread and run on another).
type Step<M> = Box<dyn Fn(Session<'_>, &mut [M]) -> Result<()> + Send + Sync>;

/// A query on the rows of `M`: `Tag::query()`, or `article.tags().filter(..)`
/// for the rows related to one owner.
pub struct Query<M> {
    /// Conditions that all must hold, written when the query runs.
    conditions: Vec<Render>,
    /// The first error met while building (a value that failed to convert).
    error: Option<Error>,
    order: Vec<Order<M>>,
    limit: Option<u64>,
    offset: Option<u64>,
    /// Eager loads run on the fetched rows.
    steps: Vec<Step<M>>,
}

impl<M: Model> Query<M> {
    pub(crate) fn new() -> Self {
        Query {
            conditions: Vec::new(),
            error: None,
            order: Vec::new(),
            limit: None,
            offset: None,
            steps: Vec::new(),
        }
    }

    /// A query limited to one owner's targets through `def`: the rows of a
    /// relation query (`article.tags().query()`).
    pub(crate) fn scoped<O: Model>(def: &'static RelationDef, owner: &O::Pk) -> Self {
        let mut q = Self::new();
        let owner = q.key_value::<O>(owner);
        q.conditions
            .push(Box::new(move |d, p| d.scope(def, &owner, p)));
        q
    }

    /// A query limited to one owner's targets whose through row meets `cond`.
    pub(crate) fn pivot_scoped<O: Model, P>(
        def: &'static RelationDef,
        owner: &O::Pk,
        cond: Expr<P>,
    ) -> Self {
        let mut q = Self::new();
        let owner = q.key_value::<O>(owner);
        if let Some(e) = cond.error {
            q.error
                .get_or_insert(Error::sqlite(Op::new(def.name, "filter_pivot"), e));
        }
        let cond = cond.render;
        q.conditions.push(Box::new(move |d, p| {
            d.pivot_scope(def, &|cp| cond(d, cp), &owner, p)
        }));
        q
    }

    /// A key as a parameter value; a key that cannot be converted is the
    /// query's error when it runs, never a query that finds no rows.
    pub(crate) fn key_value<O: Model>(&mut self, key: &O::Pk) -> Value {
        match crate::sqlite::to_value(key) {
            Ok(v) => v,
            Err(e) => {
                self.error
                    .get_or_insert(Error::sqlite(Op::new(O::TABLE.model, "key"), e));
                Value::Null
            }
        }
    }

    pub(crate) fn unsaved(mut self, model: &'static str) -> Self {
        self.error.get_or_insert(Error::Unsaved {
            model,
            action: "using its relations",
        });
        self
    }

    /// The condition of `e`; its error, if any, is the query's.
    fn take_expr<T>(&mut self, e: Expr<T>) -> Render {
        if let Some(err) = e.error {
            self.error
                .get_or_insert(Error::sqlite(Op::new(M::TABLE.model, "query value"), err));
        }
        e.render
    }

    /// Keeps the rows for which the condition holds; several calls all must hold.
    pub fn filter(mut self, f: impl FnOnce(&M::Columns) -> Expr<M>) -> Self {
        let cond = self.take_expr(f(&M::COLUMNS));
        self.conditions.push(cond);
        self
    }

    fn related<O: Model, T: Model, P, D>(
        mut self,
        rel: Relation<O, T, P, D>,
        f: impl FnOnce(&T::Columns) -> Expr<T>,
        negate: bool,
    ) -> Self
    where
        P: Through,
    {
        let cond = self.take_expr(f(&T::COLUMNS));
        let def = rel.def();
        self.conditions.push(Box::new(move |d, p| {
            let owners = d.owners_where(def, &|cp| cond(d, cp), p);
            d.key_in(M::TABLE, negate, &owners)
        }));
        self
    }

    /// Keeps the rows linked through `rel` to at least one target for which
    /// the condition holds (each row once):
    /// `Article::query().filter_related(Article::TAGS, |c| c.name.eq("rust"))`.
    pub fn filter_related<O: Model + OwnedBy<M>, T: Model, P: Through, D>(
        self,
        rel: Relation<O, T, P, D>,
        f: impl FnOnce(&T::Columns) -> Expr<T>,
    ) -> Self {
        self.related(rel, f, false)
    }

    /// Keeps the rows linked through `rel` to no target for which the
    /// condition holds (rows with no links at all included).
    pub fn exclude_related<O: Model + OwnedBy<M>, T: Model, P: Through, D>(
        self,
        rel: Relation<O, T, P, D>,
        f: impl FnOnce(&T::Columns) -> Expr<T>,
    ) -> Self {
        self.related(rel, f, true)
    }

    fn linked<O: Model, T: Model, P: Through, D, K: IntoKey<T>>(
        mut self,
        rel: Relation<O, T, P, D>,
        targets: impl IntoIterator<Item = K>,
        all: bool,
    ) -> Self {
        let mut keys: Vec<T::Pk> = targets
            .into_iter()
            .map(|k| k.into_key().into_inner())
            .collect();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            // An empty list names nothing, never everything.
            self.conditions.push(Box::new(|d, _| d.nothing()));
            return self;
        }
        let keys: Vec<Value> = keys.iter().map(|k| self.key_value::<T>(k)).collect();
        let def = rel.def();
        self.conditions.push(Box::new(move |d, p| {
            let owners = d.owners_linked(def, &keys, all, p);
            d.key_in(M::TABLE, false, &owners)
        }));
        self
    }

    /// Keeps the rows linked through `rel` to at least one of the targets.
    /// An empty list keeps no row.
    pub fn linked_to_any<O: Model + OwnedBy<M>, T: Model, P: Through, D, K: IntoKey<T>>(
        self,
        rel: Relation<O, T, P, D>,
        targets: impl IntoIterator<Item = K>,
    ) -> Self {
        self.linked(rel, targets, false)
    }

    /// Keeps the rows linked through `rel` to every one of the targets
    /// (articles tagged both `rust` and `sqlite`). An empty list keeps no row.
    pub fn linked_to_all<O: Model + OwnedBy<M>, T: Model, P: Through, D, K: IntoKey<T>>(
        self,
        rel: Relation<O, T, P, D>,
        targets: impl IntoIterator<Item = K>,
    ) -> Self {
        self.linked(rel, targets, true)
    }

    /// Also loads `rel`'s targets of every fetched row, in one more statement
    /// whatever the number of rows, into the rows' `ManyToMany` fields
    /// (`article.tags.get()`). Several relations may be prefetched. Only a
    /// declared relation has such a field; load a reverse one with
    /// [`Relation::prefetch`].
    pub fn prefetch<T: Model, P: Through>(mut self, rel: impl SlotRelation<M, T, P>) -> Self {
        let rel = rel.relation();
        self.steps
            .push(Box::new(move |s: Session<'_>, rows: &mut [M]| {
                let Some(slot) = rel.slot() else {
                    return Ok(());
                };
                let mut loaded = rel.load(s, rows.iter())?;
                for row in rows.iter_mut() {
                    let targets = loaded.take(&*row);
                    slot(row).fill(targets);
                }
                Ok(())
            }));
        self
    }

    /// Orders by a column; later calls break ties of earlier ones. Without
    /// any, rows come in key order.
    pub fn order_by(mut self, f: impl FnOnce(&M::Columns) -> Order<M>) -> Self {
        self.order.push(f(&M::COLUMNS));
        self
    }

    /// At most `n` rows. A limit past what SQLite counts (`i64::MAX`, e.g.
    /// `u64::MAX`) means no limit.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = i64::try_from(n).is_ok().then_some(n);
        self
    }

    /// Skips the first `n` rows. An offset past what SQLite counts skips
    /// every row.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n.min(i64::MAX as u64));
        self
    }

    /// Each row with its number of links through `rel`, in one statement
    /// (rows with no links count 0).
    pub fn with_count<O: Model + OwnedBy<M>, T: Model, P: Through, D>(
        self,
        rel: Relation<O, T, P, D>,
    ) -> WithCount<M> {
        WithCount {
            query: self,
            count: rel.def(),
        }
    }

    /// The error met while building the query, as its own variant.
    fn check(&self) -> Result<()> {
        match &self.error {
            None => Ok(()),
            Some(Error::Unsaved { model, action }) => Err(Error::Unsaved { model, action }),
            Some(Error::InvalidValue {
                context,
                column,
                reason,
            }) => Err(Error::InvalidValue {
                context: context.clone(),
                column,
                reason,
            }),
            Some(e) => Err(Error::Conversion {
                context: format!("{}: query", M::TABLE.model),
                message: e.to_string(),
            }),
        }
    }

    /// The statement selecting `what` (`None`: the model's columns) from the
    /// matching rows, in `d`'s dialect, and its parameters.
    fn select_sql(
        &self,
        d: &dyn Statements,
        what: Option<&str>,
        ordered: bool,
        limit: Option<u64>,
    ) -> Result<(String, Vec<Param>)> {
        self.check()?;
        let mut params = Vec::new();
        let conditions: Vec<String> = self.conditions.iter().map(|c| c(d, &mut params)).collect();
        let order: Vec<String> = self.order.iter().map(|o| o.render(d)).collect();
        let text = d.select(
            M::TABLE,
            what.unwrap_or_else(|| d.select_list(M::TABLE)),
            &conditions,
            ordered.then_some(order.as_slice()),
            limit,
            self.offset,
        );
        Ok((text, params))
    }

    fn load(&self, s: Session<'_>, limit: Option<u64>, op: &'static str) -> Result<Vec<M>> {
        let (text, params) = self.select_sql(s.sql(), None, true, limit)?;
        let mut rows = s
            .rows(&text, &as_params(&params), |row| M::__from_row(row, 0))
            .map_err(Op::new(M::TABLE.model, op).fail())?;
        for step in &self.steps {
            step(s, &mut rows)?;
        }
        Ok(rows)
    }

    /// All matching rows.
    pub fn fetch_all(&self, conn: &impl Db) -> Result<Vec<M>> {
        self.load(conn.__session(), self.limit, "fetch_all")
    }

    /// The first matching row.
    pub fn fetch_one(&self, conn: &impl Db) -> Result<Option<M>> {
        let limit = Some(self.limit.map_or(1, |l| l.min(1)));
        Ok(self.load(conn.__session(), limit, "fetch_one")?.pop())
    }

    /// The number of matching rows (within `limit`/`offset` when set).
    pub fn count(&self, conn: &impl Db) -> Result<u64> {
        let s = conn.__session();
        let (inner, params) = self.select_sql(s.sql(), Some("1"), false, self.limit)?;
        let n: i64 = s
            .one(&s.sql().count_of(&inner), &as_params(&params))
            .map_err(Op::new(M::TABLE.model, "count").fail())?;
        Ok(n.max(0) as u64)
    }

    /// True when at least one row matches.
    pub fn exists(&self, conn: &impl Db) -> Result<bool> {
        let limit = Some(self.limit.map_or(1, |l| l.min(1)));
        let s = conn.__session();
        let (inner, params) = self.select_sql(s.sql(), Some("1"), false, limit)?;
        s.one(&s.sql().exists_of(&inner), &as_params(&params))
            .map_err(Op::new(M::TABLE.model, "exists").fail())
    }
}

impl<M> std::fmt::Debug for Query<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("conditions", &self.conditions.len())
            .field("order", &self.order)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .field("prefetches", &self.steps.len())
            .finish()
    }
}

/// A query whose rows come with their number of links through one relation:
/// `Article::query().with_count(Article::TAGS)`.
pub struct WithCount<M> {
    query: Query<M>,
    count: &'static RelationDef,
}

impl<M: Model> WithCount<M> {
    /// Every matching row with its link count, in one statement (plus one per
    /// prefetch).
    pub fn fetch_all(&self, conn: &impl Db) -> Result<Vec<(M, u64)>> {
        let s = conn.__session();
        let d = s.sql();
        let what = format!(
            "{}, {}",
            d.select_list(M::TABLE),
            d.count_column(self.count)
        );
        let (text, params) = self
            .query
            .select_sql(d, Some(&what), true, self.query.limit)?;
        let width = M::TABLE.columns.len();
        let rows = s
            .rows(&text, &as_params(&params), |row| {
                let n: i64 = row.get(width)?;
                Ok((M::__from_row(row, 0)?, n.max(0) as u64))
            })
            .map_err(Op::new(M::TABLE.model, "with_count").fail())?;
        let (mut models, counts): (Vec<M>, Vec<u64>) = rows.into_iter().unzip();
        for step in &self.query.steps {
            step(s, &mut models)?;
        }
        Ok(models.into_iter().zip(counts).collect())
    }
}

impl<M> std::fmt::Debug for WithCount<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithCount")
            .field("query", &self.query)
            .field("count", &self.count.name)
            .finish()
    }
}

/// Values as the statement's parameters.
fn as_params(values: &[Param]) -> Vec<&dyn SqlValue> {
    values.iter().map(Param::as_sql).collect()
}
