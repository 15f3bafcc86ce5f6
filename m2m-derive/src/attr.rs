//! The attribute reference: darling receivers for `#[model(...)]` and
//! `#[many_to_many(...)]`, and the lenient parsing that keeps every valid
//! option of an attribute when another one is wrong.

use darling::FromMeta;
use darling::ast::NestedMeta;
use darling::error::Accumulator;
use darling::util::Flag;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Attribute, Expr, LitStr, Meta, Path};

use crate::case::snake_case;
use crate::report::Report;

/// A receiver of attribute options, and which of them take a string.
pub(crate) trait Options: FromMeta + Default {
    /// The options whose value is a string literal (`table = "tags"`).
    const STRINGS: &'static [&'static str];
}

impl Options for ContainerAttr {
    const STRINGS: &'static [&'static str] = &["table"];
}
impl Options for FieldAttr {
    const STRINGS: &'static [&'static str] = &["column"];
}
impl Options for RelationAttr {
    const STRINGS: &'static [&'static str] = &["through", "related_name", "source", "target"];
}

/// `#[model(...)]` on the struct.
#[derive(Debug, Default, FromMeta)]
pub(crate) struct ContainerAttr {
    /// `table = "name"`: the SQL table; a plain SQL identifier. Default: the
    /// snake_case of the struct's name (`BlogPost` -> `blog_post`).
    pub table: Option<LitStr>,
}

/// `#[model(...)]` on a column field.
#[derive(Debug, Default, FromMeta)]
pub(crate) struct FieldAttr {
    /// `primary_key`: this field is the key. Default: the field named `id`.
    pub primary_key: Flag,
    /// `column = "name"`: the SQL column; a plain SQL identifier. Default:
    /// the field's name, without `r#`.
    pub column: Option<LitStr>,
    /// `unique`: a `UNIQUE` constraint on the column.
    pub unique: Flag,
    /// `index`: an index on the column.
    pub index: Flag,
    /// `skip`: not stored; filled with `Default::default()` when a row is loaded.
    pub skip: Flag,
}

impl FieldAttr {
    /// Every option given, with the span of its word, for "does not apply here" errors.
    pub fn given(&self) -> Vec<(&'static str, proc_macro2::Span)> {
        let mut out = Vec::new();
        let flags = [
            ("primary_key", &self.primary_key),
            ("unique", &self.unique),
            ("index", &self.index),
            ("skip", &self.skip),
        ];
        for (name, flag) in flags {
            if flag.is_present() {
                out.push((name, flag.span()));
            }
        }
        if let Some(lit) = &self.column {
            out.push(("column", lit.span()));
        }
        out
    }
}

/// `#[many_to_many(...)]` on a `ManyToMany<T>` field.
#[derive(Debug, Default, FromMeta)]
pub(crate) struct RelationAttr {
    /// `through = "table"`: the junction table; a plain SQL identifier.
    /// Default: `{owner_table}_{field}`.
    pub through: Option<LitStr>,
    /// `related_name = "name"`: the reverse accessor generated on `T`, a
    /// snake_case identifier, or `"+"` for none. Default: `{owner_snake}_set`
    /// (`tag.article_set()`), with doc aliases of likely guesses (`articles`).
    pub related_name: Option<LitStr>,
    /// `symmetrical`: a relation to `Self` that reads the same from both sides
    /// (friends); it has no reverse accessor.
    pub symmetrical: Flag,
    /// `source = "col"`: the junction column that refers to the owner; with
    /// `through_model`, the through model's *field* (a Rust identifier) that
    /// holds the owner's key. Default: `{owner_snake}_id`, or
    /// `from_{snake}_id` for a relation to `Self`.
    pub source: Option<LitStr>,
    /// `target = "col"`: the junction column that refers to `T`; with
    /// `through_model`, the through model's field that holds `T`'s key.
    /// Default: `{target_snake}_id`, or `to_{snake}_id` for a relation to `Self`.
    pub target: Option<LitStr>,
    /// `through_model = Path`: a model (with `#[derive(Model)]` and an
    /// integer key) whose table is the junction, so each link carries the
    /// model's other fields as pivot data. Excludes `through`.
    pub through_model: Option<Path>,
}

/// The options of every `#[name(...)]` among `attrs`, in order. A bare
/// `#[name]` contributes nothing; `#[name = ...]` and unparsable lists are
/// reported.
pub(crate) fn options(
    attrs: &[Attribute],
    name: &str,
    errors: &mut Accumulator,
) -> Vec<NestedMeta> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident(name)) {
        match &attr.meta {
            Meta::Path(_) => {}
            Meta::List(list) => {
                if let Some(items) = errors.handle(
                    NestedMeta::parse_meta_list(list.tokens.clone()).map_err(darling::Error::from),
                ) {
                    out.extend(items);
                }
            }
            Meta::NameValue(nv) => errors.report(
                &nv.eq_token,
                format!(
                    "write the options in parentheses: `#[{name}(...)]`, e.g. {}",
                    example(name)
                ),
            ),
        }
    }
    out
}

fn example(name: &str) -> &'static str {
    if name == "model" {
        "`#[model(unique)]`"
    } else {
        "`#[many_to_many(related_name = \"articles\")]`"
    }
}

/// Parses `items` into `T`, reporting every error; an option that is wrong
/// on its own (unknown key, bad value) is dropped and the rest are kept, so
/// one mistake does not turn the others into defaults.
pub(crate) fn parse<T: Options>(items: &[NestedMeta], errors: &mut Accumulator) -> T {
    let items: Vec<NestedMeta> = items
        .iter()
        .filter(|item| !unquoted_string(item, T::STRINGS, errors))
        .cloned()
        .collect();
    let items = items.as_slice();
    match T::from_list(items) {
        Ok(value) => value,
        Err(error) => {
            errors.push(error);
            let kept: Vec<NestedMeta> = items
                .iter()
                .filter(|item| T::from_list(std::slice::from_ref(*item)).is_ok())
                .cloned()
                .collect();
            // A repeated option still fails here: then every option takes its default.
            let mut value = T::default();
            if let Ok(parsed) = T::from_list(&kept) {
                value = parsed;
            }
            value
        }
    }
}

/// Reports a string option given a bare path (`through = Membership`),
/// which darling would call an "unexpected type", with what to write.
fn unquoted_string(item: &NestedMeta, strings: &[&str], errors: &mut Accumulator) -> bool {
    let NestedMeta::Meta(Meta::NameValue(nv)) = item else {
        return false;
    };
    let Expr::Path(value) = &nv.value else {
        return false;
    };
    let Some(option) = strings.iter().find(|name| nv.path.is_ident(name)) else {
        return false;
    };
    let written = value.to_token_stream().to_string().replace(' ', "");
    let last = value
        .path
        .segments
        .last()
        .map_or_else(|| written.clone(), |s| s.ident.unraw().to_string());
    let message = if *option == "through" {
        format!(
            "`through` takes the junction table's name as a string, e.g. `through = \"{}\"`; to make the model `{written}` the junction, with pivot data, write `through_model = {written}`",
            snake_case(&last)
        )
    } else {
        format!("`{option}` takes a string: write `{option} = \"{written}\"`")
    };
    errors.report(&nv.value, message);
    true
}
