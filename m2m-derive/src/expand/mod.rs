//! Code generation: the static table and relation descriptions, the `Model`
//! impl, and the one-line accessors that hand them to the runtime. One
//! function per generated item, as methods of [`Expand`] (the model's items,
//! `model.rs`) and [`ExpandRelation`] (one relation's, `relation.rs`; its
//! compile-time checks, `checks.rs`). The expansions of canonical models are
//! pinned down by the snapshots in `tests/expand/`.
//!
//! Every generated function that is not generic is `#[inline]`: they are
//! one-line wrappers, and a crate compiles a non-generic function that is
//! not inline to machine code whether it is called or not (for 100 models
//! of two relations, `scripts/compile_cost.py`, a fifth of the build).

mod checks;
mod model;
mod relation;
#[cfg(test)]
mod snapshots;

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};

use crate::ast::{self, Field, Model};
use crate::check;
use relation::ExpandRelation;

/// `#[derive(Model)]`: the compile errors, if any, followed by the expansion
/// (built with defaults in place of invalid values, so one mistake does not
/// cascade into errors at every use of the model).
pub fn derive(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let mut errors = darling::Error::accumulator();
    let expansion = match ast::Model::from_input(&input, &mut errors) {
        Some(mut model) => {
            check::check(&mut model, &mut errors);
            Expand::new(&model).expand()
        }
        None => TokenStream::new(),
    };
    let errors = match errors.finish() {
        Ok(()) => TokenStream::new(),
        Err(error) => error.write_errors(),
    };
    quote! {
        #errors
        #expansion
    }
}

/// The expansion of one model.
struct Expand<'m> {
    model: &'m Model<'m>,
    /// `{Struct}Columns`.
    columns_ident: Ident,
    /// The key field; `None` when it is missing or invalid (reported).
    key: Option<&'m Field<'m>>,
    /// The stored fields, in column order.
    columns: Vec<(&'m Field<'m>, &'m ast::Column)>,
    relations: Vec<ExpandRelation<'m>>,
}

impl<'m> Expand<'m> {
    fn new(model: &'m Model<'m>) -> Self {
        let ident = model.ident;
        let columns = model
            .fields
            .iter()
            .filter_map(|f| Some((f, f.column()?)))
            .collect();
        let relations = model
            .fields
            .iter()
            .filter_map(|f| Some((f, f.relation()?)))
            .enumerate()
            .map(|(i, (field, relation))| ExpandRelation::new(model, field, relation, i))
            .collect();
        Expand {
            model,
            columns_ident: format_ident!("{}Columns", ident, span = ident.span()),
            key: model.key.map(|k| &model.fields[k]),
            columns,
            relations,
        }
    }

    /// Whether `field` is the key.
    fn is_key(&self, field: &Field<'_>) -> bool {
        self.key.is_some_and(|k| std::ptr::eq(k, field))
    }

    /// Every item: the columns struct beside the model, the rest in a
    /// `const _` block, whose statics only the generated items can name.
    fn expand(&self) -> TokenStream {
        let columns_struct = self.columns_struct();
        let table = self.table_static();
        let relation_statics = self.relations.iter().map(ExpandRelation::statics);
        let relation_list = self.relation_list_static();
        let model_impl = self.model_impl();
        let pivot_impl = self.pivot_impl();
        let into_key = self.key_impls();
        let forward = self.forward_accessors();
        let reverse = self.relations.iter().map(ExpandRelation::reverse_accessors);
        quote! {
            #columns_struct
            const _: () = {
                #table
                #(#relation_statics)*
                #relation_list
                #model_impl
                #pivot_impl
                #into_key
                #forward
                #(#reverse)*
            };
        }
    }
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The compile errors in an expansion, by message.
    pub(super) fn errors(output: &TokenStream) -> Vec<String> {
        let mut out = Vec::new();
        let mut tokens = output.clone().into_iter().peekable();
        while let Some(tree) = tokens.next() {
            if let TokenTree::Ident(ident) = &tree
                && ident == "compile_error"
            {
                // compile_error ! { "message" }
                let _bang = tokens.next();
                if let Some(TokenTree::Group(group)) = tokens.next() {
                    out.push(group.stream().to_string());
                }
            }
        }
        out
    }

    pub(super) fn has_item(output: &TokenStream, item: &str) -> bool {
        output.to_string().contains(item)
    }

    /// Every item is in the expansion.
    pub(super) fn assert_items(output: &TokenStream, items: &[&str]) {
        for item in items {
            assert!(has_item(output, item), "{item} in {output}");
        }
    }

    /// The expansion reports `count` errors, and every needle is in one of
    /// their messages.
    pub(super) fn assert_errors(output: &TokenStream, count: usize, needles: &[&str]) {
        let errors = errors(output);
        assert_eq!(errors.len(), count, "{errors:#?}");
        for needle in needles {
            assert!(
                errors.iter().any(|e| e.contains(needle)),
                "{needle}: {errors:#?}"
            );
        }
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let out = derive(quote! {
            #[model(tabel = "x")]
            struct Article {
                #[model(column = "a b")]
                title: String,
                #[many_to_many(thorugh = "y", symmetrical)]
                tags: ManyToMany<Tag>,
            }
        });
        assert_errors(
            &out,
            5,
            &[
                "tabel",
                "`column`",
                "thorugh",
                "`symmetrical`",
                "no primary key",
            ],
        );
        // ...and the expansion is still there, with a stand-in key.
        assert!(has_item(&out, "fn tags"));
        assert!(has_item(&out, "NoKey"));
    }

    #[test]
    fn invalid_values_fall_back_to_defaults() {
        let out = derive(quote! {
            struct Article {
                id: i64,
                #[many_to_many(through = "article tags", related_name = "Bad Name")]
                tags: ManyToMany<Tag>,
            }
        });
        assert_eq!(errors(&out).len(), 2);
        assert!(has_item(&out, "\"article_tags\""));
        assert!(has_item(&out, "fn tags"));
        // An invalid reverse name is dropped rather than guessed.
        assert!(!has_item(&out, "article_set"));
    }

    #[test]
    fn odd_attribute_forms_report_errors() {
        for input in [
            quote!(
                #[model = "x"]
                struct A {
                    id: i64,
                }
            ),
            quote!(
                struct A {
                    #[model(column = 5)]
                    id: i64,
                }
            ),
            quote!(
                struct A {
                    #[model(column)]
                    id: i64,
                }
            ),
            quote!(
                struct A {
                    #[model(unique, unique)]
                    id: i64,
                }
            ),
            quote!(
                struct A {
                    #[model(unique = "yes")]
                    id: i64,
                }
            ),
            quote!(
                struct A {
                    #[model("id")]
                    id: i64,
                }
            ),
            quote!(
                struct A {
                    #[model(,,)]
                    id: i64,
                }
            ),
            quote!(
                struct A {
                    id: i64,
                    #[many_to_many(symmetrical = true)]
                    f: ManyToMany<Self>,
                }
            ),
            quote!(
                struct A {
                    id: i64,
                    #[many_to_many(through_model = "not a path")]
                    f: ManyToMany<B>,
                }
            ),
            quote!(
                struct A {
                    id: i64,
                    f: ManyToMany<&'static B>,
                }
            ),
            quote!(
                #[many_to_many]
                struct A {
                    id: i64,
                }
            ),
            quote!(
                struct A {}
            ),
            quote!(union A { id: i64 }),
            quote!(
                struct A;
            ),
            quote!(
                struct A<'a> {
                    id: &'a i64,
                }
            ),
            quote!(
                fn not_an_item_we_take() {}
            ),
        ] {
            let out = derive(input.clone());
            assert!(!errors(&out).is_empty(), "no error for {input}");
        }
    }

    #[test]
    fn string_options_given_a_path_say_to_quote_them() {
        let out = derive(quote! {
            #[model(table = tags)]
            struct Article {
                id: i64,
                #[model(column = headline)]
                title: String,
                #[many_to_many(through = Membership, source = owner_id, target = tag_id, related_name = articles)]
                tags: ManyToMany<Tag>,
            }
        });
        assert_errors(
            &out,
            6,
            &[
                "`table = \\\"tags\\\"`",
                "`column = \\\"headline\\\"`",
                "`through = \\\"membership\\\"`",
                "`through_model = Membership`",
                "`source = \\\"owner_id\\\"`",
                "`target = \\\"tag_id\\\"`",
                "`related_name = \\\"articles\\\"`",
            ],
        );
        // The other options are kept; the bad ones take their defaults.
        assert!(has_item(&out, "fn article_set"));
    }

    #[test]
    fn many_to_many_without_its_argument_is_left_to_rustc() {
        // rustc reports the missing generic; a user type of that name is a column.
        let out = derive(quote!(
            struct A {
                id: i64,
                f: ManyToMany,
            }
        ));
        assert_eq!(errors(&out), Vec::<String>::new());
        assert!(has_item(&out, "Column < A , ManyToMany >"));
    }

    #[test]
    fn a_target_that_is_not_one_model_is_not_expanded() {
        for target in [
            quote!(Vec<Tag>),
            quote!(&'static Tag),
            quote!((Tag, Label)),
            quote!(tags::Tag<i64>),
        ] {
            let out = derive(quote! {
                struct Article {
                    id: i64,
                    tags: ManyToMany<#target>,
                }
            });
            let errors = errors(&out);
            assert_eq!(errors.len(), 1, "{target}: {errors:#?}");
            assert!(errors[0].contains("one model"), "{errors:#?}");
            assert!(!has_item(&out, "fn tags"), "{target}");
        }
    }
}
