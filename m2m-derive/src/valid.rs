//! Rules about the struct's shape, one field or one attribute, applied while
//! `ast` reads them. Each reports its mistake at the user's token and says
//! what stands in, so the expansion goes on. Rules across fields live in
//! `check.rs`.

use darling::error::Accumulator;
use darling::util::Flag;
use quote::ToTokens;
use syn::{Data, DeriveInput, Fields, FieldsNamed, LitStr, Path};

use crate::attr::{FieldAttr, RelationAttr};
use crate::name::{Name, last_name};
use crate::report::Report;

/// Where `#[many_to_many]` belongs, for misplaced ones.
const MANY_TO_MANY_PLACE: &str =
    "`#[many_to_many]` goes on a field of type `ManyToMany<T>`, e.g. `tags: ManyToMany<Tag>`";

/// The named fields of a non-generic struct, the only shape a model has;
/// `None` (reported) for anything else. A `#[many_to_many]` on the struct
/// is reported too.
pub(crate) fn shape<'a>(
    input: &'a DeriveInput,
    errors: &mut Accumulator,
) -> Option<&'a FieldsNamed> {
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Some(named),
            _ => None,
        },
        _ => None,
    };
    let Some(named) = named else {
        let message = "`#[derive(Model)]` needs a struct with named fields, e.g. `struct Tag { id: i64, name: String }`";
        errors.report(&input.ident, message);
        return None;
    };
    if !input.generics.params.is_empty() {
        let message = "`#[derive(Model)]` does not support generic structs: a model is one table with fixed column types";
        errors.report(&input.generics, message);
        return None;
    }
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("many_to_many"))
    {
        misplaced_relation_attr(attr, errors);
    }
    Some(named)
}

/// A `#[many_to_many]` on the struct, or on a field that is no relation.
pub(crate) fn misplaced_relation_attr(blame: impl ToTokens, errors: &mut Accumulator) {
    errors.report(&blame, MANY_TO_MANY_PLACE);
}

/// A relation takes no column option.
pub(crate) fn no_column_options(attr: &FieldAttr, field_name: &str, errors: &mut Accumulator) {
    for (option, span) in attr.given() {
        let message = format!(
            "`#[model({option})]` is a column option and `{field_name}` is a relation, not a column: remove it"
        );
        errors.report(&span, message);
    }
}

/// Whether the field is skipped: `skip`, unless it is also the key (which
/// is always stored). A skipped field takes no other column option.
pub(crate) fn skip(attr: &FieldAttr, errors: &mut Accumulator) -> bool {
    let mut skip = attr.skip.is_present();
    if skip && attr.primary_key.is_present() {
        errors.report(
            &attr.skip.span(),
            "the primary key is always stored: remove `skip`",
        );
        skip = false;
    }
    if skip {
        for (option, span) in attr.given() {
            if option != "skip" {
                let message = format!(
                    "`{option}` does not apply to a skipped field, which has no column: remove `{option}` or `skip`"
                );
                errors.report(&span, message);
            }
        }
    }
    skip
}

/// `through` and `through_model` exclude each other; the through model is
/// kept, so pivot calls still resolve.
pub(crate) fn through_or_model(options: &RelationAttr, errors: &mut Accumulator) {
    if let (Some(model), Some(_)) = (&options.through_model, &options.through) {
        let message = "use either `through` (a plain junction table) or `through_model` (a junction model with pivot columns), not both";
        errors.report(model, message);
    }
}

/// The relation of `owner` to `target`, a field `field_name`: what it is
/// called in messages.
pub(crate) struct Named<'a> {
    pub owner: &'a str,
    pub owner_snake: &'a str,
    pub field_name: &'a str,
    pub target_name: &'a str,
}

/// Whether the relation is symmetrical: `symmetrical` needs a relation to
/// `Self`.
pub(crate) fn symmetrical(
    flag: &Flag,
    is_self: bool,
    named: &Named<'_>,
    errors: &mut Accumulator,
) -> bool {
    let symmetrical = flag.is_present();
    if symmetrical && !is_self {
        let Named {
            owner,
            field_name,
            target_name,
            ..
        } = named;
        let message = format!(
            "`symmetrical` needs a relation to `Self`, e.g. `friends: ManyToMany<Self>`; `{field_name}` relates `{owner}` to `{target_name}`, so remove `symmetrical`"
        );
        errors.report(&flag.span(), message);
        return false;
    }
    symmetrical
}

/// A symmetrical relation has no reverse accessor to name.
pub(crate) fn no_related_name(lit: Option<&LitStr>, field_name: &str, errors: &mut Accumulator) {
    if let Some(lit) = lit {
        let message = format!(
            "`related_name` does not apply to a `symmetrical` relation: it reads the same from both sides, so `{field_name}` is its only accessor; remove `related_name`"
        );
        errors.report(lit, message);
    }
}

/// `source` and `target` name two different junction columns (through
/// model fields, with `through_model`). False (reported) when they name
/// one: the caller then puts something in place of `target`.
pub(crate) fn distinct_links(
    source: &Name,
    target: &Name,
    through_model: Option<&Path>,
    named: &Named<'_>,
    errors: &mut Accumulator,
) -> bool {
    if source.value != target.value {
        return true;
    }
    let Named {
        owner_snake,
        field_name,
        target_name,
        ..
    } = named;
    let target_snake = crate::case::snake_case(target_name);
    let blame = if target.explicit || !source.explicit {
        target.span
    } else {
        source.span
    };
    let (what, name_them) = match through_model {
        None => ("junction column".to_owned(), "name"),
        Some(path) => (format!("field of `{}`", last_name(path)), "field"),
    };
    let message = if source.explicit || target.explicit {
        format!(
            "`source` and `target` name the same {what} `{}`: give each its own {name_them}, e.g. `source = \"{owner_snake}_id\"`, `target = \"{target_snake}_id\"`",
            source.value
        )
    } else {
        let what = match through_model {
            None => "both junction columns".to_owned(),
            Some(path) => format!("both key fields of `{}`", last_name(path)),
        };
        format!(
            "{what} for `{field_name}` default to `{}`: name them, e.g. `#[many_to_many(source = \"from_{owner_snake}_id\", target = \"to_{target_snake}_id\")]`",
            source.value
        )
    };
    errors.report(&blame, message);
    false
}
