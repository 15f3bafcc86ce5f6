//! Schema verification: what the database has, compared with what the
//! models need (tables, columns, keys, the junctions' pair keys, foreign keys
//! and indexes), so a mismatch is one clear error at `create_table` or
//! [`verify_schema`] instead of raw SQLite text, or silent damage, later.

use std::fmt;

use crate::def::{RelationDef, TableDef};

use crate::catalog::{ColumnInfo, Existing};
use crate::db::Atomic;
use crate::db::{Db, Session};
use crate::error::DbError;
use crate::error::Op;
use crate::{Error, Result};

/// A model's table and the junction tables of the relations it declares:
/// what [`verify_schema`] checks. `Schema::of::<Article>()`.
#[derive(Clone, Copy)]
pub struct Schema {
    pub(crate) table: &'static TableDef,
    pub(crate) relations: &'static [&'static RelationDef],
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schema({})", self.table.model)
    }
}

/// One difference between the database and what a model needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// The table concerned.
    pub table: &'static str,
    /// What the database lacks or has differently.
    pub problem: String,
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table `{}`: {}", self.table, self.problem)
    }
}

/// The SQLite DDL of every model of an app as one script: each model's
/// table and indexes, then the junctions of its relations, in the order
/// given, each statement `IF NOT EXISTS` — what a migration tool runs once
/// (`rusqlite_migration`'s `M::up(&script)`), where `create_table` runs per
/// model. A model listed twice is written once.
///
/// ```
/// use m2m::{ManyToMany, Model, Schema};
///
/// #[derive(Model)]
/// struct Tag { id: i64, name: String }
/// #[derive(Model)]
/// struct Post { id: i64, #[many_to_many(related_name = "posts")] tags: ManyToMany<Tag> }
///
/// # fn main() -> m2m::Result<()> {
/// let script = m2m::schema_sql(&[Schema::of::<Tag>(), Schema::of::<Post>()]);
/// assert!(script.contains("CREATE TABLE IF NOT EXISTS \"post_tags\""));
/// let conn = m2m::open_in_memory()?;
/// conn.execute_batch(&script)?;
/// let all = [Schema::of::<Tag>(), Schema::of::<Post>()];
/// assert!(m2m::verify_schema(&conn, &all)?.is_empty());
/// # Ok(())
/// # }
/// ```
pub fn schema_sql(models: &[Schema]) -> String {
    script(models, crate::sqlite::ddl::create_sql)
}

/// Every model's DDL in one dialect, each model once.
pub(crate) fn script(
    models: &[Schema],
    create_sql: fn(&TableDef, &[&RelationDef]) -> String,
) -> String {
    let mut out = String::new();
    for (i, m) in models.iter().enumerate() {
        if models[..i].iter().any(|o| std::ptr::eq(o.table, m.table)) {
            continue;
        }
        out.push_str(&create_sql(m.table, m.relations));
    }
    out
}

/// Lists what the database lacks or has differently from what the models
/// need: missing tables and columns, columns of another type or nullability,
/// another primary key, a junction without its pair key, foreign keys that
/// do not cascade to both sides, missing unique constraints and indexes. An
/// empty list means the schema fits. For users who create tables with
/// their own migrations; [`Model::create_table`](crate::Model::create_table) runs the same check.
///
/// Names are compared as SQLite does, ignoring ASCII case. Columns the
/// models do not know are allowed unless they are `NOT NULL` without a
/// default (inserts would fail).
///
/// ```
/// use m2m::{ManyToMany, Model, Schema};
///
/// #[derive(Model)]
/// struct Tag { id: i64, name: String }
/// #[derive(Model)]
/// struct Post { id: i64, #[many_to_many(related_name = "posts")] tags: ManyToMany<Tag> }
///
/// # fn main() -> m2m::Result<()> {
/// let conn = m2m::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE tag (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")?;
/// let problems = m2m::verify_schema(&conn, &[Schema::of::<Tag>(), Schema::of::<Post>()])?;
/// assert!(problems.iter().any(|p| p.problem.contains("lacks the column `name`")));
/// assert!(problems.iter().any(|p| p.table == "post"));
/// # Ok(())
/// # }
/// ```
pub fn verify_schema(conn: &impl Db, models: &[Schema]) -> Result<Vec<SchemaProblem>> {
    let s = conn.__session();
    let mut out = Vec::new();
    for m in models {
        check(s, m.table, m.relations, false, &mut out)?;
    }
    Ok(out)
}

/// What `create_table` runs: the checks before its DDL (tables that do not
/// exist yet are fine; an empty through table made by its own model, without
/// foreign keys, is rebuilt), the DDL, then the full check.
pub(crate) fn create_table(
    s: Session<'_>,
    table: &'static TableDef,
    relations: &'static [&'static RelationDef],
) -> Result<()> {
    let fail = Op::new(table.model, "create_table").fail();
    let mut problems = Vec::new();
    let rebuild = check(s, table, relations, true, &mut problems)?;
    fail_on(problems)?;
    s.batch(&s.create_sql(table, relations)).map_err(fail)?;
    for r in rebuild {
        rebuild_through(s, r).map_err(fail)?;
    }
    let mut problems = Vec::new();
    check(s, table, relations, false, &mut problems)?;
    fail_on(problems)
}

/// The first table's problems as one [`Error::Schema`].
fn fail_on(problems: Vec<SchemaProblem>) -> Result<()> {
    let Some(first) = problems.first() else {
        return Ok(());
    };
    let table = first.table;
    let all: Vec<&str> = problems
        .iter()
        .filter(|p| p.table == table)
        .map(|p| p.problem.as_str())
        .collect();
    Err(Error::Schema {
        table,
        problem: all.join("; "),
    })
}

/// An empty through table made by its model's own `create_table`, built
/// again with the relation's foreign keys (nothing is lost: it is empty).
fn rebuild_through(s: Session<'_>, r: &RelationDef) -> Result<(), DbError> {
    let Some(p) = r.through() else { return Ok(()) };
    let tx = Atomic::begin(s)?;
    s.batch(&s.rebuild_sql(r, p))?;
    tx.commit()
}

/// Checks `table` and the junctions of `relations` declared on it, pushing
/// problems to `out`. With `before_create`, a missing table is no problem
/// (the DDL will make it), and the through tables to rebuild are returned.
fn check(
    s: Session<'_>,
    table: &'static TableDef,
    relations: &'static [&'static RelationDef],
    before_create: bool,
    out: &mut Vec<SchemaProblem>,
) -> Result<Vec<&'static RelationDef>> {
    let ctx = Op::new(table.model, "checking the schema").fail();
    let mut rebuild = Vec::new();
    let mut t = Checker::load(s, table.name, before_create, out).map_err(ctx)?;
    if let Some(c) = &mut t {
        c.model_table(table);
    }
    for r in relations.iter().copied().filter(|r| r.declared) {
        let name = r.junction_table();
        let Some(mut c) = Checker::load(s, name, before_create, out).map_err(ctx)? else {
            continue;
        };
        match r.through() {
            None => c.junction(r),
            Some(p) => {
                // Made by the through model's own `create_table`, without the
                // relation's foreign keys: rebuilt if empty, refused if not.
                if before_create && c.found.foreign_keys.is_empty() {
                    if s.has_rows(p.name).map_err(ctx)? {
                        c.problem(format!(
                            "the through table of `{}` holds rows but lacks `{} REFERENCES {}` and `{} REFERENCES {}` (ON DELETE CASCADE); add them (m2m needs them to remove the links of deleted rows)",
                            r.name, r.source, r.owner.name, r.target, r.target_table.name
                        ));
                    } else {
                        rebuild.push(r);
                    }
                    continue;
                }
                c.model_table(p);
                c.links(r);
            }
        }
    }
    Ok(rebuild)
}

/// One existing table, compared piece by piece; problems go to `out`.
struct Checker<'a> {
    name: &'static str,
    found: Existing,
    out: &'a mut Vec<SchemaProblem>,
    /// PostgreSQL's catalog (its type names; identity keys).
    pg: bool,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl<'a> Checker<'a> {
    /// The table as it exists; `None` when it does not (a problem unless
    /// `missing_ok`).
    fn load(
        s: Session<'_>,
        name: &'static str,
        missing_ok: bool,
        out: &'a mut Vec<SchemaProblem>,
    ) -> Result<Option<Self>, DbError> {
        let found = s.existing(name)?;
        let pg = s.is_pg();
        let mut c = Checker {
            name,
            found,
            out,
            pg,
        };
        match c.found.kind.as_deref() {
            Some("table") => Ok(Some(c)),
            None if missing_ok => Ok(None),
            None => {
                c.problem("does not exist".to_owned());
                Ok(None)
            }
            Some(kind) => {
                c.problem(format!("is a {kind}, not a table"));
                Ok(None)
            }
        }
    }

    /// The declared type of `c` in this database's dialect.
    fn ty(&self, c: &crate::ColumnDef) -> &'static str {
        if self.pg { c.pg_type } else { c.sql_type }
    }

    fn problem(&mut self, problem: String) {
        self.out.push(SchemaProblem {
            table: self.name,
            problem,
        });
    }

    /// A model's own table: columns, key, unique and index options.
    fn model_table(&mut self, t: &TableDef) {
        for (i, c) in t.columns.iter().enumerate() {
            self.column(c.name, self.ty(c), !c.nullable || i == t.pk, i == t.pk);
        }
        self.unknown_columns(t.columns.iter().map(|c| c.name));
        let pk = t.pk_column().name;
        self.primary_key(&[pk]);
        if t.auto_key && self.pg {
            let assigned = self
                .found
                .columns
                .iter()
                .any(|c| same(&c.name, pk) && c.has_default);
            if !assigned {
                self.problem(format!(
                    "its key `{pk}` must be assigned by the database on insert (`GENERATED BY DEFAULT AS IDENTITY`)"
                ));
            }
        } else if t.auto_key {
            let alias = self
                .found
                .columns
                .iter()
                .any(|c| same(&c.name, pk) && same(&c.decl_type, "INTEGER"))
                && !self.found.indexes.iter().any(|i| i.origin == "pk");
            if !alias {
                self.problem(format!(
                    "its key `{pk}` must be `INTEGER PRIMARY KEY` (SQLite's rowid, assigned on insert) in a rowid table"
                ));
            }
        }
        for c in t.columns.iter().filter(|c| c.unique) {
            self.unique(&[c.name]);
        }
        for c in t.columns.iter().filter(|c| c.index || c.unique) {
            self.indexed(c.name);
        }
    }

    /// An auto junction: the two key columns, their pair as the key, the
    /// foreign keys and the index on the target column.
    fn junction(&mut self, r: &RelationDef) {
        self.column(r.source, self.ty(r.owner.pk_column()), true, false);
        self.column(r.target, self.ty(r.target_table.pk_column()), true, false);
        self.unknown_columns([r.source, r.target].into_iter());
        self.primary_key(&[r.source, r.target]);
        self.links(r);
        if self.out.iter().any(|p| p.table == self.name) {
            let hint = format!(
                "(it is the junction of `{}`; if another model uses this name for its table, give the relation its own `through = \"...\"`)",
                r.name
            );
            self.problem(hint);
        }
    }

    /// What a junction or through table needs to link: foreign keys that
    /// cascade to both sides, the pair unique, the target column indexed.
    fn links(&mut self, r: &RelationDef) {
        let before = self.out.len();
        for (col, table) in [(r.source, r.owner), (r.target, r.target_table)] {
            let ok = self.found.foreign_keys.iter().any(|fk| {
                same(&fk.from, col)
                    && same(&fk.table, table.name)
                    && fk
                        .to
                        .as_deref()
                        .is_none_or(|to| same(to, table.pk_column().name))
                    && fk.on_delete == "CASCADE"
            });
            if !ok {
                self.problem(format!(
                    "lacks `FOREIGN KEY ({col}) REFERENCES {} ({}) ON DELETE CASCADE`, which `{}` needs",
                    table.name,
                    table.pk_column().name,
                    r.name
                ));
            }
        }
        let foreign = self.found.foreign_keys.iter().any(|fk| {
            !(same(&fk.from, r.source) && same(&fk.table, r.owner.name)
                || same(&fk.from, r.target) && same(&fk.table, r.target_table.name))
        });
        if self.out.len() > before && foreign && r.through().is_some() {
            self.problem(format!(
                "its foreign keys belong to another relation: a through model serves one relation, so give `{}` a through model of its own",
                r.name
            ));
        }
        self.unique(&[r.source, r.target]);
        self.indexed(r.target);
    }

    fn column(&mut self, name: &str, sql_type: &str, not_null: bool, is_key: bool) {
        let Some((decl_type, found_not_null)) = self
            .found
            .columns
            .iter()
            .find(|c| same(&c.name, name))
            .map(|c| (c.decl_type.clone(), c.not_null))
        else {
            let null = if not_null { " NOT NULL" } else { "" };
            self.problem(format!("lacks the column `{name}` ({sql_type}{null})"));
            return;
        };
        let differs = if self.pg {
            pg_type_name(&decl_type) != pg_type_name(sql_type)
        } else {
            affinity(&decl_type) != affinity(sql_type)
        };
        if !sql_type.is_empty() && differs {
            self.problem(format!(
                "column `{name}` is declared `{decl_type}`, but the model stores {sql_type} values in it"
            ));
        }
        // A rowid key is never NULL whatever its declaration says.
        if is_key {
            return;
        }
        match (not_null, found_not_null) {
            (true, false) => self.problem(format!(
                "column `{name}` allows NULL, which the model cannot read: make it `NOT NULL` (or the field an `Option`)"
            )),
            (false, true) => self.problem(format!(
                "column `{name}` is `NOT NULL`, but the model writes NULL for `None`: drop the constraint (or the field's `Option`)"
            )),
            _ => {}
        }
    }

    /// Columns the model does not write that would make its inserts fail.
    fn unknown_columns(&mut self, known: impl Iterator<Item = &'static str> + Clone) {
        let blocking: Vec<String> = self
            .found
            .columns
            .iter()
            .filter(|c| c.not_null && !c.has_default && c.pk == 0)
            .filter(|c| !known.clone().any(|k| same(k, &c.name)))
            .map(|c| format!("`{}`", c.name))
            .collect();
        if !blocking.is_empty() {
            self.problem(format!(
                "has `NOT NULL` columns without a default that the model does not write ({}): its inserts would fail",
                blocking.join(", ")
            ));
        }
    }

    fn primary_key(&mut self, want: &[&str]) {
        let mut found: Vec<&ColumnInfo> = self.found.columns.iter().filter(|c| c.pk > 0).collect();
        found.sort_by_key(|c| c.pk);
        let fits =
            found.len() == want.len() && found.iter().zip(want).all(|(c, w)| same(&c.name, w));
        if !fits {
            let found: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
            self.problem(format!(
                "its primary key is ({}), but the model's is ({})",
                found.join(", "),
                want.join(", ")
            ));
        }
    }

    /// A unique index (or key) on exactly these columns.
    fn unique(&mut self, cols: &[&str]) {
        let fits = self.found.indexes.iter().any(|i| {
            i.unique
                && i.columns.len() == cols.len()
                && cols.iter().all(|c| i.columns.iter().any(|x| same(x, c)))
        });
        // A rowid alias key is unique without an index.
        let rowid_key = cols.len() == 1
            && self
                .found
                .columns
                .iter()
                .any(|c| same(&c.name, cols[0]) && c.pk == 1 && same(&c.decl_type, "INTEGER"));
        if !fits && !rowid_key {
            self.problem(format!(
                "lacks a unique constraint on ({})",
                cols.join(", ")
            ));
        }
    }

    /// An index whose first column is `col`.
    fn indexed(&mut self, col: &str) {
        let fits = self
            .found
            .indexes
            .iter()
            .any(|i| i.columns.first().is_some_and(|x| same(x, col)));
        let rowid_key = self
            .found
            .columns
            .iter()
            .any(|c| same(&c.name, col) && c.pk == 1 && same(&c.decl_type, "INTEGER"));
        if !fits && !rowid_key {
            self.problem(format!("lacks an index on `{col}`"));
        }
    }
}

/// A PostgreSQL type's name as its catalog prints it (`format_type`), for
/// the aliases a model declares (`INT8`, `TIMESTAMPTZ`, ...).
fn pg_type_name(decl: &str) -> String {
    let d = decl.trim().to_ascii_lowercase();
    match d.as_str() {
        "int8" | "bigserial" => "bigint",
        "int" | "int4" | "serial" => "integer",
        "int2" | "smallserial" => "smallint",
        "float8" => "double precision",
        "float4" => "real",
        "bool" => "boolean",
        "timestamptz" => "timestamp with time zone",
        "timestamp" => "timestamp without time zone",
        "timetz" => "time with time zone",
        "time" => "time without time zone",
        "varchar" => "character varying",
        _ => return d,
    }
    .to_owned()
}

/// SQLite's type affinity of a declared type (its rules, in its order).
fn affinity(decl: &str) -> &'static str {
    let d = decl.to_ascii_uppercase();
    if d.contains("INT") {
        "INTEGER"
    } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
        "TEXT"
    } else if d.contains("BLOB") || d.is_empty() {
        "BLOB"
    } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

#[cfg(test)]
mod tests {
    use super::affinity;

    #[test]
    fn affinities_follow_sqlite() {
        assert_eq!(affinity("INTEGER"), "INTEGER");
        assert_eq!(affinity("bigint"), "INTEGER");
        assert_eq!(affinity("VARCHAR(20)"), "TEXT");
        assert_eq!(affinity("TEXT"), "TEXT");
        assert_eq!(affinity(""), "BLOB");
        assert_eq!(affinity("double precision"), "REAL");
        assert_eq!(affinity("DECIMAL"), "NUMERIC");
    }
}
