//! The typed model of a `#[derive(Model)]` struct: its table, columns, key
//! and relations, with every name resolved (attribute or default) and every
//! user token kept for spans. Rules about one field or one attribute are
//! checked here; rules across fields live in `check.rs`.
//!
//! An invalid value is reported and replaced by its default, so the
//! expansion still happens and one mistake does not cascade.

use darling::error::Accumulator;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{
    Data, DeriveInput, Fields, GenericArgument, Ident, LitStr, Path, PathArguments, Type,
    Visibility,
};

use crate::attr::{self, ContainerAttr, FieldAttr, RelationAttr};
use crate::case::snake_case;

/// A resolved SQL or Rust name and the token to blame for it.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub value: String,
    pub span: Span,
    /// Written in an attribute, rather than derived by default.
    pub explicit: bool,
}

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
    /// Index in `fields` of the primary key; `None` when it is missing or
    /// invalid (already reported), and the expansion uses a stand-in key.
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
    /// The auto-created junction table; unused with `through_model`.
    pub through: Name,
    /// The reverse accessor on `T`; `None` for `"+"`, symmetrical
    /// relations, and names already reported as invalid.
    pub related_name: Option<Name>,
    pub symmetrical: bool,
    /// The junction column of the owner; with `through_model`, the through
    /// model's field holding the owner's key.
    pub source: Name,
    /// The junction column of `T`; with `through_model`, the through
    /// model's field holding `T`'s key.
    pub target_col: Name,
    pub through_model: Option<ThroughModel>,
}

/// `through_model = Path`: the junction is that model's table, and the
/// relation's `source` and `target` name its fields.
pub(crate) struct ThroughModel {
    /// The path as written, `Self` replaced by the struct's name.
    pub path: TokenStream,
    /// The path's last segment: blamed for "not a model", a key SQLite does
    /// not assign, and a missing default field.
    pub span: Span,
    /// The fields holding the owner's and `T`'s keys, spanned at their
    /// `source`/`target` value (at the path when defaulted). `None` when the
    /// value was rejected (already reported): that side is then not checked,
    /// so the mistake is not reported twice.
    pub source: Option<Ident>,
    pub target: Option<Ident>,
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

impl<'a> Model<'a> {
    /// Reads the struct; `None` when its shape allows no expansion at all
    /// (not a struct with named fields, or generic).
    pub fn from_input(input: &'a DeriveInput, errors: &mut Accumulator) -> Option<Self> {
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => Some(named),
                _ => None,
            },
            _ => None,
        };
        let Some(named) = named else {
            errors.push(
                error(
                    "`#[derive(Model)]` needs a struct with named fields, e.g. `struct Tag { id: i64, name: String }`",
                )
                .with_span(&input.ident),
            );
            return None;
        };
        if !input.generics.params.is_empty() {
            errors.push(
                error("`#[derive(Model)]` does not support generic structs: a model is one table with fixed column types")
                    .with_span(&input.generics),
            );
            return None;
        }
        for attr in input
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("many_to_many"))
        {
            errors.push(error(MANY_TO_MANY_PLACE).with_span(attr));
        }

        let container: ContainerAttr =
            attr::parse(&attr::options(&input.attrs, "model", errors), errors);
        let name = input.ident.unraw().to_string();
        let snake = snake_case(&name);
        let table = sql_name(
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
        model.key = model.find_key(errors);
        Some(model)
    }

    fn field_kind(&self, field: &syn::Field, ident: &Ident, errors: &mut Accumulator) -> Kind {
        let field_name = ident.unraw().to_string();
        let attr: FieldAttr = attr::parse(&attr::options(&field.attrs, "model", errors), errors);
        let has_relation_attr = field
            .attrs
            .iter()
            .any(|a| a.path().is_ident("many_to_many"));

        match relation_target(&field.ty) {
            Some(target) => {
                for (option, span) in attr.given() {
                    errors.push(
                        error(format!(
                            "`#[model({option})]` is a column option and `{field_name}` is a relation, not a column: remove it"
                        ))
                        .with_span(&span),
                    );
                }
                let options: RelationAttr =
                    attr::parse(&attr::options(&field.attrs, "many_to_many", errors), errors);
                match model_path(target) {
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
                        errors.push(error(problem).with_span(target));
                        Kind::Skipped
                    }
                }
            }
            None if has_relation_attr => {
                errors.push(error(MANY_TO_MANY_PLACE).with_span(&field.ty));
                // Not a column either: whatever the type, loading fills it with its default.
                Kind::Skipped
            }
            // Including `ManyToMany` without its one type argument: rustc
            // reports that, and a type of the user's own by that name is a column.
            None => column(field, ident, &field_name, &attr, errors),
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
        // `Self`, `User` or a path ending in `User` inside `User`: a path is
        // checked to name the struct by the expansion (`self_path`).
        let is_self = target_path.is_ident("Self")
            || target_path
                .segments
                .last()
                .is_some_and(|s| s.ident.unraw() == self.ident.unraw());
        let self_path =
            (is_self && target_path.segments.len() > 1).then(|| target.to_token_stream());
        let (target_tokens, target_name, target_doc) = if target_path.is_ident("Self") {
            let mut own = self.ident.clone();
            own.set_span(target.span());
            (
                own.into_token_stream(),
                self.name.clone(),
                self.name.clone(),
            )
        } else {
            let last = target_path
                .segments
                .last()
                .map_or_else(String::new, |s| s.ident.unraw().to_string());
            let doc = if is_self {
                self.name.clone()
            } else {
                doc_path(target_path)
            };
            (target.to_token_stream(), last, doc)
        };
        let target_snake = snake_case(&target_name);

        if let (Some(model), Some(_)) = (&options.through_model, &options.through) {
            // The expansion keeps the through model, so pivot calls still resolve.
            errors.push(
                error("use either `through` (a plain junction table) or `through_model` (a junction model with pivot columns), not both")
                    .with_span(model),
            );
        }
        let through = sql_name(
            "through",
            options.through.as_ref(),
            ident.span(),
            errors,
            || format!("{}_{}", self.table.value, field_name),
        );

        let mut symmetrical = options.symmetrical.is_present();
        if symmetrical && !is_self {
            errors.push(
                error(format!(
                    "`symmetrical` needs a relation to `Self`, e.g. `friends: ManyToMany<Self>`; `{field_name}` relates `{}` to `{target_name}`, so remove `symmetrical`",
                    self.name
                ))
                .with_span(&options.symmetrical.span()),
            );
            symmetrical = false;
        }

        let related_name = match &options.related_name {
            Some(lit) if symmetrical => {
                errors.push(
                    error(format!(
                        "`related_name` does not apply to a `symmetrical` relation: it reads the same from both sides, so `{field_name}` is its only accessor; remove `related_name`"
                    ))
                    .with_span(lit),
                );
                None
            }
            _ if symmetrical => None,
            lit => related_name(lit.as_ref(), ident.span(), errors, || {
                format!("{}_set", self.snake)
            }),
        };

        let (source_default, target_default) = link_defaults(&self.snake, &target_name, is_self);
        let (source, mut target_col, mut through_model) = match &options.through_model {
            None => (
                sql_name(
                    "source",
                    options.source.as_ref(),
                    ident.span(),
                    errors,
                    || source_default,
                ),
                sql_name(
                    "target",
                    options.target.as_ref(),
                    ident.span(),
                    errors,
                    || target_default,
                ),
                None,
            ),
            Some(path) => {
                let model = self.through_model(path);
                let (source, source_ident) = through_field(
                    "source",
                    options.source.as_ref(),
                    &model,
                    errors,
                    source_default,
                );
                let (target_col, target_ident) = through_field(
                    "target",
                    options.target.as_ref(),
                    &model,
                    errors,
                    target_default,
                );
                let model = ThroughModel {
                    source: source_ident,
                    target: target_ident,
                    ..model
                };
                (source, target_col, Some(model))
            }
        };
        if source.value == target_col.value {
            let blame = if target_col.explicit || !source.explicit {
                target_col.span
            } else {
                source.span
            };
            let (what, name_them) = match &options.through_model {
                None => ("junction column".to_owned(), "name"),
                Some(path) => (format!("field of `{}`", last_name(path)), "field"),
            };
            let message = if source.explicit || target_col.explicit {
                format!(
                    "`source` and `target` name the same {what} `{}`: give each its own {name_them}, e.g. `source = \"{}_id\"`, `target = \"{target_snake}_id\"`",
                    source.value, self.snake
                )
            } else {
                let what = match &options.through_model {
                    None => "both junction columns".to_owned(),
                    Some(path) => format!("both key fields of `{}`", last_name(path)),
                };
                format!(
                    "{what} for `{field_name}` default to `{}`: name them, e.g. `#[many_to_many(source = \"from_{}_id\", target = \"to_{target_snake}_id\")]`",
                    source.value, self.snake
                )
            };
            errors.push(error(message).with_span(&blame));
            match &mut through_model {
                // Keep the expansion valid: the runtime needs two distinct columns.
                None => target_col.value = format!("to_{target_snake}_id"),
                // Not checked again: one report of the mistake is enough.
                Some(model) => model.target = None,
            }
        }

        Relation {
            target: target_tokens,
            target_span: target.span(),
            target_name,
            target_doc,
            is_self,
            self_path,
            through,
            related_name,
            symmetrical,
            source,
            target_col,
            through_model,
        }
    }

    /// The through model's path with `Self` resolved; its fields are filled
    /// in by the caller.
    fn through_model(&self, path: &Path) -> ThroughModel {
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
        ThroughModel {
            path: tokens,
            span,
            source: None,
            target: None,
        }
    }

    fn find_key(&self, errors: &mut Accumulator) -> Option<usize> {
        let mut marked = self
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((i, f.column()?.primary_key?)));
        let key = if let Some((first, _)) = marked.next() {
            for (_, span) in marked {
                errors.push(
                    error(format!(
                        "`{}` already has a primary key, `{}`: keep `#[model(primary_key)]` on one field",
                        self.name, self.fields[first].name
                    ))
                    .with_span(&span),
                );
            }
            first
        } else {
            let Some(i) = self.fields.iter().position(|f| f.name == "id") else {
                errors.push(
                    error(format!(
                        "`{}` has no primary key: add a field `id: i64` or mark one with `#[model(primary_key)]`",
                        self.name
                    ))
                    .with_span(self.ident),
                );
                return None;
            };
            let id = &self.fields[i];
            let why = match id.kind {
                Kind::Column(_) => None,
                Kind::Skipped => Some("it is not stored"),
                Kind::Relation(_) => Some("it is a relation"),
            };
            if let Some(why) = why {
                errors.push(
                    error(format!(
                        "`{}` has no primary key: `id` cannot be the key because {why}; mark a stored field with `#[model(primary_key)]`",
                        self.name
                    ))
                    .with_span(id.ident),
                );
                return None;
            }
            i
        };
        let field = &self.fields[key];
        if field.column().is_some_and(|c| c.nullable) {
            errors.push(
                error(format!(
                    "the primary key cannot be an `Option`: every row has a key; write e.g. `{}: i64` (`0` until the row is inserted)",
                    field.name
                ))
                .with_span(field.ty),
            );
            return None;
        }
        Some(key)
    }
}

/// Where `#[many_to_many]` belongs, for misplaced ones.
const MANY_TO_MANY_PLACE: &str =
    "`#[many_to_many]` goes on a field of type `ManyToMany<T>`, e.g. `tags: ManyToMany<Tag>`";

fn column(
    field: &syn::Field,
    ident: &Ident,
    field_name: &str,
    attr: &FieldAttr,
    errors: &mut Accumulator,
) -> Kind {
    let mut skip = attr.skip.is_present();
    if skip && attr.primary_key.is_present() {
        errors.push(
            error("the primary key is always stored: remove `skip`").with_span(&attr.skip.span()),
        );
        skip = false;
    }
    if skip {
        for (option, span) in attr.given() {
            if option != "skip" {
                errors.push(
                    error(format!(
                        "`{option}` does not apply to a skipped field, which has no column: remove `{option}` or `skip`"
                    ))
                    .with_span(&span),
                );
            }
        }
        return Kind::Skipped;
    }
    let (value_ty, nullable) = strip_option(&field.ty);
    Kind::Column(Column {
        name: sql_name("column", attr.column.as_ref(), ident.span(), errors, || {
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

fn error(message: impl std::fmt::Display) -> darling::Error {
    darling::Error::custom(message)
}

/// The value of a `table`/`column`/`through`/`source`/`target` option, or its
/// default when absent or invalid.
fn sql_name(
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
            return Name {
                value,
                span: lit.span(),
                explicit: true,
            };
        }
        errors.push(
            error(format!(
                "`{option}` must be a plain SQL identifier (letters, digits, `_`), got `{value:?}`; write e.g. `{option} = \"{}\"`",
                sanitize(&value, &default)
            ))
            .with_span(lit),
        );
    }
    Name {
        value: default,
        span: default_span,
        explicit: false,
    }
}

/// The through model's field named by `source`/`target`, or its default
/// (spanned at the through model). The identifier is `None` when the given
/// value is not one (reported).
fn through_field(
    option: &str,
    lit: Option<&LitStr>,
    model: &ThroughModel,
    errors: &mut Accumulator,
    default: String,
) -> (Name, Option<Ident>) {
    let Some(lit) = lit else {
        let ident = field_ident(&default, model.span);
        let name = Name {
            value: default,
            span: model.span,
            explicit: false,
        };
        return (name, ident);
    };
    let value = lit.value();
    let name = Name {
        value: value.strip_prefix("r#").unwrap_or(&value).to_owned(),
        span: lit.span(),
        explicit: true,
    };
    let ident = field_ident(&value, lit.span());
    if ident.is_none() {
        let model = model.path.to_string().replace(' ', "");
        errors.push(
            error(format!(
                "`{option}` names a field of the through model `{model}`, so it must be a Rust identifier, got `{value:?}`; write e.g. `{option} = \"{}\"`",
                sanitize(&value, &default)
            ))
            .with_span(lit),
        );
    }
    (name, ident)
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
fn last_name(path: &Path) -> String {
    path.segments
        .last()
        .map_or_else(String::new, |s| s.ident.unraw().to_string())
}

/// The reverse accessor's name: `None` for `"+"` or an invalid name.
fn related_name(
    lit: Option<&LitStr>,
    default_span: Span,
    errors: &mut Accumulator,
    default: impl FnOnce() -> String,
) -> Option<Name> {
    let Some(lit) = lit else {
        return Some(Name {
            value: default(),
            span: default_span,
            explicit: false,
        });
    };
    let value = lit.value();
    if value == "+" {
        return None;
    }
    if is_snake_ident(&value) {
        return Some(Name {
            value,
            span: lit.span(),
            explicit: true,
        });
    }
    let suggestion = sanitize(&snake_case(&value), &default()).to_ascii_lowercase();
    errors.push(
        error(format!(
            "`related_name` must be a snake_case Rust identifier (or `\"+\"` for no reverse accessor), got `{value:?}`; write e.g. `related_name = \"{suggestion}\"`"
        ))
        .with_span(lit),
    );
    None
}

/// `x` as a path for an intra-doc link, without generic arguments.
fn doc_path(path: &Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let lead = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{lead}{}", segments.join("::"))
}

// ---- pure helpers ----

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

/// Looks through the invisible groups of `macro_rules!` fragments and parentheses.
fn strip_groups(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => strip_groups(&g.elem),
        Type::Paren(p) => strip_groups(&p.elem),
        _ => ty,
    }
}

/// The last segment of a plain path type: `Option<T>`, `std::string::String`.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match strip_groups(ty) {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The only type argument of the last segment: the `T` of `Option<T>`.
fn single_type_arg(segment: &syn::PathSegment) -> Option<&Type> {
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
fn model_path(target: &Type) -> Result<&Path, String> {
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

    /// Parses a type; a typo in a test shows up as `Type::Never`, which
    /// classifies as nothing and fails the assertion.
    fn ty(s: &str) -> Type {
        match syn::parse_str(s) {
            Ok(t) => t,
            Err(_) => syn::parse_quote!(!),
        }
    }

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
        assert_eq!(
            target("m2m_core::ManyToMany<Self>").as_deref(),
            Some("Self")
        );
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
