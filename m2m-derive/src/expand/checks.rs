//! A relation's compile-time checks, on what only the other models' derives
//! know: the target's and the through model's tables, the through model's
//! fields and key, and that a path taken for `Self` names the struct. Each
//! is spanned at the attribute value it is about.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};

use super::relation::{ExpandRelation, link_column, model_as_model};
use super::respan;
use crate::ast::{Junction, LinkField, ThroughModel};
use crate::name::{self, Name};

/// SQLite's folding of names, for messages.
const FOLD: &str = "SQLite does not tell names apart by case";

/// A compile-time assertion that panics with `message` at `span`.
///
/// It sits in a static's initializer, not a const's: a const may not read
/// a `TableDef` (its statement cache is interior-mutable), a static may.
fn static_assert(span: Span, condition: TokenStream, message: &str) -> TokenStream {
    // `assert!` reads its message as a format string.
    let message = message.replace('{', "{{").replace('}', "}}");
    quote_spanned! {span=>
        const _: () = {
            static __M2M_CHECK: () = ::core::assert!(#condition, #message);
        };
    }
}

/// One side of a through model relation: `source` (the owner's) or
/// `target` (`T`'s).
struct Side<'a> {
    option: &'a str,
    link: &'a LinkField,
    /// The model whose key the field holds, and its name.
    model: TokenStream,
    model_name: &'a str,
    /// The option's default, suggested when the value is wrong.
    default: String,
}

impl ExpandRelation<'_> {
    /// Every check of the relation.
    pub(super) fn checks(&self) -> TokenStream {
        let through = match &self.relation.junction {
            Junction::Model(model) => Some(self.through_model_checks(model)),
            Junction::Table { .. } => None,
        };
        let self_path = self.self_path_check();
        let tables = match &self.relation.junction {
            Junction::Table { name, .. } => self.junction_table_check(name),
            Junction::Model(model) => self.through_table_checks(model),
        };
        quote!(#through #self_path #tables)
    }

    /// A through model's link fields hold their sides' key types and are
    /// not its own key, and its key is one SQLite assigns. Each field's check
    /// is spanned at its `source`/`target` value (at the path when
    /// defaulted), so a missing field or a type mismatch points at what the
    /// user wrote.
    fn through_model_checks(&self, model: &ThroughModel) -> TokenStream {
        let r = self.relation;
        let (source_default, target_default) =
            name::link_defaults(&self.model.snake, &r.target_name, r.is_self);
        let source = self.link_check(
            model,
            Side {
                option: "source",
                link: &model.source,
                model: self.model.ident.to_token_stream(),
                model_name: &self.model.name,
                default: source_default,
            },
        );
        let target = self.link_check(
            model,
            Side {
                option: "target",
                link: &model.target,
                model: r.target.clone(),
                model_name: &r.target_name,
                default: target_default,
            },
        );
        let model_ty = model_as_model(model);
        let auto = quote_spanned! {model.span=>
            ::core::assert!(
                <#model_ty::Pk as ::m2m::PrimaryKey>::AUTO,
                "a `through_model` needs an integer primary key that SQLite assigns, e.g. `id: i64`"
            );
        };
        quote! {
            const _: () = {
                #source
                #target
                #auto
            };
        }
    }

    /// One link field holds `side`'s key and is not the through model's own
    /// key; nothing for a name already rejected.
    fn link_check(&self, model: &ThroughModel, side: Side<'_>) -> Option<TokenStream> {
        let Side {
            option,
            link,
            model: side,
            model_name,
            default,
        } = side;
        let field = link.ident.as_ref()?;
        let name = &link.name;
        let span = field.span();
        let model_ty = model_as_model(model);
        let through = model.path.to_string().replace(' ', "");
        let column = link_column(model, link);
        let what = if name.explicit {
            format!("`{option} = \"{}\"` names", name.value)
        } else {
            format!("the default `{option}`, `{}`, is", name.value)
        };
        let write = if default == name.value {
            format!("`{option} = \"...\"`")
        } else {
            format!("e.g. `{option} = \"{default}\"`")
        };
        let own_key = static_assert(
            span,
            quote!(!::m2m::__private::same_name(
                ::m2m::__private::key_column_name(#model_ty::TABLE),
                #column,
            )),
            &format!(
                "{what} `{through}`'s own key, but `{option}` names the field of `{through}` that holds `{model_name}`'s key (each link row has a key of its own): write that field, {write}"
            ),
        );
        let check = quote_spanned! {span=>
            ::m2m::__private::key_column::<#side, _>(&#model_ty::COLUMNS.#field);
        };
        Some(quote!(#check #own_key))
    }

    /// A path taken for `Self` (`crate::User` inside `User`) names the struct.
    fn self_path_check(&self) -> Option<TokenStream> {
        let r = self.relation;
        let path = r.self_path.as_ref()?;
        // Spanned at the path: the unmet bound's error points at `#owner`.
        let owner = respan(self.model.ident.to_token_stream(), r.target_span);
        Some(quote_spanned! {r.target_span=>
            const _: () = ::m2m::__private::self_path::<#owner, #path>();
        })
    }

    /// The junction table is not named like the target's table (a relation
    /// to `Self` is checked by `check.rs`, against the owner's).
    fn junction_table_check(&self, through: &Name) -> Option<TokenStream> {
        let r = self.relation;
        if r.is_self {
            return None;
        }
        let (model, field) = (&self.model.name, &self.field.name);
        let target_table = &self.target_table;
        let junction = &through.value;
        let message = if through.explicit {
            let mut own = format!("{}_{field}", self.model.table.value);
            if own.eq_ignore_ascii_case(junction) {
                own.push_str("_links");
            }
            format!(
                "the junction table `{junction}` of `{model}.{field}` has the name of `{}`'s table ({FOLD}): give the junction its own name, e.g. `through = \"{own}\"`",
                r.target_name
            )
        } else {
            format!(
                "the default junction table of `{model}.{field}`, `{junction}`, has the name of `{}`'s table ({FOLD}): name the junction, e.g. `#[many_to_many(through = \"{junction}_links\")]`",
                r.target_name
            )
        };
        Some(static_assert(
            through.span,
            quote!(!::m2m::__private::same_name(#target_table.name(), #junction)),
            &message,
        ))
    }

    /// The through model's table is neither the owner's nor the target's.
    fn through_table_checks(&self, through: &ThroughModel) -> Option<TokenStream> {
        let r = self.relation;
        let model = &self.model.name;
        let owner_table = &self.model.table.value;
        let model_ty = model_as_model(through);
        let path = through.path.to_string().replace(' ', "");
        let table = format!("#[model(table = \"{owner_table}_{}\")]", self.field.name);
        let owner = static_assert(
            through.span,
            quote!(!::m2m::__private::same_name(#model_ty::TABLE.name(), #owner_table)),
            &format!(
                "the through model `{path}` has the table of `{model}` itself ({FOLD}): a junction needs a table of its own, e.g. `{table}` on `{path}`"
            ),
        );
        let target = (!r.is_self).then(|| {
            let target_table = &self.target_table;
            static_assert(
                through.span,
                quote!(!::m2m::__private::same_name(#model_ty::TABLE.name(), #target_table.name())),
                &format!(
                    "the through model `{path}` has the table of `{}` ({FOLD}): a junction needs a table of its own, e.g. `{table}` on `{path}`",
                    r.target_name
                ),
            )
        });
        Some(quote!(#owner #target))
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::expand::derive;
    use crate::expand::tests::{assert_errors, errors, has_item};

    #[test]
    fn names_that_sqlite_folds_together_clash() {
        let out = derive(quote! {
            struct Memo {
                id: i64,
                name: String,
                #[model(column = "NAME")]
                title: String,
                #[many_to_many(through = "Memo_Tags")]
                tags: ManyToMany<Tag>,
                #[many_to_many(through = "memo_tags", related_name = "+")]
                more: ManyToMany<Tag>,
                #[many_to_many(through = "MEMO", related_name = "+")]
                own: ManyToMany<Tag>,
            }
        });
        let errors = errors(&out);
        assert_eq!(errors.len(), 3, "{errors:#?}");
        // What only `Tag` knows is asserted at compile time.
        assert!(has_item(
            &out,
            "same_name (< Tag as :: m2m :: Model > :: TABLE . name () , \"Memo_Tags\")"
        ));
    }

    #[test]
    fn through_model_mistakes_are_reported_once() {
        let out = derive(quote! {
            struct Student {
                id: i64,
                #[many_to_many(through_model = Enrollment, source = "student id", target = "r#self")]
                courses: ManyToMany<Course>,
                #[many_to_many(through_model = Enrollment, source = "x", target = "x", related_name = "+")]
                other: ManyToMany<Course>,
                #[many_to_many(through = "t", through_model = Grade, related_name = "+")]
                grades: ManyToMany<Course>,
            }
        });
        assert_errors(
            &out,
            5,
            &[
                "`source` names a field of the through model `Enrollment`",
                "`target` names a field of the through model `Enrollment`",
                "same field of `Enrollment`",
                "already used by `courses`",
                "not both",
            ],
        );
        // Rejected names stand in as text and are not checked again.
        assert!(has_item(&out, "\"student id\""));
        assert!(!has_item(
            &out,
            "key_column :: < Course , _ > (& < Enrollment as :: m2m :: Model > :: COLUMNS . x)"
        ));
        // Both keep their through model, so pivot calls still resolve.
        assert!(has_item(&out, "Related < '_ , Student , Course , Grade >"));
    }
}
