//! Rules across the fields and relations of one model. A name that breaks
//! one is reported; a generated item it would duplicate is dropped from the
//! expansion, so rustc does not report the same mistake a second time.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use darling::error::Accumulator;

use crate::ast::{Junction, Kind, Model};
use crate::report::Report;

/// The `Model` methods an inherent accessor of the same name would hide.
const MODEL_METHODS: &[&str] = &[
    "pk",
    "key",
    "insert",
    "update",
    "save",
    "delete",
    "get",
    "query",
    "create_table",
    "schema_sql",
];
/// The `Model` consts an inherent descriptor (the UPPER_CASE accessor name) would hide.
const MODEL_CONSTS: &[&str] = &["TABLE", "COLUMNS"];

/// The `Model` item that an accessor named `name` (and its descriptor) would hide.
fn hidden_item(name: &str) -> Option<String> {
    let upper = name.to_uppercase();
    if MODEL_METHODS.contains(&name) {
        Some(format!("Model::{name}"))
    } else if MODEL_CONSTS.contains(&upper.as_str()) {
        Some(format!("Model::{upper}"))
    } else {
        None
    }
}

pub(crate) fn check(model: &mut Model<'_>, errors: &mut Accumulator) {
    model.key = key(model, errors);
    columns(model, errors);
    junctions(model, errors);
    accessors(model, errors);
}

/// SQLite folds the ASCII case of names: `Name` and `name` are one column,
/// `Essay_Topics` and `essay_topics` one table. Names are compared so.
fn folded(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The names of one kind given so far (columns, junction tables), as SQLite
/// tells them apart, each with the field that gave it first.
#[derive(Default)]
struct Claimed<'a> {
    // folded name -> (name, field)
    seen: HashMap<String, (&'a str, &'a str)>,
}

impl<'a> Claimed<'a> {
    /// Claims `name` for `field`; the earlier claim of a name SQLite takes
    /// for the same, if any (the claim then stays with it).
    fn claim(&mut self, name: &'a str, field: &'a str) -> Option<(&'a str, &'a str)> {
        match self.seen.entry(folded(name)) {
            Entry::Occupied(first) => Some(*first.get()),
            Entry::Vacant(slot) => {
                slot.insert((name, field));
                None
            }
        }
    }
}

/// The message for two names SQLite takes for one: `alike` when they are
/// spelled alike, else `folded` and why; then `write`, what to write.
fn clash(spelled_alike: bool, alike: String, folded: String, write: &str) -> String {
    if spelled_alike {
        format!("{alike}: {write}")
    } else {
        format!("{folded}, which does not tell names apart by case: {write}")
    }
}

/// The one key: the field marked `primary_key`, else the field `id`;
/// stored and not an `Option`.
fn key(model: &Model<'_>, errors: &mut Accumulator) -> Option<usize> {
    let name = &model.name;
    let mut marked = model
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((i, f.column()?.primary_key?)));
    let key = if let Some((first, _)) = marked.next() {
        let first_name = &model.fields[first].name;
        for (_, span) in marked {
            let message = format!(
                "`{name}` already has a primary key, `{first_name}`: keep `#[model(primary_key)]` on one field"
            );
            errors.report(&span, message);
        }
        first
    } else {
        let Some(i) = model.fields.iter().position(|f| f.name == "id") else {
            let message = format!(
                "`{name}` has no primary key: add a field `id: i64` or mark one with `#[model(primary_key)]`"
            );
            errors.report(model.ident, message);
            return None;
        };
        let id = &model.fields[i];
        let why = match id.kind {
            Kind::Column(_) => None,
            Kind::Skipped => Some("it is not stored"),
            Kind::Relation(_) => Some("it is a relation"),
        };
        if let Some(why) = why {
            let message = format!(
                "`{name}` has no primary key: `id` cannot be the key because {why}; mark a stored field with `#[model(primary_key)]`"
            );
            errors.report(id.ident, message);
            return None;
        }
        i
    };
    let field = &model.fields[key];
    if field.column().is_some_and(|c| c.nullable) {
        let message = format!(
            "the primary key cannot be an `Option`: every row has a key; write e.g. `{}: i64` (`0` until the row is inserted)",
            field.name
        );
        errors.report(field.ty, message);
        return None;
    }
    Some(key)
}

/// Two fields stored in one column.
fn columns(model: &Model<'_>, errors: &mut Accumulator) {
    let mut claimed = Claimed::default();
    for field in &model.fields {
        let Some(column) = field.column() else {
            continue;
        };
        let name = &column.name.value;
        let Some((first_name, first)) = claimed.claim(name, &field.name) else {
            continue;
        };
        let message = clash(
            name == first_name,
            format!("column `{name}` is already used by the field `{first}`"),
            format!(
                "column `{name}` and the column `{first_name}` of the field `{first}` are one column to SQLite"
            ),
            "give one of them its own name with `#[model(column = \"...\")]`",
        );
        errors.report(&column.name.span, message);
    }
}

/// Two relations in one junction table or through model, or a junction
/// named like the model's table. (A through model's table name and the
/// target's are their own derives' business: the expansion checks them.)
fn junctions(model: &Model<'_>, errors: &mut Accumulator) {
    let mut claimed = Claimed::default();
    // A path, as written: Rust tells paths apart by case.
    let mut seen_models: HashMap<String, &str> = HashMap::new();
    for field in &model.fields {
        let Some(relation) = field.relation() else {
            continue;
        };
        let through = match &relation.junction {
            Junction::Table { name, .. } => name,
            Junction::Model(through_model) => {
                let path = through_model.path.to_string().replace(' ', "");
                if let Some(first) = seen_models.get(&path) {
                    let message = format!(
                        "the through model `{path}` is already used by `{first}`: each relation needs its own through model (its table holds one row per link)"
                    );
                    errors.report(&through_model.span, message);
                } else {
                    seen_models.insert(path, &field.name);
                }
                continue;
            }
        };
        let (junction, table) = (&through.value, &model.table.value);
        if folded(junction) == folded(table) {
            let owner = &model.name;
            let message = clash(
                junction == table,
                format!("`{junction}` is the table of `{owner}` itself"),
                format!(
                    "`{junction}` and `{table}`, the table of `{owner}`, are one table to SQLite"
                ),
                &format!(
                    "give the junction its own name, e.g. `through = \"{table}_{}\"`",
                    field.name
                ),
            );
            errors.report(&through.span, message);
        } else if let Some((first_name, first)) = claimed.claim(junction, &field.name) {
            let message = clash(
                junction == first_name,
                format!("the junction table `{junction}` is already used by `{first}`"),
                format!(
                    "the junction tables `{junction}` and `{first_name}` (of `{first}`) are one table to SQLite"
                ),
                "give each relation its own `through = \"...\"`",
            );
            errors.report(&through.span, message);
        }
    }
}

/// Reverse accessors that clash with each other, with a field of a self
/// relation's model, or with a `Model` method.
fn accessors(model: &mut Model<'_>, errors: &mut Accumulator) {
    for field in &model.fields {
        if field.relation().is_some()
            && let Some(item) = hidden_item(&field.name)
        {
            errors.report(
                field.ident,
                format!(
                    "a relation named `{}` would hide `{item}` on `{}`: rename the field",
                    field.name, model.name
                ),
            );
        }
    }

    let field_names: Vec<String> = model.fields.iter().map(|f| f.name.clone()).collect();
    // (target, reverse accessor) -> the field that declared it
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    for field in &mut model.fields {
        let Kind::Relation(relation) = &mut field.kind else {
            continue;
        };
        let Some(name) = &relation.related_name else {
            continue;
        };
        let target = &relation.target_name;
        // `crate::User` inside `User` is `User`.
        let target_key = if relation.is_self {
            model.name.clone()
        } else {
            relation.target.to_string()
        };
        let problem = if let Some(item) = hidden_item(&name.value) {
            Some(format!(
                "the reverse accessor `{}` would hide `{item}` on `{target}`: choose another `related_name`",
                name.value
            ))
        } else if relation.is_self && field_names.contains(&name.value) {
            Some(format!(
                "the reverse accessor `{}` would clash with the field `{}` of `{target}`: choose another `related_name`, or make the relation `symmetrical` if it reads the same from both sides",
                name.value, name.value
            ))
        } else if let Some(first) = seen.get(&(target_key.clone(), name.value.clone())) {
            let suggestion = format!("{}_{}_set", field.name, model.snake);
            Some(if name.explicit {
                format!(
                    "`{target}` already gets the reverse accessor `{}` from `{first}`: choose another name, e.g. `related_name = \"{suggestion}\"`, or `related_name = \"+\"` for none",
                    name.value
                )
            } else {
                format!(
                    "`{first}` and `{}` both give `{target}` the default reverse accessor `{}`: name this one, e.g. `#[many_to_many(related_name = \"{suggestion}\")]`, or `related_name = \"+\"` for none",
                    field.name, name.value
                )
            })
        } else {
            seen.insert((target_key, name.value.clone()), field.name.clone());
            None
        };
        if let Some(problem) = problem {
            errors.report(&name.span, problem);
            relation.related_name = None;
        }
    }
}
