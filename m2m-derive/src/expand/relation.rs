//! A relation's items: its `RelationDef` statics and descriptor consts, the
//! forward accessor on the owner and the reverse accessor on the target.

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};

use super::{Expand, respan};
use crate::ast::{Field, Junction, LinkField, Model, Relation, ThroughModel};
use crate::name::Name;
use crate::{case, name};

/// The expansion of one relation.
///
/// Generated items inside the `const _` block are numbered by relation
/// (`__M2M_REL_0`, `__M2M_REL_0_REV`, ...): names derived from fields could
/// collide (`tags_rev` and the reverse of `tags`).
pub(super) struct ExpandRelation<'m> {
    pub(super) model: &'m Model<'m>,
    pub(super) field: &'m Field<'m>,
    pub(super) relation: &'m Relation,
    /// `Tag::TABLE`, or the own table for a relation to `Self`.
    pub(super) target_table: TokenStream,
    /// The forward `RelationDef` static.
    forward_def: Ident,
    /// The forward `Relation` descriptor const (the public one is a copy).
    forward_desc: Ident,
    reverse_def: Ident,
    reverse_desc: Ident,
}

impl Expand<'_> {
    /// `__M2M_RELATIONS`, the forward `RelationDef`s, when there are any.
    pub(super) fn relation_list_static(&self) -> Option<TokenStream> {
        if self.relations.is_empty() {
            return None;
        }
        let defs = self.relations.iter().map(|r| &r.forward_def);
        Some(quote! {
            static __M2M_RELATIONS: &[&::m2m::RelationDef] = &[#(&#defs),*];
        })
    }

    /// `Model::__relations`, when there are any.
    pub(super) fn fn_relations(&self) -> Option<TokenStream> {
        (!self.relations.is_empty()).then(|| {
            quote! {
                #[inline]
                fn __relations() -> &'static [&'static ::m2m::RelationDef] {
                    __M2M_RELATIONS
                }
            }
        })
    }

    /// The forward descriptors and accessors, in one inherent impl.
    pub(super) fn forward_accessors(&self) -> Option<TokenStream> {
        if self.relations.is_empty() {
            return None;
        }
        let ident = self.model.ident;
        let forward = self.relations.iter().map(|r| r.forward_accessor(self.key));
        Some(quote! {
            // A private model need not use every generated accessor; an
            // accessor is named after its field, whatever the field's case.
            #[allow(dead_code, non_snake_case)]
            impl #ident {
                #(#forward)*
            }
        })
    }
}

/// `<Path as ::m2m::Model>`, spanned at the path: "not an m2m model"
/// points at `through_model = Path`.
pub(super) fn model_as_model(model: &ThroughModel) -> TokenStream {
    let path = &model.path;
    quote_spanned!(model.span=> <#path as ::m2m::Model>)
}

/// The junction column a through model's field is stored in, read from the
/// field's `Column` (`<P as Model>::COLUMNS.student_id.name()`), so a
/// `#[model(column = "...")]` on it is followed; the name as text when it
/// was rejected (reported), unchecked.
pub(super) fn link_column(model: &ThroughModel, link: &LinkField) -> TokenStream {
    match &link.ident {
        Some(field) => {
            let model_ty = model_as_model(model);
            quote_spanned!(field.span()=> #model_ty::COLUMNS.#field.name())
        }
        None => {
            let fallback = &link.name.value;
            quote!(#fallback)
        }
    }
}

impl<'m> ExpandRelation<'m> {
    pub(super) fn new(
        model: &'m Model<'m>,
        field: &'m Field<'m>,
        relation: &'m Relation,
        index: usize,
    ) -> Self {
        let target = &relation.target;
        let target_table = if relation.is_self {
            quote!(&__M2M_TABLE)
        } else {
            // Spanned at `T`: "`T` is not an m2m model" points at the field's type.
            quote_spanned!(relation.target_span=> <#target as ::m2m::Model>::TABLE)
        };
        ExpandRelation {
            model,
            field,
            relation,
            target_table,
            forward_def: format_ident!("__M2M_REL_{index}"),
            forward_desc: format_ident!("__M2M_RELATION_{index}"),
            reverse_def: format_ident!("__M2M_REL_{index}_REV"),
            reverse_desc: format_ident!("__M2M_RELATION_{index}_REV"),
        }
    }

    /// The third type argument of the relation's `Relation` and `Related`:
    /// the through model, or `()` for a plain junction.
    fn pivot(&self) -> TokenStream {
        match &self.relation.junction {
            Junction::Model(through) => through.path.clone(),
            Junction::Table { .. } => quote!(()),
        }
    }

    /// The junction and its source and target columns, as `RelationDef`
    /// takes them.
    fn junction(&self) -> (TokenStream, TokenStream, TokenStream) {
        match &self.relation.junction {
            Junction::Table {
                name,
                source,
                target,
            } => {
                let (junction, source, target) = (&name.value, &source.value, &target.value);
                (
                    quote!(::m2m::Junction::Table(#junction)),
                    quote!(#source),
                    quote!(#target),
                )
            }
            Junction::Model(model) => {
                let model_ty = model_as_model(model);
                (
                    quote!(::m2m::Junction::Model(#model_ty::TABLE)),
                    link_column(model, &model.source),
                    link_column(model, &model.target),
                )
            }
        }
    }

    /// The `RelationDef` statics, the descriptor consts the accessors use,
    /// and the relation's compile-time checks.
    ///
    /// Accessors use these block-local consts rather than `Self::TAGS`, so a
    /// duplicated `TAGS` is one rustc error, not one more at every use.
    pub(super) fn statics(&self) -> TokenStream {
        let forward = self.forward_statics();
        let checks = self.checks();
        let reverse = self.reverse_statics();
        quote!(#forward #checks #reverse)
    }

    /// The forward `RelationDef` and its descriptor.
    fn forward_statics(&self) -> TokenStream {
        let r = self.relation;
        let owner = self.model.ident;
        let target = &r.target;
        let span = r.target_span;
        let name = format!("{}.{}", self.model.name, self.field.name);
        let pivot = self.pivot();
        let (junction, source, target_col) = self.junction();
        let target_table = &self.target_table;
        let forward_def = &self.forward_def;
        let forward_desc = &self.forward_desc;
        // Re-spanned: a span reaching from `T` back to the field name would underline the whole field.
        let field = respan(self.field.ident.to_token_stream(), span);
        let symmetrical = r.symmetrical;
        // Bounds on `T: Model` are checked here, at `T`.
        let forward_new = quote_spanned! {span=>
            ::m2m::__private::forward(&#forward_def, |__o: &mut #owner| &mut __o.#field)
        };
        quote! {
            static #forward_def: ::m2m::RelationDef = ::m2m::__private::relation(
                #name,
                #junction,
                #source,
                #target_col,
                &__M2M_TABLE,
                #target_table,
                #symmetrical,
                true,
            );
            const #forward_desc: ::m2m::Relation<#owner, #target, #pivot> = #forward_new;
        }
    }

    /// The reverse `RelationDef` and its descriptor, if the relation has a
    /// reverse accessor.
    fn reverse_statics(&self) -> Option<TokenStream> {
        let r = self.relation;
        let related = r.related_name.as_ref()?;
        let owner = self.model.ident;
        let target = &r.target;
        let name = format!("{}.{}", r.target_name, related.value);
        let pivot = self.pivot();
        let (junction, source, target_col) = self.junction();
        let target_table = &self.target_table;
        let symmetrical = r.symmetrical;
        let reverse_def = &self.reverse_def;
        let reverse_desc = &self.reverse_desc;
        let reverse_new = quote_spanned!(r.target_span=> ::m2m::__private::reverse(&#reverse_def));
        Some(quote! {
            static #reverse_def: ::m2m::RelationDef = ::m2m::__private::relation(
                #name,
                #junction,
                #target_col,
                #source,
                #target_table,
                &__M2M_TABLE,
                #symmetrical,
                false,
            );
            const #reverse_desc: ::m2m::Relation<#target, #owner, #pivot, ::m2m::Reverse> = #reverse_new;
        })
    }

    /// The descriptor and accessor on the owner, spanned at the field.
    fn forward_accessor(&self, key: Option<&Field<'_>>) -> TokenStream {
        let owner = self.model.ident;
        let target = &self.relation.target;
        let vis = self.field.vis;
        let accessor = self.field.ident;
        let span = accessor.span();
        let descriptor = Ident::new(&self.field.name.to_uppercase(), span);
        let forward_desc = &self.forward_desc;
        let field = &self.field.name;
        let model = &self.model.name;
        let descriptor_doc = if self.relation.symmetrical {
            format!("The `{field}` relation of [`{model}`] (symmetrical).")
        } else {
            format!(
                "The `{field}` relation of [`{model}`]: `{model}::{descriptor}.of_key(key)` for an owner known by key."
            )
        };
        let accessor_doc = format!(
            "The [`{}`]s linked to this [`{model}`] (`{field}`).",
            self.relation.target_doc
        );
        let owner_key = match key {
            Some(k) => {
                let kident = k.ident;
                quote!(&self.#kident)
            }
            None => quote!(<Self as ::m2m::Model>::pk(self)),
        };
        let target_span = self.relation.target_span;
        let desc = respan(forward_desc.to_token_stream(), target_span);
        let of = quote_spanned!(target_span=> ::m2m::__private::of(#desc, #owner_key));
        let pivot = self.pivot();
        quote_spanned! {span=>
            #[doc = #descriptor_doc]
            #vis const #descriptor: ::m2m::Relation<#owner, #target, #pivot> = #forward_desc;
            #[doc = #accessor_doc]
            #[inline]
            #vis fn #accessor(&self) -> ::m2m::Related<'_, #owner, #target, #pivot> {
                #of
            }
        }
    }

    /// The descriptor and accessor on the target, if it has a reverse
    /// accessor; spanned at the `related_name` (or the field), so rustc's
    /// "duplicate definitions" points at the attributes.
    pub(super) fn reverse_accessors(&self) -> Option<TokenStream> {
        let related = self.relation.related_name.as_ref()?;
        let owner = self.model.ident;
        let target = &self.relation.target;
        let span = related.span;
        // The owner struct's visibility: whoever sees `Article` may walk from a
        // `Tag` to its articles; the field's privacy governs only the forward
        // accessor. (The owner's, not more: a public method on `Tag` returning
        // `Related<Tag, Article>` would trip `private_interfaces`.) Moved to
        // the name's span, so the item's span is the name's.
        let vis = respan(self.model.vis.to_token_stream(), span);
        let accessor = Ident::new(&related.value, span);
        let descriptor = Ident::new(&related.value.to_uppercase(), span);
        let reverse_desc = respan(self.reverse_desc.to_token_stream(), span);
        let model = &self.model.name;
        let forward_descriptor = self.field.name.to_uppercase();
        let descriptor_doc = format!("The reverse of [`{model}::{forward_descriptor}`].");
        let mut accessor_doc = format!(
            "The [`{model}`]s linked to this [`{}`] (reverse of `{model}.{}`).",
            self.relation.target_doc, self.field.name
        );
        let aliases = if related.explicit {
            Vec::new()
        } else {
            accessor_doc.push_str(&format!(
                "\n\n`{}` is the default name (`{{owner_snake}}_set`); write `#[many_to_many(related_name = \"...\")]` on `{model}.{}` to name it.",
                related.value, self.field.name
            ));
            self.aliases(related)
        };
        let const_aliases = aliases.iter().map(|alias| alias.to_uppercase());
        let pivot = self.pivot();
        Some(quote_spanned! {span=>
            #[allow(dead_code)]
            impl #target {
                #[doc = #descriptor_doc]
                #(#[doc(alias = #const_aliases)])*
                #vis const #descriptor: ::m2m::Relation<#target, #owner, #pivot, ::m2m::Reverse> = #reverse_desc;
                #[doc = #accessor_doc]
                #(#[doc(alias = #aliases)])*
                #[inline]
                #vis fn #accessor(&self) -> ::m2m::Related<'_, #target, #owner, #pivot> {
                    ::m2m::__private::of(#reverse_desc, <#target as ::m2m::Model>::pk(self))
                }
            }
        })
    }

    /// The names a user is likely to guess for a default reverse accessor
    /// (`articles`, `article`, the owner's table), as doc aliases: rustc's
    /// "no method named `articles`" suggests a method with that exact alias.
    fn aliases(&self, related: &Name) -> Vec<String> {
        let snake = &self.model.snake;
        let mut guesses = vec![case::plural(snake), snake.clone()];
        let table = &self.model.table.value;
        if name::is_snake_ident(table) {
            guesses.push(table.clone());
        }
        let mut aliases = Vec::new();
        for guess in guesses {
            if guess != related.value && !aliases.contains(&guess) {
                aliases.push(guess);
            }
        }
        aliases
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::expand::derive;
    use crate::expand::tests::{assert_items, errors};

    #[test]
    fn a_path_to_the_struct_is_a_self_relation_checked_to_be_one() {
        let out = derive(quote! {
            struct User {
                id: i64,
                #[many_to_many(symmetrical)]
                friends: ManyToMany<crate::User>,
                #[many_to_many(related_name = "followers")]
                following: ManyToMany<self::User>,
            }
        });
        assert_eq!(errors(&out), Vec::<String>::new());
        assert_items(
            &out,
            &[
                "\"from_user_id\"",
                "true , true ,)",
                "fn followers",
                "self_path :: < User , crate :: User >",
                "self_path :: < User , self :: User >",
            ],
        );
    }

    #[test]
    fn a_keyword_names_a_raw_field_of_the_through_model() {
        let out = derive(quote! {
            struct Student {
                id: i64,
                #[many_to_many(through_model = Enrollment, target = "type", related_name = "students")]
                courses: ManyToMany<Course>,
            }
        });
        assert_eq!(errors(&out), Vec::<String>::new());
        assert_items(
            &out,
            &[
                "COLUMNS . r#type . name ()",
                "COLUMNS . student_id . name ()",
            ],
        );
    }

    #[test]
    fn through_model_fields_default_like_junction_columns() {
        let out = derive(quote! {
            struct User {
                id: i64,
                #[many_to_many(through_model = Friendship, symmetrical)]
                friends: ManyToMany<Self>,
                #[many_to_many(through_model = Self)]
                odd: ManyToMany<Tag>,
            }
        });
        assert_eq!(errors(&out), Vec::<String>::new());
        assert_items(
            &out,
            &[
                "COLUMNS . from_user_id . name ()",
                "COLUMNS . to_user_id . name ()",
                "COLUMNS . user_id . name ()",
                "COLUMNS . tag_id . name ()",
                "Junction :: Model (< User as :: m2m :: Model > :: TABLE)",
                "true , true ,)",
            ],
        );
    }
}
