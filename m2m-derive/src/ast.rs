//! The typed model of a `#[derive(Model)]` struct: its table, columns and
//! relations, every name resolved (`name.rs`) and every user token kept for
//! spans, and the code that reads them from syn. Rules about one field or
//! attribute are applied while reading (`valid.rs`); rules across fields,
//! the key's included, afterwards (`check.rs`).
//!
//! An invalid value is reported and replaced by its default, so the
//! expansion still happens and one mistake does not cascade.

use darling::error::Accumulator;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, LitStr, Path, Type, Visibility};

use crate::attr::{self, ContainerAttr, FieldAttr, RelationAttr};
use crate::case::snake_case;
use crate::name::{self, Name};
use crate::report::Report;
use crate::ty;
use crate::valid::{self, Named};

/// The struct being derived.
pub(crate) struct Model<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    /// The struct's name without `r#` (`Article`).
    pub name: String,
    /// snake_case of `name` (`blog_post`), the stem of default names.
    pub snake: String,
    pub table: Name,
    pub fields: Vec<Field<'a>>,
    /// Index in `fields` of the primary key, found by `check::check`; `None`
    /// when it is missing or invalid (reported), and the expansion uses a
    /// stand-in key.
    pub key: Option<usize>,
}

/// One named field.
pub(crate) struct Field<'a> {
    /// As written, `r#` included: used for field access.
    pub ident: &'a Ident,
    /// Without `r#`: used for SQL names and messages.
    pub name: String,
    pub vis: &'a Visibility,
    pub ty: &'a Type,
    pub kind: Kind,
}

/// What a field is to the model.
pub(crate) enum Kind {
    Column(Column),
    /// Not stored (`#[model(skip)]`, or a field whose declaration was
    /// reported as wrong): `Default::default()` when a row is loaded.
    Skipped,
    Relation(Relation),
}

/// A stored field.
pub(crate) struct Column {
    pub name: Name,
    /// The field type with one `Option<..>` stripped.
    pub value_ty: Type,
    pub nullable: bool,
    pub unique: bool,
    pub index: bool,
    /// Span of `primary_key` when the field is marked with it.
    pub primary_key: Option<Span>,
}

/// A `ManyToMany<T>` field.
pub(crate) struct Relation {
    /// `T`, with `Self` replaced by the struct's name.
    pub target: TokenStream,
    /// The span of `T` as written, for "`T` is not an m2m model" errors.
    pub target_span: Span,
    /// `T`'s name without path or `r#` (`Tag`).
    pub target_name: String,
    /// `T` as a path for doc links (`crate::Tag`).
    pub target_doc: String,
    /// `T` is `Self` or the struct itself (by name or by a path ending in it).
    pub is_self: bool,
    /// `T` as written, when a path of several segments (`crate::User`) was
    /// taken for `Self`: the expansion checks that it names the struct.
    pub self_path: Option<TokenStream>,
    /// Where the links are stored.
    pub junction: Junction,
    /// The reverse accessor on `T`; `None` for `"+"`, symmetrical
    /// relations, and names already reported as invalid.
    pub related_name: Option<Name>,
    pub symmetrical: bool,
}

/// Where a relation's links are stored: the runtime's `Junction`.
pub(crate) enum Junction {
    /// A table of two key columns that m2m creates: `through = "..."`, by
    /// default `{owner_table}_{field}`.
    Table {
        name: Name,
        /// The column holding the owner's key (`source`).
        source: Name,
        /// The column holding `T`'s key (`target`).
        target: Name,
    },
    /// `through_model = Path`: the through model's table, whose rows carry
    /// pivot data.
    Model(ThroughModel),
}

/// `through_model = Path`: the junction is that model's table, and the
/// relation's `source` and `target` name its fields.
pub(crate) struct ThroughModel {
    /// The path as written, `Self` replaced by the struct's name.
    pub path: TokenStream,
    /// The path's last segment: blamed for "not a model", a key SQLite does
    /// not assign, and a missing default field.
    pub span: Span,
    /// The field holding the owner's key (`source`).
    pub source: LinkField,
    /// The field holding `T`'s key (`target`).
    pub target: LinkField,
}

/// A through model's field named by `source` or `target`.
pub(crate) struct LinkField {
    /// As written without `r#`, or the default; spanned at the value (at
    /// the through model's path when defaulted).
    pub name: Name,
    /// The field, spanned like `name`. `None` when the value was rejected
    /// (reported): that side is then not checked, so the mistake is not
    /// reported twice, and `name` stands in as the column's text.
    pub ident: Option<Ident>,
}

impl Field<'_> {
    pub fn column(&self) -> Option<&Column> {
        match &self.kind {
            Kind::Column(c) => Some(c),
            _ => None,
        }
    }
    pub fn relation(&self) -> Option<&Relation> {
        match &self.kind {
            Kind::Relation(r) => Some(r),
            _ => None,
        }
    }
}

impl Junction {
    /// The names `source` and `target` resolved to: junction columns, or
    /// the through model's fields.
    pub fn links(&self) -> (&Name, &Name) {
        match self {
            Junction::Table { source, target, .. } => (source, target),
            Junction::Model(model) => (&model.source.name, &model.target.name),
        }
    }
}

/// What a relation's `T` names.
struct Target {
    tokens: TokenStream,
    name: String,
    doc: String,
    is_self: bool,
    self_path: Option<TokenStream>,
}

impl<'a> Model<'a> {
    /// Reads the struct; `None` when its shape allows no expansion at all
    /// (not a struct with named fields, or generic).
    pub fn from_input(input: &'a DeriveInput, errors: &mut Accumulator) -> Option<Self> {
        let named = valid::shape(input, errors)?;
        let container: ContainerAttr =
            attr::parse(&attr::options(&input.attrs, "model", errors), errors);
        let name = input.ident.unraw().to_string();
        let snake = snake_case(&name);
        let table = name::sql_name(
            "table",
            container.table.as_ref(),
            input.ident.span(),
            errors,
            || snake.clone(),
        );

        let mut model = Model {
            ident: &input.ident,
            vis: &input.vis,
            name,
            snake,
            table,
            fields: Vec::new(),
            key: None,
        };
        for field in &named.named {
            let Some(ident) = &field.ident else { continue };
            let kind = model.field_kind(field, ident, errors);
            model.fields.push(Field {
                ident,
                name: ident.unraw().to_string(),
                vis: &field.vis,
                ty: &field.ty,
                kind,
            });
        }
        Some(model)
    }

    fn field_kind(&self, field: &syn::Field, ident: &Ident, errors: &mut Accumulator) -> Kind {
        let field_name = ident.unraw().to_string();
        let attr: FieldAttr = attr::parse(&attr::options(&field.attrs, "model", errors), errors);
        let has_relation_attr = field
            .attrs
            .iter()
            .any(|a| a.path().is_ident("many_to_many"));

        match ty::relation_target(&field.ty) {
            Some(target) => {
                valid::no_column_options(&attr, &field_name, errors);
                let options: RelationAttr =
                    attr::parse(&attr::options(&field.attrs, "many_to_many", errors), errors);
                match ty::model_path(target) {
                    Ok(path) => Kind::Relation(self.relation(
                        ident,
                        &field_name,
                        target,
                        path,
                        options,
                        errors,
                    )),
                    Err(problem) => {
                        // Not expanded: every item generated for it would fail again.
                        errors.report(target, problem);
                        Kind::Skipped
                    }
                }
            }
            None if has_relation_attr => {
                valid::misplaced_relation_attr(&field.ty, errors);
                // Not a column either: whatever the type, loading fills it with its default.
                Kind::Skipped
            }
            // Including `ManyToMany` without its one type argument: rustc
            // reports that, and a type of the user's own by that name is a column.
            None => column(field, ident, &field_name, &attr, errors),
        }
    }

    /// What `T` of `ManyToMany<T>` names: `Self`, `User` or a path ending in
    /// `User` inside `User` is the struct itself (a path is checked to name
    /// it by the expansion, `self_path`).
    fn target(&self, target: &Type, path: &Path) -> Target {
        let is_self = path.is_ident("Self")
            || path
                .segments
                .last()
                .is_some_and(|s| s.ident.unraw() == self.ident.unraw());
        let self_path = (is_self && path.segments.len() > 1).then(|| target.to_token_stream());
        if path.is_ident("Self") {
            let mut own = self.ident.clone();
            own.set_span(target.span());
            return Target {
                tokens: own.into_token_stream(),
                name: self.name.clone(),
                doc: self.name.clone(),
                is_self,
                self_path,
            };
        }
        let doc = if is_self {
            self.name.clone()
        } else {
            name::doc_path(path)
        };
        Target {
            tokens: target.to_token_stream(),
            name: name::last_name(path),
            doc,
            is_self,
            self_path,
        }
    }

    fn relation(
        &self,
        ident: &Ident,
        field_name: &str,
        target: &Type,
        target_path: &Path,
        options: RelationAttr,
        errors: &mut Accumulator,
    ) -> Relation {
        let Target {
            tokens: target_tokens,
            name: target_name,
            doc: target_doc,
            is_self,
            self_path,
        } = self.target(target, target_path);
        let named = Named {
            owner: &self.name,
            owner_snake: &self.snake,
            field_name,
            target_name: &target_name,
        };

        valid::through_or_model(&options, errors);
        // Read even beside a through model, which wins: a bad value is still reported.
        let through = name::sql_name(
            "through",
            options.through.as_ref(),
            ident.span(),
            errors,
            || format!("{}_{}", self.table.value, field_name),
        );
        let symmetrical = valid::symmetrical(&options.symmetrical, is_self, &named, errors);
        let related_name = if symmetrical {
            valid::no_related_name(options.related_name.as_ref(), field_name, errors);
            None
        } else {
            name::related_name(options.related_name.as_ref(), ident.span(), errors, || {
                format!("{}_set", self.snake)
            })
        };
        let mut junction = match &options.through_model {
            None => self.junction_table(through, ident.span(), &options, &named, is_self, errors),
            Some(path) => {
                Junction::Model(self.through_model(path, &options, &named, is_self, errors))
            }
        };
        let (source, target_link) = junction.links();
        if !valid::distinct_links(
            source,
            target_link,
            options.through_model.as_ref(),
            &named,
            errors,
        ) {
            match &mut junction {
                // Keep the expansion valid: the runtime needs two distinct columns.
                Junction::Table { target, .. } => {
                    target.value = format!("to_{}_id", snake_case(&target_name));
                }
                // Not checked again: one report of the mistake is enough.
                Junction::Model(model) => model.target.ident = None,
            }
        }

        Relation {
            target: target_tokens,
            target_span: target.span(),
            target_name,
            target_doc,
            is_self,
            self_path,
            junction,
            related_name,
            symmetrical,
        }
    }

    /// The junction table m2m creates and its two columns.
    fn junction_table(
        &self,
        name: Name,
        default_span: Span,
        options: &RelationAttr,
        named: &Named<'_>,
        is_self: bool,
        errors: &mut Accumulator,
    ) -> Junction {
        let (source_default, target_default) =
            name::link_defaults(&self.snake, named.target_name, is_self);
        let mut column = |option, lit: Option<&LitStr>, default: String| {
            name::sql_name(option, lit, default_span, errors, || default)
        };
        let source = column("source", options.source.as_ref(), source_default);
        let target = column("target", options.target.as_ref(), target_default);
        Junction::Table {
            name,
            source,
            target,
        }
    }

    /// The through model, its path with `Self` resolved, and the fields
    /// `source` and `target` name.
    fn through_model(
        &self,
        path: &Path,
        options: &RelationAttr,
        named: &Named<'_>,
        is_self: bool,
        errors: &mut Accumulator,
    ) -> ThroughModel {
        let span = path
            .segments
            .last()
            .map_or_else(|| path.span(), |s| s.ident.span());
        let tokens = if path.is_ident("Self") {
            let mut own = self.ident.clone();
            own.set_span(span);
            own.into_token_stream()
        } else {
            path.to_token_stream()
        };
        let written = tokens.to_string().replace(' ', "");
        let (source_default, target_default) =
            name::link_defaults(&self.snake, named.target_name, is_self);
        let mut link = |option: &str, lit, default| {
            let (name, ident) = name::link_field(option, lit, &written, span, errors, default);
            LinkField { name, ident }
        };
        let source = link("source", options.source.as_ref(), source_default);
        let target = link("target", options.target.as_ref(), target_default);
        ThroughModel {
            path: tokens,
            span,
            source,
            target,
        }
    }
}

fn column(
    field: &syn::Field,
    ident: &Ident,
    field_name: &str,
    attr: &FieldAttr,
    errors: &mut Accumulator,
) -> Kind {
    if valid::skip(attr, errors) {
        return Kind::Skipped;
    }
    let (value_ty, nullable) = ty::strip_option(&field.ty);
    Kind::Column(Column {
        name: name::sql_name("column", attr.column.as_ref(), ident.span(), errors, || {
            field_name.to_owned()
        }),
        value_ty: value_ty.clone(),
        nullable,
        unique: attr.unique.is_present(),
        index: attr.index.is_present(),
        primary_key: attr
            .primary_key
            .is_present()
            .then(|| attr.primary_key.span()),
    })
}
