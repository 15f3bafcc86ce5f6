//! The relation slot of a model: a `ManyToMany<T>` field, which holds
//! eager-loaded targets and nothing else.

use std::fmt;

/// A relation slot on a model: `tags: ManyToMany<Tag>`.
///
/// It is not a column. It holds the targets when they were eager-loaded and
/// nothing otherwise; writes go through the relation's accessor
/// (`article.tags().add(..)`), never through the slot.
///
/// With the `serde` feature it serializes as its loaded list, and as `null`
/// when not loaded (an empty list would claim "no tags"); to leave an
/// unloaded slot out instead, write
/// `#[serde(skip_serializing_if = "ManyToMany::is_not_loaded")]` on the
/// field. It deserializes from a list (a loaded slot) or `null` (an
/// unloaded one). An absent field gives an unloaded slot too: serde's
/// derive reads it as `null`, as for an `Option`; `#[serde(default)]` says
/// so explicitly. The list holds whatever `T` serializes as.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use m2m::{ManyToMany, Model};
///
/// #[derive(Model, serde::Serialize, serde::Deserialize)]
/// struct Tag { id: i64, name: String }
///
/// #[derive(Model, serde::Serialize, serde::Deserialize)]
/// struct Article {
///     id: i64,
///     #[serde(default, skip_serializing_if = "ManyToMany::is_not_loaded")]
///     tags: ManyToMany<Tag>,
/// }
/// # }
/// ```
pub struct ManyToMany<T> {
    loaded: Option<Vec<T>>,
}

impl<T> ManyToMany<T> {
    /// An unloaded slot.
    pub const fn new() -> Self {
        ManyToMany { loaded: None }
    }
    /// The eager-loaded targets, or `None` when they were not loaded.
    pub fn get(&self) -> Option<&[T]> {
        self.loaded.as_deref()
    }
    /// True when the slot holds eager-loaded targets.
    pub fn is_loaded(&self) -> bool {
        self.loaded.is_some()
    }
    /// True when the slot holds nothing because nothing was loaded (the
    /// opposite of [`is_loaded`](Self::is_loaded)), for
    /// `#[serde(skip_serializing_if = "ManyToMany::is_not_loaded")]`.
    pub fn is_not_loaded(&self) -> bool {
        self.loaded.is_none()
    }
    /// Takes the loaded targets out, leaving the slot unloaded.
    pub fn take(&mut self) -> Option<Vec<T>> {
        self.loaded.take()
    }
    pub(crate) fn fill(&mut self, targets: Vec<T>) {
        self.loaded = Some(targets);
    }
}

impl<T> Default for ManyToMany<T> {
    fn default() -> Self {
        Self::new()
    }
}
impl<T: Clone> Clone for ManyToMany<T> {
    fn clone(&self) -> Self {
        ManyToMany {
            loaded: self.loaded.clone(),
        }
    }
}
impl<T: fmt::Debug> fmt::Debug for ManyToMany<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.loaded {
            Some(v) => f.debug_tuple("ManyToMany").field(v).finish(),
            None => f.write_str("ManyToMany(<not loaded>)"),
        }
    }
}
impl<T: PartialEq> PartialEq for ManyToMany<T> {
    fn eq(&self, other: &Self) -> bool {
        self.loaded == other.loaded
    }
}
impl<T: Eq> Eq for ManyToMany<T> {}
