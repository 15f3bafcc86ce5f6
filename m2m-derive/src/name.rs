//! Names: the value of every naming option (`table`, `column`, `through`,
//! `source`, `target`, `related_name`) or its default, and what makes a name
//! valid. An invalid value is reported, with a suggestion, and its default
//! stands in.

use darling::error::Accumulator;
use proc_macro2::{Ident, Span};
use syn::ext::IdentExt;
use syn::{LitStr, Path};

use crate::case::snake_case;
use crate::report::Report;

/// A resolved SQL or Rust name and the token to blame for it.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub value: String,
    pub span: Span,
    /// Written in an attribute, rather than derived by default.
    pub explicit: bool,
}

impl Name {
    /// A default name, blamed on `span`.
    fn default(value: String, span: Span) -> Self {
        Name {
            value,
            span,
            explicit: false,
        }
    }

    /// A name written in an attribute, blamed on its literal.
    fn written(value: String, lit: &LitStr) -> Self {
        Name {
            value,
            span: lit.span(),
            explicit: true,
        }
    }
}

/// The value of a `table`/`column`/`through`/`source`/`target` option, or its
/// default when absent or invalid.
pub(crate) fn sql_name(
    option: &str,
    lit: Option<&LitStr>,
    default_span: Span,
    errors: &mut Accumulator,
    default: impl FnOnce() -> String,
) -> Name {
    let default = default();
    if let Some(lit) = lit {
        let value = lit.value();
        if is_sql_ident(&value) {
            return Name::written(value, lit);
        }
        let message = format!(
            "`{option}` must be a plain SQL identifier (letters, digits, `_`), got `{value:?}`; write e.g. `{option} = \"{}\"`",
            sanitize(&value, &default)
        );
        errors.report(lit, message);
    }
    Name::default(default, default_span)
}

/// The through model's field named by `source`/`target`, or its default
/// (spanned at `model_span`, the through model). The identifier is `None`
/// when the given value is not one (reported).
pub(crate) fn link_field(
    option: &str,
    lit: Option<&LitStr>,
    model: &str,
    model_span: Span,
    errors: &mut Accumulator,
    default: String,
) -> (Name, Option<Ident>) {
    let Some(lit) = lit else {
        let ident = field_ident(&default, model_span);
        return (Name::default(default, model_span), ident);
    };
    let value = lit.value();
    let name = Name::written(value.strip_prefix("r#").unwrap_or(&value).to_owned(), lit);
    let ident = field_ident(&value, lit.span());
    if ident.is_none() {
        let message = format!(
            "`{option}` names a field of the through model `{model}`, so it must be a Rust identifier, got `{value:?}`; write e.g. `{option} = \"{}\"`",
            sanitize(&value, &default)
        );
        errors.report(lit, message);
    }
    (name, ident)
}

/// The reverse accessor's name: `None` for `"+"` or an invalid name.
pub(crate) fn related_name(
    lit: Option<&LitStr>,
    default_span: Span,
    errors: &mut Accumulator,
    default: impl FnOnce() -> String,
) -> Option<Name> {
    let Some(lit) = lit else {
        return Some(Name::default(default(), default_span));
    };
    let value = lit.value();
    if value == "+" {
        return None;
    }
    if is_snake_ident(&value) {
        return Some(Name::written(value, lit));
    }
    let suggestion = sanitize(&snake_case(&value), &default()).to_ascii_lowercase();
    let message = format!(
        "`related_name` must be a snake_case Rust identifier (or `\"+\"` for no reverse accessor), got `{value:?}`; write e.g. `related_name = \"{suggestion}\"`"
    );
    errors.report(lit, message);
    None
}

/// The default `source` and `target` of a relation of `owner_snake` to
/// `target_name`: `article_id`, `tag_id`; `from_user_id`, `to_user_id` for
/// a relation to `Self`.
pub(crate) fn link_defaults(
    owner_snake: &str,
    target_name: &str,
    is_self: bool,
) -> (String, String) {
    if is_self {
        (
            format!("from_{owner_snake}_id"),
            format!("to_{owner_snake}_id"),
        )
    } else {
        (
            format!("{owner_snake}_id"),
            format!("{}_id", snake_case(target_name)),
        )
    }
}

/// `name` as a field identifier (raw for a keyword, `r#` accepted), or
/// `None` when no field can be called so.
fn field_ident(name: &str, span: Span) -> Option<Ident> {
    let bare = name.strip_prefix("r#").unwrap_or(name);
    if bare.is_empty() || matches!(bare, "_" | "self" | "Self" | "super" | "crate") {
        return None;
    }
    let ident = if is_keyword(bare) {
        syn::parse_str::<Ident>(&format!("r#{bare}"))
    } else {
        syn::parse_str::<Ident>(bare)
    };
    let mut ident = ident.ok()?;
    ident.set_span(span);
    Some(ident)
}

/// The last segment of `path` without `r#`, for messages.
pub(crate) fn last_name(path: &Path) -> String {
    path.segments
        .last()
        .map_or_else(String::new, |s| s.ident.unraw().to_string())
}

/// `x` as a path for an intra-doc link, without generic arguments.
pub(crate) fn doc_path(path: &Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let lead = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{lead}{}", segments.join("::"))
}

/// `[A-Za-z_][A-Za-z0-9_]*`: safe anywhere SQLite takes a name.
pub(crate) fn is_sql_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A snake_case Rust identifier usable as a method name: `[a-z_][a-z0-9_]*`,
/// not `_`, not a keyword.
pub(crate) fn is_snake_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s != "_"
        && !is_keyword(s)
}

/// Rust's keywords, strict and reserved (edition 2024): a field so named is
/// written `r#type`, and no method is.
fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "try"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
    )
}

/// `s` made into a plain identifier (`article tags` -> `article_tags`), or
/// `fallback` when nothing usable is left.
fn sanitize(s: &str, fallback: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if out.chars().all(|c| c == '_') || !is_sql_ident(&out) {
        fallback.to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_identifiers() {
        for ok in ["tag", "articles_tags", "_x", "T1", "a_1_b"] {
            assert!(is_sql_ident(ok), "{ok}");
        }
        for bad in [
            "",
            "1tag",
            "article tags",
            "a-b",
            "a.b",
            "\"x\"",
            "tâg",
            "a;b",
        ] {
            assert!(!is_sql_ident(bad), "{bad}");
        }
    }

    #[test]
    fn snake_identifiers() {
        for ok in ["articles", "article_set", "_hidden", "v2"] {
            assert!(is_snake_ident(ok), "{ok}");
        }
        for bad in ["", "_", "Articles", "2x", "type", "self", "a b", "+"] {
            assert!(!is_snake_ident(bad), "{bad}");
        }
    }

    #[test]
    fn sanitized_suggestions() {
        assert_eq!(sanitize("article tags", "d"), "article_tags");
        assert_eq!(sanitize("1st", "d"), "_1st");
        assert_eq!(sanitize("  ", "d"), "d");
        assert_eq!(sanitize("", "d"), "d");
    }
}
