//! Typed queries: `Tag::query().filter(|c| c.name.eq("rust"))`.
//!
//! The derive generates, for each model, a struct of typed [`Column`]s (for
//! `Tag`, `TagColumns { id: Column<Tag, i64>, name: Column<Tag, String> }`).
//! Query closures receive it, so an unknown column or a value of the wrong
//! type does not compile. Values are always bound as parameters, never
//! spliced into the SQL text.

use std::marker::PhantomData;

use rusqlite::types::{ToSql, Value};

use crate::db::{Db, Session};
use crate::error::Op;
use crate::sqlite::sql;
use crate::value::{RowReader, SqlValue};

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
    pub(crate) sql: String,
    pub(crate) params: Vec<Value>,
    pub(crate) error: Option<rusqlite::Error>,
    _m: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for Expr<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expr")
            .field("sql", &self.sql)
            .field("params", &self.params)
            .finish()
    }
}

impl<M> Expr<M> {
    fn new(sql: String, params: Vec<Value>, error: Option<rusqlite::Error>) -> Self {
        Expr {
            sql,
            params,
            error,
            _m: PhantomData,
        }
    }
    fn join(mut self, op: sql::Join, other: Expr<M>) -> Self {
        self.sql = sql::join(&self.sql, op, &other.sql);
        self.params.extend(other.params);
        self.error = self.error.or(other.error);
        self
    }
    /// Both conditions hold.
    pub fn and(self, other: Expr<M>) -> Self {
        self.join(sql::Join::And, other)
    }
    /// Either condition holds.
    pub fn or(self, other: Expr<M>) -> Self {
        self.join(sql::Join::Or, other)
    }
    /// The condition does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(mut self) -> Self {
        self.sql = sql::not(&self.sql);
        self
    }
}

/// One `ORDER BY` term: `c.name.asc()`.
pub struct Order<M> {
    pub(crate) sql: String,
    _m: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for Order<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Order({})", self.sql)
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

    fn qualified(&self) -> String {
        sql::column(M::TABLE.name, self.name)
    }

    fn compare(self, op: &str, value: rusqlite::Result<Value>) -> Expr<M> {
        let sql = sql::compare(&self.qualified(), op);
        let value =
            value.and_then(|v| crate::sqlite::check_value(self.name, (&v).into()).map(|()| v));
        match value {
            Ok(v) => Expr::new(sql, vec![v], None),
            Err(e) => Expr::new(sql, vec![Value::Null], Some(e)),
        }
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
        Expr::new(sql::is_null(&self.qualified(), true), Vec::new(), None)
    }
    /// `column IS NOT NULL`
    pub fn is_not_null(self) -> Expr<M> {
        Expr::new(sql::is_null(&self.qualified(), false), Vec::new(), None)
    }
    /// `column IN (values...)`; an empty list matches no row. Any number of
    /// values, of any type (they travel as one JSON array parameter).
    pub fn in_<A: SqlArg<V>>(self, values: impl IntoIterator<Item = A>) -> Expr<M> {
        let mut list = sql::ListEncoder::new(self.name);
        let mut error = None;
        for v in values {
            if let Err(e) = v.to_value().and_then(|v| list.push_ref((&v).into())) {
                error.get_or_insert(e);
            }
        }
        if list.len() == 0 {
            return Expr::new(sql::NOTHING.to_owned(), Vec::new(), error);
        }
        let list = list.finish();
        let sql = sql::in_list(&self.qualified(), list.blobs);
        Expr::new(sql, vec![Value::Text(list.json)], error)
    }

    /// Ascending order on this column.
    pub fn asc(self) -> Order<M> {
        Order {
            sql: sql::order(&self.qualified(), true),
            _m: PhantomData,
        }
    }
    /// Descending order on this column.
    pub fn desc(self) -> Order<M> {
        Order {
            sql: sql::order(&self.qualified(), false),
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
    /// SQL conditions that all must hold, each with its parameters.
    conditions: Vec<(String, Vec<Value>)>,
    /// The first error met while building (a value that failed to convert).
    error: Option<Error>,
    order: Vec<String>,
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

    /// A query limited by `scope`, SQL whose parameters are the owner's
    /// key, `times` times: the rows of one owner's relation.
    pub(crate) fn scoped_by<O: Model>(scope: String, owner: &O::Pk, times: usize) -> Self {
        let mut q = Self::new();
        let owner = q.key_value::<O>(owner);
        q.conditions.push((scope, vec![owner; times]));
        q
    }

    /// Replaces the parameters of the scope (the first condition).
    pub(crate) fn with_scope_params(mut self, params: Vec<Value>) -> Self {
        if let Some(scope) = self.conditions.first_mut() {
            scope.1 = params;
        }
        self
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

    /// [`Query::key_value`] for the owner of a scoped query.
    pub(crate) fn owner_value<O: Model>(&mut self, key: &O::Pk) -> Value {
        self.key_value::<O>(key)
    }

    pub(crate) fn failed(mut self, error: Error) -> Self {
        self.error.get_or_insert(error);
        self
    }

    pub(crate) fn unsaved(mut self, model: &'static str) -> Self {
        self.error.get_or_insert(Error::Unsaved {
            model,
            action: "using its relations",
        });
        self
    }

    fn push_expr<T>(&mut self, e: Expr<T>) -> Option<(String, Vec<Value>)> {
        if let Some(err) = e.error {
            self.error
                .get_or_insert(Error::sqlite(Op::new(M::TABLE.model, "query value"), err));
        }
        Some((e.sql, e.params))
    }

    /// Keeps the rows for which the condition holds; several calls all must hold.
    pub fn filter(mut self, f: impl FnOnce(&M::Columns) -> Expr<M>) -> Self {
        if let Some(c) = self.push_expr(f(&M::COLUMNS)) {
            self.conditions.push(c);
        }
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
        let Some((cond, params)) = self.push_expr(f(&T::COLUMNS)) else {
            return self;
        };
        let (sub, times) = sql::owners_where(rel.def(), &cond);
        let sql = sql::key_in(M::TABLE, negate, &sub);
        let params = std::iter::repeat_n(params, times).flatten().collect();
        self.conditions.push((sql, params));
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
            self.conditions.push((sql::NOTHING.to_owned(), Vec::new()));
            return self;
        }
        let mut list = sql::ListEncoder::new(T::TABLE.pk_column().name);
        for k in &keys {
            if let Err(e) = list.push(k) {
                self.error
                    .get_or_insert(Error::sqlite(Op::new(M::TABLE.model, "query value"), e));
            }
        }
        let list = list.finish();
        let (sub, times) = sql::owners_linked(rel.def(), all, list.blobs);
        let mut params: Vec<Value> = std::iter::repeat_n(Value::Text(list.json), times).collect();
        if all {
            params.push(Value::Integer(keys.len() as i64));
        }
        let sql = sql::key_in(M::TABLE, false, &sub);
        self.conditions.push((sql, params));
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
        self.order.push(f(&M::COLUMNS).sql);
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
            count: sql::count_column(rel.def()),
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

    fn select_sql(
        &self,
        what: &str,
        ordered: bool,
        limit: Option<u64>,
    ) -> Result<(String, Vec<&dyn SqlValue>)> {
        self.check()?;
        let conditions: Vec<&str> = self.conditions.iter().map(|(c, _)| c.as_str()).collect();
        let params = self
            .conditions
            .iter()
            .flat_map(|(_, p)| p.iter().map(|v| v as &dyn SqlValue))
            .collect();
        let order = ordered.then_some(self.order.as_slice());
        let text = sql::select(M::TABLE, what, &conditions, order, limit, self.offset);
        Ok((text, params))
    }

    fn load(&self, s: Session<'_>, limit: Option<u64>, op: &'static str) -> Result<Vec<M>> {
        let (text, params) = self.select_sql(sql::select_list_ref(M::TABLE), true, limit)?;
        let mut rows = s
            .rows(&text, &params, |row| M::__from_row(row, 0))
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
        let (inner, params) = self.select_sql(sql::ONE, false, self.limit)?;
        let n: i64 = conn
            .__session()
            .one(&sql::count_of(&inner), &params)
            .map_err(Op::new(M::TABLE.model, "count").fail())?;
        Ok(n.max(0) as u64)
    }

    /// True when at least one row matches.
    pub fn exists(&self, conn: &impl Db) -> Result<bool> {
        let limit = Some(self.limit.map_or(1, |l| l.min(1)));
        let (inner, params) = self.select_sql(sql::ONE, false, limit)?;
        conn.__session()
            .one(&sql::exists_of(&inner), &params)
            .map_err(Op::new(M::TABLE.model, "exists").fail())
    }
}

impl<M> std::fmt::Debug for Query<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("conditions", &self.conditions)
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
    count: &'static str,
}

impl<M: Model> WithCount<M> {
    /// Every matching row with its link count, in one statement (plus one per
    /// prefetch).
    pub fn fetch_all(&self, conn: &impl Db) -> Result<Vec<(M, u64)>> {
        let s = conn.__session();
        let what = sql::with_column(M::TABLE, self.count);
        let (text, params) = self.query.select_sql(&what, true, self.query.limit)?;
        let width = M::TABLE.columns.len();
        let rows = s
            .rows(&text, &params, |row| {
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
            .field("count", &self.count)
            .finish()
    }
}
