//! Typed queries: `Tag::query().filter(|c| c.name.eq("rust"))`.
//!
//! The derive generates, for each model, a struct of typed [`Column`]s (for
//! `Tag`, `TagColumns { id: Column<Tag, i64>, name: Column<Tag, String> }`).
//! Query closures receive it, so an unknown column or a value of the wrong
//! type does not compile. Values are always bound as parameters, never
//! spliced into the SQL text.

use std::fmt::Write as _;
use std::marker::PhantomData;

use rusqlite::Connection;
use rusqlite::types::{ToSql, Value};

use crate::__private::{NoValue, NotNull, OwnedBy};
use crate::key::IntoKey;
use crate::relation::{Forward, Relation, Through};
use crate::{Error, Model, Result, sql};

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
        sql::to_value(self)
    }
}
impl<V: ToSql> SqlArg<V> for &V {
    fn to_value(&self) -> rusqlite::Result<Value> {
        sql::to_value(*self)
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
    fn join(mut self, op: &str, other: Expr<M>) -> Self {
        self.sql = format!("({}) {op} ({})", self.sql, other.sql);
        self.params.extend(other.params);
        self.error = self.error.or(other.error);
        self
    }
    /// Both conditions hold.
    pub fn and(self, other: Expr<M>) -> Self {
        self.join("AND", other)
    }
    /// Either condition holds.
    pub fn or(self, other: Expr<M>) -> Self {
        self.join("OR", other)
    }
    /// The condition does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(mut self) -> Self {
        self.sql = format!("NOT ({})", self.sql);
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
        let mut s = String::new();
        sql::push_ident(&mut s, M::TABLE.name);
        s.push('.');
        sql::push_ident(&mut s, self.name);
        s
    }

    fn compare(self, op: &str, value: rusqlite::Result<Value>) -> Expr<M> {
        let sql = format!("{} {op} ?", self.qualified());
        let value = value.and_then(|v| sql::check_value(self.name, (&v).into()).map(|()| v));
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
        Expr::new(format!("{} IS NULL", self.qualified()), Vec::new(), None)
    }
    /// `column IS NOT NULL`
    pub fn is_not_null(self) -> Expr<M> {
        Expr::new(
            format!("{} IS NOT NULL", self.qualified()),
            Vec::new(),
            None,
        )
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
            return Expr::new("0".to_owned(), Vec::new(), error);
        }
        let list = list.finish();
        let sql = format!(
            "{} IN ({})",
            self.qualified(),
            sql::list_rows("?", list.blobs)
        );
        Expr::new(sql, vec![Value::Text(list.json)], error)
    }

    /// Ascending order on this column.
    pub fn asc(self) -> Order<M> {
        Order {
            sql: format!("{} ASC", self.qualified()),
            _m: PhantomData,
        }
    }
    /// Descending order on this column.
    pub fn desc(self) -> Order<M> {
        Order {
            sql: format!("{} DESC", self.qualified()),
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

type Step<M> = Box<dyn Fn(&Connection, &mut [M]) -> Result<()>>;

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

    pub(crate) fn scoped(sql: String, params: Vec<Value>) -> Self {
        let mut q = Self::new();
        q.conditions.push((sql, params));
        q
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
            self.error.get_or_insert(Error::sqlite(
                format_args!("{}: query value", M::TABLE.model),
                err,
            ));
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
        let not = if negate { "NOT " } else { "" };
        let sql = format!("{} {not}IN ({sub})", sql::pk_qualified(M::TABLE));
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
            self.conditions.push(("0".to_owned(), Vec::new()));
            return self;
        }
        let mut list = sql::ListEncoder::new(T::TABLE.pk_column().name);
        for k in &keys {
            if let Err(e) = list.push(k) {
                self.error.get_or_insert(Error::sqlite(
                    format_args!("{}: query value", M::TABLE.model),
                    e,
                ));
            }
        }
        let list = list.finish();
        let (sub, times) = sql::owners_linked(rel.def(), all, list.blobs);
        let mut params: Vec<Value> = std::iter::repeat_n(Value::Text(list.json), times).collect();
        if all {
            params.push(Value::Integer(keys.len() as i64));
        }
        let sql = format!("{} IN ({sub})", sql::pk_qualified(M::TABLE));
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
            .push(Box::new(move |conn: &Connection, rows: &mut [M]| {
                let Some(slot) = rel.slot() else {
                    return Ok(());
                };
                let mut loaded = rel.prefetch(conn, rows.iter())?;
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
            Some(e) => Err(Error::sqlite(
                format_args!("{}: query", M::TABLE.model),
                rusqlite::Error::ToSqlConversionFailure(e.to_string().into()),
            )),
        }
    }

    fn select_sql(
        &self,
        what: &str,
        ordered: bool,
        limit: Option<u64>,
    ) -> Result<(String, Vec<&Value>)> {
        self.check()?;
        let table = M::TABLE;
        let mut s = format!("SELECT {what} FROM ");
        sql::push_ident(&mut s, table.name);
        let mut params = Vec::new();
        for (i, (cond, p)) in self.conditions.iter().enumerate() {
            s.push_str(if i == 0 { " WHERE (" } else { " AND (" });
            s.push_str(cond);
            s.push(')');
            params.extend(p.iter());
        }
        if ordered {
            s.push_str(" ORDER BY ");
            for o in &self.order {
                s.push_str(o);
                s.push_str(", ");
            }
            s.push_str(&sql::pk_qualified(table));
        }
        match (limit, self.offset) {
            (Some(l), Some(o)) => {
                let _ = write!(s, " LIMIT {l} OFFSET {o}");
            }
            (Some(l), None) => {
                let _ = write!(s, " LIMIT {l}");
            }
            (None, Some(o)) => {
                let _ = write!(s, " LIMIT -1 OFFSET {o}");
            }
            (None, None) => {}
        }
        Ok((s, params))
    }

    fn load(&self, conn: &Connection, limit: Option<u64>, op: &str) -> Result<Vec<M>> {
        let (s, params) = self.select_sql(&sql::select_list(M::TABLE), true, limit)?;
        let mut rows = sql::query_rows(conn, &s, params, |row| M::__from_row(row, 0))
            .map_err(|e| Error::sqlite(format_args!("{}: {op}", M::TABLE.model), e))?;
        for step in &self.steps {
            step(conn, &mut rows)?;
        }
        Ok(rows)
    }

    /// All matching rows.
    pub fn fetch_all(&self, conn: &Connection) -> Result<Vec<M>> {
        self.load(conn, self.limit, "fetch_all")
    }

    /// The first matching row.
    pub fn fetch_one(&self, conn: &Connection) -> Result<Option<M>> {
        let limit = Some(self.limit.map_or(1, |l| l.min(1)));
        Ok(self.load(conn, limit, "fetch_one")?.pop())
    }

    /// The number of matching rows (within `limit`/`offset` when set).
    pub fn count(&self, conn: &Connection) -> Result<u64> {
        let (inner, params) = self.select_sql("1", false, self.limit)?;
        let s = format!("SELECT count(*) FROM ({inner})");
        let n: i64 = sql::query_one(conn, &s, params)
            .map_err(|e| Error::sqlite(format_args!("{}: count", M::TABLE.model), e))?;
        Ok(n.max(0) as u64)
    }

    /// True when at least one row matches.
    pub fn exists(&self, conn: &Connection) -> Result<bool> {
        let limit = Some(self.limit.map_or(1, |l| l.min(1)));
        let (inner, params) = self.select_sql("1", false, limit)?;
        let s = format!("SELECT EXISTS({inner})");
        sql::query_one(conn, &s, params)
            .map_err(|e| Error::sqlite(format_args!("{}: exists", M::TABLE.model), e))
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
    pub fn fetch_all(&self, conn: &Connection) -> Result<Vec<(M, u64)>> {
        let what = format!("{}, {}", sql::select_list(M::TABLE), self.count);
        let (s, params) = self.query.select_sql(&what, true, self.query.limit)?;
        let width = M::TABLE.columns.len();
        let rows = sql::query_rows(conn, &s, params, |row| {
            let n: i64 = row.get(width)?;
            Ok((M::__from_row(row, 0)?, n.max(0) as u64))
        })
        .map_err(|e| Error::sqlite(format_args!("{}: with_count", M::TABLE.model), e))?;
        let (mut models, counts): (Vec<M>, Vec<u64>) = rows.into_iter().unzip();
        for step in &self.query.steps {
            step(conn, &mut models)?;
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
