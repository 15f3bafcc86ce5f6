//! What a field's type says, read by its last path segment: `Option<T>` is a
//! nullable column of `T`, `ManyToMany<T>` a relation to `T`, `String` a key
//! that also takes `&str`.

use syn::ext::IdentExt;
use syn::{GenericArgument, Path, PathArguments, PathSegment, Type};

/// Looks through the invisible groups of `macro_rules!` fragments and parentheses.
fn strip_groups(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => strip_groups(&g.elem),
        Type::Paren(p) => strip_groups(&p.elem),
        _ => ty,
    }
}

/// The last segment of a plain path type: `Option<T>`, `std::string::String`.
fn last_segment(ty: &Type) -> Option<&PathSegment> {
    match strip_groups(ty) {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The only type argument of the last segment: the `T` of `Option<T>`.
fn single_type_arg(segment: &PathSegment) -> Option<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(args) if args.args.len() == 1 => match args.args.first() {
            Some(GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// `Option<T>` -> (`T`, true); anything else -> (itself, false).
pub(crate) fn strip_option(ty: &Type) -> (&Type, bool) {
    if let Some(segment) = last_segment(ty)
        && segment.ident == "Option"
        && let Some(inner) = single_type_arg(segment)
    {
        return (inner, true);
    }
    (ty, false)
}

/// The path of a relation's target, or what to write instead: the target is
/// one model named by a plain path (`Tag`, `crate::tags::Tag`), without
/// generic arguments, references or tuples.
pub(crate) fn model_path(target: &Type) -> Result<&Path, String> {
    const ONE_MODEL: &str = "the target of a relation is one model";
    match strip_groups(target) {
        Type::Path(p)
            if p.qself.is_none() && p.path.segments.iter().all(|s| s.arguments.is_none()) =>
        {
            Ok(&p.path)
        }
        Type::Path(p) if p.qself.is_none() => {
            let inner = p.path.segments.last().and_then(single_type_arg);
            let inner = inner
                .and_then(last_segment)
                .filter(|s| s.arguments.is_none());
            Err(match inner {
                Some(model) => format!(
                    "{ONE_MODEL}, and it already holds many of them: write `ManyToMany<{}>`",
                    model.ident.unraw()
                ),
                None => {
                    format!("{ONE_MODEL}, named without generic arguments, e.g. `ManyToMany<Tag>`")
                }
            })
        }
        Type::Reference(r) => Err(match last_segment(&r.elem) {
            Some(model) => format!(
                "{ONE_MODEL}, named without `&`: write `ManyToMany<{}>`",
                model.ident.unraw()
            ),
            None => format!("{ONE_MODEL}, named without `&`, e.g. `ManyToMany<Tag>`"),
        }),
        Type::Tuple(_) => Err(format!(
            "{ONE_MODEL}, e.g. `ManyToMany<Tag>`; to link to several models, declare one relation per model"
        )),
        _ => Err(format!(
            "{ONE_MODEL}, named by its path, e.g. `ManyToMany<Tag>`"
        )),
    }
}

/// `T` when `ty` is `ManyToMany<T>` (any path ending so).
pub(crate) fn relation_target(ty: &Type) -> Option<&Type> {
    last_segment(ty)
        .filter(|segment| segment.ident == "ManyToMany")
        .and_then(single_type_arg)
}

/// True for `String` (any path ending in it): such keys also take `&str`.
pub(crate) fn is_string(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "String" && s.arguments.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    /// Parses a type; a typo in a test shows up as `Type::Never`, which
    /// classifies as nothing and fails the assertion.
    fn ty(s: &str) -> Type {
        match syn::parse_str(s) {
            Ok(t) => t,
            Err(_) => syn::parse_quote!(!),
        }
    }

    #[test]
    fn option_is_stripped_once() {
        let t = ty("Option<String>");
        let (inner, nullable) = strip_option(&t);
        assert!(nullable);
        assert_eq!(inner.to_token_stream().to_string(), "String");

        let t = ty("core::option::Option<Option<i64>>");
        let (inner, nullable) = strip_option(&t);
        assert!(nullable);
        assert_eq!(inner.to_token_stream().to_string(), "Option < i64 >");

        let t = ty("i64");
        assert!(!strip_option(&t).1);
    }

    #[test]
    fn relation_types() {
        let target = |t: &str| relation_target(&ty(t)).map(|t| t.to_token_stream().to_string());
        assert_eq!(target("ManyToMany<Tag>").as_deref(), Some("Tag"));
        assert_eq!(target("m2m::ManyToMany<Self>").as_deref(), Some("Self"));
        assert_eq!(target("ManyToMany"), None);
        assert_eq!(target("ManyToMany<A, B>"), None);
        assert_eq!(target("Vec<Tag>"), None);
    }

    #[test]
    fn string_keys() {
        assert!(is_string(&ty("String")));
        assert!(is_string(&ty("std::string::String")));
        assert!(!is_string(&ty("str")));
        assert!(!is_string(&ty("i64")));
    }
}
