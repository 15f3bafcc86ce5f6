//! The `serde` feature: [`Key`] as its raw value, [`SyncReport`] as its
//! three lists of raw keys, [`ManyToMany`] as its loaded list or `null`.
//!
//! Written by hand (serde's derive is not needed), so that the bounds ask
//! only what each impl uses: `T::Pk: Serialize`, not `T: Serialize`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::{Key, ManyToMany, Model, SyncReport};

impl<T: Model> Serialize for Key<T>
where
    T::Pk: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(serializer)
    }
}

impl<'de, T: Model> Deserialize<'de> for Key<T>
where
    T::Pk: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::Pk::deserialize(deserializer).map(Key::new)
    }
}

impl<T: Model> Serialize for SyncReport<T>
where
    T::Pk: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("SyncReport", 3)?;
        s.serialize_field("added", &Seq(&self.added))?;
        s.serialize_field("removed", &Seq(&self.removed))?;
        s.serialize_field("updated", &Seq(&self.updated))?;
        s.end()
    }
}

impl<T: Serialize> Serialize for ManyToMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // An option of a list, so formats that tag options (bincode) read
        // back what they wrote; JSON writes the list or `null`.
        match self.get() {
            Some(targets) => serializer.serialize_some(&Seq(targets)),
            None => serializer.serialize_none(),
        }
    }
}

/// A slice as a sequence, without asking serde for its `Vec` impl (which
/// needs serde's `std` or `alloc` feature).
struct Seq<'a, T>(&'a [T]);

impl<T: Serialize> Serialize for Seq<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ManyToMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_option(SlotVisitor(PhantomData))
    }
}

/// Reads `null` as an unloaded slot and a list as a loaded one.
struct SlotVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SlotVisitor<T> {
    type Value = ManyToMany<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of related rows, or null when they were not loaded")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(ManyToMany::new())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(ManyToMany::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Cap the hint: it comes from the input, which may lie.
        let mut targets = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(t) = seq.next_element()? {
            targets.push(t);
        }
        let mut slot = ManyToMany::new();
        slot.fill(targets);
        Ok(slot)
    }
}
