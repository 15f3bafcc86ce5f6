//! Relations as types: the typed descriptor (`Article::TAGS`, a
//! [`Relation`]), what sits in the junction ([`Through`], [`Pivot`]), and the
//! shapes of the calls' inputs and reports ([`SyncMode`], [`SyncReport`]).
//! The accessor and its calls are in `related.rs`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use crate::def::RelationDef;
use crate::value::{BindError, SqlValue};
use crate::{Model, Related};

/// What sits in a relation's junction rows besides the two keys: `()` for a
/// plain junction table, the through model for a relation declared with
/// `through_model = ...`.
pub trait Through: 'static {
    #[doc(hidden)]
    /// Hands every column value but the key to `f` with its column's name,
    /// in column order (nothing for `()`).
    fn __each_value(
        &self,
        f: &mut dyn FnMut(&'static str, &dyn SqlValue) -> Result<(), BindError>,
    ) -> Result<(), BindError>;
}

impl Through for () {
    fn __each_value(
        &self,
        _: &mut dyn FnMut(&'static str, &dyn SqlValue) -> Result<(), BindError>,
    ) -> Result<(), BindError> {
        Ok(())
    }
}

impl<P: Model> Through for P {
    fn __each_value(
        &self,
        f: &mut dyn FnMut(&'static str, &dyn SqlValue) -> Result<(), BindError>,
    ) -> Result<(), BindError> {
        crate::model::each_value(self, f)
    }
}

/// The through model of a relation with pivot data; pivot calls
/// (`pivot`, `add_with`, `update_pivot`, ...) exist only where it is one.
///
/// `#[derive(Model)]` implements it for every model. Code generic over
/// through models bounds its parameter by `P: Pivot` (not only `P: Model`)
/// to make pivot calls.
#[diagnostic::on_unimplemented(
    message = "this relation has no pivot data: it was declared without `through_model`",
    label = "a pivot call on a plain relation",
    note = "declare the relation as `#[many_to_many(through_model = MyJunction, ...)]` to attach data to each link"
)]
pub trait Pivot: Model + Through {
    /// The through model's typed columns ([`Model::Columns`]), handed to
    /// [`Related::filter_pivot`] closures.
    type PivotColumns: 'static;
    #[doc(hidden)]
    const PIVOT_COLUMNS: Self::PivotColumns;
}
// Implemented by `#[derive(Model)]` for every model, rather than for every
// `P: Model` here: then a pivot call on a plain relation fails on `(): Pivot`
// itself, in the words above, and not on `(): Model` inside the blanket impl.

/// Marks the declaring side of a relation (`Article::TAGS`), whose owner has
/// a `ManyToMany` field that query-level prefetch can fill.
#[derive(Debug, Clone, Copy)]
pub enum Forward {}
/// Marks the reverse side of a relation (`Tag::ARTICLES`): the owner has no
/// field for it, so it is prefetched with [`Relation::prefetch`] instead.
#[derive(Debug, Clone, Copy)]
pub enum Reverse {}

/// Reaches an owner's `ManyToMany` field for the relation (query prefetch fills it).
/// Ties the type parameters to the descriptor without owning them (so it
/// stays `Copy`, `Send` and `Sync` whatever they are).
type Marker<O, T, P, D> = PhantomData<fn() -> (O, T, P, D)>;

pub(crate) type SlotFn<O, T> = fn(&mut O) -> &mut crate::ManyToMany<T>;

/// A typed relation descriptor: `Article::TAGS`, `Tag::ARTICLES`.
///
/// `O` owns the accessor, `T` is the target, `P` the pivot (through model;
/// `()` for a plain junction) and `D` the side ([`Forward`] or [`Reverse`]).
/// It names the relation without an owner row; [`Relation::of_key`] gives
/// the accessor for an owner known only by key.
pub struct Relation<O, T, P = (), D = Forward> {
    def: &'static RelationDef,
    slot: Option<SlotFn<O, T>>,
    _m: Marker<O, T, P, D>,
}

impl<O, T, P, D> Clone for Relation<O, T, P, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<O, T, P, D> Copy for Relation<O, T, P, D> {}
impl<O, T, P, D> fmt::Debug for Relation<O, T, P, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Relation({})", self.def.name)
    }
}

impl<O, T, P> Relation<O, T, P, Forward> {
    pub(crate) const fn forward(def: &'static RelationDef, slot: SlotFn<O, T>) -> Self {
        Relation {
            def,
            slot: Some(slot),
            _m: PhantomData,
        }
    }

    pub(crate) fn slot(&self) -> Option<SlotFn<O, T>> {
        self.slot
    }
}

impl<O, T, P> Relation<O, T, P, Reverse> {
    pub(crate) const fn reverse(def: &'static RelationDef) -> Self {
        Relation {
            def,
            slot: None,
            _m: PhantomData,
        }
    }
}

impl<O: Model, T, P, D> Relation<O, T, P, D> {
    /// The static description of this relation.
    pub fn def(&self) -> &'static RelationDef {
        self.def
    }

    /// The accessor for the owner with this key, without loading it.
    pub fn of_key(self, owner: impl crate::IntoKey<O>) -> Related<'static, O, T, P> {
        Related::new(self.def, Cow::Owned(owner.into_key().into_inner()))
    }

    pub(crate) fn of(self, owner: &O::Pk) -> Related<'_, O, T, P> {
        Related::new(self.def, Cow::Borrowed(owner))
    }
}

/// How [`Related::sync`] treats the links the input does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncMode {
    /// The input becomes the whole relation: missing links are removed, new ones added.
    Replace,
    /// The input's links are added; others are kept.
    Add,
    /// The input's links are removed; others are kept.
    Remove,
}

/// What a `set`, `sync` or `toggle` call changed.
///
/// With the `serde` feature it serializes as
/// `{"added": [..], "removed": [..], "updated": [..]}`, each a list of raw
/// keys (see [`Key`](crate::Key)), to return from an API as it is. It is
/// not deserialized: it reports a call, it is not an input to one.
pub struct SyncReport<T: Model> {
    /// Keys linked by the call, in key order.
    pub added: Vec<crate::Key<T>>,
    /// Keys unlinked by the call, in key order.
    pub removed: Vec<crate::Key<T>>,
    /// Keys whose link was kept but whose pivot data changed, in key order.
    pub updated: Vec<crate::Key<T>>,
}

impl<T: Model> SyncReport<T> {
    /// True when the call changed nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.updated.is_empty()
    }
}

impl<T: Model> Default for SyncReport<T> {
    fn default() -> Self {
        SyncReport {
            added: Vec::new(),
            removed: Vec::new(),
            updated: Vec::new(),
        }
    }
}
impl<T: Model> Clone for SyncReport<T> {
    fn clone(&self) -> Self {
        SyncReport {
            added: self.added.clone(),
            removed: self.removed.clone(),
            updated: self.updated.clone(),
        }
    }
}
impl<T: Model> PartialEq for SyncReport<T> {
    fn eq(&self, other: &Self) -> bool {
        self.added == other.added && self.removed == other.removed && self.updated == other.updated
    }
}
impl<T: Model> Eq for SyncReport<T> {}
impl<T: Model> fmt::Debug for SyncReport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncReport")
            .field("added", &self.added)
            .field("removed", &self.removed)
            .field("updated", &self.updated)
            .finish()
    }
}
