//! The relation slot of a model: a `ManyToMany<T>` field, which holds
//! eager-loaded targets and nothing else.

use std::fmt;

/// A relation slot on a model: `tags: ManyToMany<Tag>`.
///
/// It is not a column. It holds the targets when they were eager-loaded and
/// nothing otherwise; writes go through the relation's accessor
/// (`article.tags().add(..)`), never through the slot.
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
