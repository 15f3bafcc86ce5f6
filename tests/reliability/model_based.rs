//! Model-based property tests: random sequences of relation calls on a real
//! database, each step checked against a plain in-memory model (a set of
//! pairs, with pivot data where the relation has it).
//!
//! Four relations are driven, each from every side it has: a plain forward
//! relation and its reverse (`Post.labels` / `Label.posts`), a symmetrical
//! self relation (`Person.friends`), a relation with a through model and its
//! reverse (`Member.clubs` / `Club.members`), and a symmetrical relation with
//! a through model (`Colleague.colleagues`). After every step every read the
//! library offers (`keys`, `fetch_all`, `fetch_one`, `count`, `exists`,
//! `contains`, `query`, `prefetch`, query-level prefetch, `with_count`, and
//! the pivot reads) must agree with the model, from both sides, and the
//! junction table itself must hold exactly the model's pairs.
//!
//! Steps also name rows that were deleted and a key that never existed
//! ([`GHOST`]), so the error paths (`MissingTarget`, `MissingOwner`, with
//! nothing written) are part of every sequence.
//!
//! Cases per property: `M2M_PROPTEST_CASES` (default 64). A failure prints
//! the shrunk sequence as concrete [`Step`]s; paste them into a regression
//! test at the end of this file (see [`replay`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{Debug, Display};

use crate::backend::FaultDb;
use m2m::{
    Error, Expr, Forward, Key, Model, Pivot, Related, Relation, RelationDef, SyncMode, SyncReport,
    Through,
};
use proptest::prelude::*;
use proptest::strategy::Union;

use crate::models::*;

/// A key no row ever has in these tests.
pub const GHOST: i64 = 9_999;

/// Cases per property: `M2M_PROPTEST_CASES`, or `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("M2M_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The proptest configuration of this suite: the case count above, no
/// regression files written next to the sources (shrunk failures become
/// regular tests instead).
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ----- the models' common face ------------------------------------------------

/// A row with an integer key and a name, so the driver can make and check rows
/// of any of the models.
pub trait Entity: Model<Pk = i64> + Clone + Debug {
    fn named(id: i64, name: &str) -> Self;
    fn name(&self) -> &str;
}

impl Entity for Post {
    fn named(id: i64, name: &str) -> Self {
        Post {
            id,
            title: name.to_owned(),
            body: None,
            labels: Default::default(),
        }
    }
    fn name(&self) -> &str {
        &self.title
    }
}

macro_rules! named_entity {
    ($($t:ident { $($slot:ident),* }),* $(,)?) => {$(
        impl Entity for $t {
            fn named(id: i64, name: &str) -> Self {
                $t { id, name: name.to_owned(), $($slot: Default::default()),* }
            }
            fn name(&self) -> &str {
                &self.name
            }
        }
    )*};
}
named_entity!(
    Label {},
    Person { friends },
    Club {},
    Member { clubs },
    Colleague { colleagues },
);

/// The pivot data of a link: the through models' own columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Data {
    pub role: String,
    pub note: Option<String>,
}

impl Data {
    pub fn new(role: &str, note: Option<&str>) -> Self {
        Data {
            role: role.to_owned(),
            note: note.map(str::to_owned),
        }
    }
}

/// A through row as seen by a read: its row id, the two keys it stores (in
/// column order) and its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub row: i64,
    pub ends: (i64, i64),
    pub data: Data,
}

/// A through model whose pivot columns are `role` and `note`.
pub trait DataRow: Model<Pk = i64> + Pivot + Default + Clone + Debug {
    fn with(d: &Data) -> Self;
    /// `d` with every key field set to -1: what a careless `update_pivot`
    /// closure might leave behind.
    fn with_bad_keys(d: &Data) -> Self;
    fn seen(&self) -> Seen;
    /// `role = ?` on the through table, for `filter_pivot`.
    fn role_is(role: &str) -> Expr<Self>;
}

impl DataRow for Membership {
    fn role_is(role: &str) -> Expr<Self> {
        Self::COLUMNS.role.eq(role)
    }
    fn with(d: &Data) -> Self {
        Membership {
            role: d.role.clone(),
            note: d.note.clone(),
            ..Default::default()
        }
    }
    fn with_bad_keys(d: &Data) -> Self {
        Membership {
            id: -1,
            member_id: -1,
            club_id: -1,
            ..Self::with(d)
        }
    }
    fn seen(&self) -> Seen {
        Seen {
            row: self.id,
            ends: (self.member_id, self.club_id),
            data: Data {
                role: self.role.clone(),
                note: self.note.clone(),
            },
        }
    }
}

impl DataRow for Collab {
    fn role_is(role: &str) -> Expr<Self> {
        Self::COLUMNS.role.eq(role)
    }
    fn with(d: &Data) -> Self {
        Collab {
            role: d.role.clone(),
            note: d.note.clone(),
            ..Default::default()
        }
    }
    fn with_bad_keys(d: &Data) -> Self {
        Collab {
            id: -1,
            from_colleague_id: -1,
            to_colleague_id: -1,
            ..Self::with(d)
        }
    }
    fn seen(&self) -> Seen {
        Seen {
            row: self.id,
            ends: (self.from_colleague_id, self.to_colleague_id),
            data: Data {
                role: self.role.clone(),
                note: self.note.clone(),
            },
        }
    }
}

/// What sits on a relation's links: nothing (`()`) or a [`DataRow`]. The
/// pivot calls are only ever made on the latter.
pub trait PivotKind: Through + Default + 'static {
    const HAS_DATA: bool;
    fn add_with<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        t: i64,
        d: &Data,
    ) -> m2m::Result<bool>;
    fn update_pivot<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        t: i64,
        d: &Data,
    ) -> m2m::Result<bool>;
    fn sync_with<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        items: &[(i64, Data)],
        mode: SyncMode,
    ) -> m2m::Result<Rep>;
    fn pivot<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        t: i64,
    ) -> m2m::Result<Option<Seen>>;
    fn fetch_with_pivot<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
    ) -> m2m::Result<Vec<(i64, Seen)>>;
    fn prefetch_with_pivot<O: Model<Pk = i64>, T: Model<Pk = i64>, D, C: FaultDb>(
        d: Relation<O, T, Self, D>,
        conn: &C,
        owners: &[i64],
    ) -> m2m::Result<BTreeMap<i64, Vec<(i64, Seen)>>>;
    /// `filter_pivot(role = role)`: the keys of the targets found.
    fn filter_pivot_role<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        role: &str,
    ) -> m2m::Result<Vec<i64>>;
}

const NO_PIVOT: &str = "plain relations have no pivot calls";

impl PivotKind for () {
    const HAS_DATA: bool = false;
    fn add_with<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        _: &Related<'_, O, T, Self>,
        _: &C,
        _: i64,
        _: &Data,
    ) -> m2m::Result<bool> {
        unreachable!("{NO_PIVOT}")
    }
    fn update_pivot<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        _: &Related<'_, O, T, Self>,
        _: &C,
        _: i64,
        _: &Data,
    ) -> m2m::Result<bool> {
        unreachable!("{NO_PIVOT}")
    }
    fn sync_with<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        _: &Related<'_, O, T, Self>,
        _: &C,
        _: &[(i64, Data)],
        _: SyncMode,
    ) -> m2m::Result<Rep> {
        unreachable!("{NO_PIVOT}")
    }
    fn pivot<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        _: &Related<'_, O, T, Self>,
        _: &C,
        _: i64,
    ) -> m2m::Result<Option<Seen>> {
        unreachable!("{NO_PIVOT}")
    }
    fn fetch_with_pivot<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        _: &Related<'_, O, T, Self>,
        _: &C,
    ) -> m2m::Result<Vec<(i64, Seen)>> {
        unreachable!("{NO_PIVOT}")
    }
    fn prefetch_with_pivot<O: Model<Pk = i64>, T: Model<Pk = i64>, D, C: FaultDb>(
        _: Relation<O, T, Self, D>,
        _: &C,
        _: &[i64],
    ) -> m2m::Result<BTreeMap<i64, Vec<(i64, Seen)>>> {
        unreachable!("{NO_PIVOT}")
    }
    fn filter_pivot_role<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        _: &Related<'_, O, T, Self>,
        _: &C,
        _: &str,
    ) -> m2m::Result<Vec<i64>> {
        unreachable!("{NO_PIVOT}")
    }
}

impl<P: DataRow> PivotKind for P {
    const HAS_DATA: bool = true;
    fn add_with<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        t: i64,
        d: &Data,
    ) -> m2m::Result<bool> {
        r.add_with(conn, Key::<T>::new(t), P::with(d))
    }
    fn update_pivot<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        t: i64,
        d: &Data,
    ) -> m2m::Result<bool> {
        // The closure also scribbles on the key fields: they must be kept.
        r.update_pivot(conn, Key::<T>::new(t), |p| *p = P::with_bad_keys(d))
    }
    fn sync_with<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        items: &[(i64, Data)],
        mode: SyncMode,
    ) -> m2m::Result<Rep> {
        let items = items.iter().map(|(t, d)| (Key::<T>::new(*t), P::with(d)));
        r.sync_with(conn, items, mode).map(rep)
    }
    fn pivot<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        t: i64,
    ) -> m2m::Result<Option<Seen>> {
        r.pivot(conn, Key::<T>::new(t)).map(|p| p.map(|p| p.seen()))
    }
    fn fetch_with_pivot<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
    ) -> m2m::Result<Vec<(i64, Seen)>> {
        r.fetch_with_pivot(conn)
            .map(|v| v.into_iter().map(|(t, p)| (*t.pk(), p.seen())).collect())
    }
    fn prefetch_with_pivot<O: Model<Pk = i64>, T: Model<Pk = i64>, D, C: FaultDb>(
        d: Relation<O, T, Self, D>,
        conn: &C,
        owners: &[i64],
    ) -> m2m::Result<BTreeMap<i64, Vec<(i64, Seen)>>> {
        let loaded = d.prefetch_with_pivot(conn, owners.iter().map(|&o| Key::<O>::new(o)))?;
        Ok(owners
            .iter()
            .map(|&o| {
                let rows = loaded.get(Key::<O>::new(o));
                (o, rows.iter().map(|(t, p)| (*t.pk(), p.seen())).collect())
            })
            .collect())
    }
    fn filter_pivot_role<O: Model, T: Model<Pk = i64>, C: FaultDb>(
        r: &Related<'_, O, T, Self>,
        conn: &C,
        role: &str,
    ) -> m2m::Result<Vec<i64>> {
        let rows = r.filter_pivot(|_| P::role_is(role)).fetch_all(conn)?;
        Ok(rows.iter().map(|t| *t.pk()).collect())
    }
}

// ----- calls and their results ------------------------------------------------

/// Which accessor a step goes through: the declaring side or the reverse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Fwd,
    Rev,
}

/// One call, with concrete keys.
#[derive(Clone, Debug)]
pub enum Call {
    Add(Vec<i64>),
    Remove(Vec<i64>),
    Set(Vec<i64>),
    Clear,
    Sync(Vec<i64>, SyncMode),
    Toggle(Vec<i64>),
    /// `create` of a new target with this name.
    Create(String),
    /// Deletes the owner row itself (`Model::delete`).
    Delete,
    /// Saves the owner row with this name (`Model::save`: an upsert that
    /// keeps its links, or brings a deleted key back without any).
    Save(String),
    AddWith(i64, Data),
    UpdatePivot(i64, Data),
    SyncWith(Vec<(i64, Data)>, SyncMode),
}

/// One step of a sequence: `call` on the accessor of `owner` on `side`.
#[derive(Clone, Debug)]
pub struct Step {
    pub side: Side,
    pub owner: i64,
    pub call: Call,
}

/// A `SyncReport` with plain keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rep {
    pub added: Vec<i64>,
    pub removed: Vec<i64>,
    pub updated: Vec<i64>,
}

fn rep<T: Model<Pk = i64>>(r: SyncReport<T>) -> Rep {
    let ids = |v: Vec<Key<T>>| v.into_iter().map(Key::into_inner).collect();
    Rep {
        added: ids(r.added),
        removed: ids(r.removed),
        updated: ids(r.updated),
    }
}

/// What a call returned, with plain keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out {
    N(usize),
    Rep(Rep),
    Bool(bool),
    Created(i64),
}

/// Why the model says a call must fail: the owner has no row, or some of the
/// targets it would link have none. Nothing may be written.
#[derive(Clone, Debug)]
pub struct Fail {
    pub owner_missing: bool,
    pub targets: BTreeSet<i64>,
}

fn keys<T: Model<Pk = i64>>(v: &[i64]) -> Vec<Key<T>> {
    v.iter().map(|&k| Key::new(k)).collect()
}

/// Runs `call` through the accessor of `owner` on descriptor `d`.
fn exec_on<O: Entity, T: Entity, P: PivotKind, D, C: FaultDb>(
    d: Relation<O, T, P, D>,
    conn: &C,
    owner: i64,
    call: &Call,
) -> m2m::Result<Out> {
    let r = d.of_key(Key::<O>::new(owner));
    Ok(match call {
        Call::Add(t) => Out::N(r.add(conn, keys::<T>(t))?),
        Call::Remove(t) => Out::N(r.remove(conn, keys::<T>(t))?),
        Call::Set(t) => Out::Rep(rep(r.set(conn, keys::<T>(t))?)),
        Call::Clear => Out::N(r.clear(conn)?),
        Call::Sync(t, mode) => Out::Rep(rep(r.sync(conn, keys::<T>(t), *mode)?)),
        Call::Toggle(t) => Out::Rep(rep(r.toggle(conn, keys::<T>(t))?)),
        Call::Create(name) => Out::Created(*r.create(conn, T::named(0, name))?.pk()),
        Call::Delete => Out::Bool(O::named(owner, "").delete(conn)?),
        Call::Save(name) => {
            O::named(owner, name).save(conn)?;
            Out::Bool(true)
        }
        Call::AddWith(t, data) => Out::Bool(P::add_with(&r, conn, *t, data)?),
        Call::UpdatePivot(t, data) => Out::Bool(P::update_pivot(&r, conn, *t, data)?),
        Call::SyncWith(items, mode) => Out::Rep(P::sync_with(&r, conn, items, *mode)?),
    })
}

// ----- the relations under test ----------------------------------------------

/// A relation with its descriptors: the declaring side, the reverse one if
/// it has one, and the owner's `ManyToMany` field for query prefetch.
pub struct Rel<L: Model, R: Model, P> {
    pub fwd: Relation<L, R, P, Forward>,
    pub rev: Option<Relation<R, L, P, m2m::Reverse>>,
    pub slot: fn(&L) -> Option<&[R]>,
    pub symmetrical: bool,
    /// Rows of each side made before the first step.
    pub start: (usize, usize),
}

pub fn plain() -> Rel<Post, Label, ()> {
    Rel {
        fwd: Post::LABELS,
        rev: Some(Label::POSTS),
        slot: |p| p.labels.get(),
        symmetrical: false,
        start: (4, 5),
    }
}

pub fn friends() -> Rel<Person, Person, ()> {
    Rel {
        fwd: Person::FRIENDS,
        rev: None,
        slot: |p| p.friends.get(),
        symmetrical: true,
        start: (6, 0),
    }
}

pub fn clubs() -> Rel<Member, Club, Membership> {
    Rel {
        fwd: Member::CLUBS,
        rev: Some(Club::MEMBERS),
        slot: |m| m.clubs.get(),
        symmetrical: false,
        start: (4, 5),
    }
}

pub fn colleagues() -> Rel<Colleague, Colleague, Collab> {
    Rel {
        fwd: Colleague::COLLEAGUES,
        rev: None,
        slot: |c| c.colleagues.get(),
        symmetrical: true,
        start: (6, 0),
    }
}

impl<L: Entity, R: Entity, P: PivotKind> Rel<L, R, P> {
    fn def(&self) -> &'static RelationDef {
        self.fwd.def()
    }

    fn name(&self, side: Side) -> &'static str {
        match (side, self.rev) {
            (Side::Fwd, _) | (Side::Rev, None) => self.fwd.def().name(),
            (Side::Rev, Some(rev)) => rev.def().name(),
        }
    }

    fn exec<C: FaultDb>(&self, conn: &C, step: &Step) -> m2m::Result<Out> {
        match (step.side, self.rev) {
            (Side::Fwd, _) | (Side::Rev, None) => exec_on(self.fwd, conn, step.owner, &step.call),
            (Side::Rev, Some(rev)) => exec_on(rev, conn, step.owner, &step.call),
        }
    }

    fn sides(&self) -> Vec<Side> {
        if self.rev.is_some() {
            vec![Side::Fwd, Side::Rev]
        } else {
            vec![Side::Fwd]
        }
    }

    /// Inserts the starting rows and returns the model of the empty relation.
    fn setup<C: FaultDb>(&self, conn: &C) -> World {
        let mut w = World {
            symmetrical: self.symmetrical,
            known: [Vec::new(), Vec::new()],
            live: [BTreeSet::new(), BTreeSet::new()],
            names: [BTreeMap::new(), BTreeMap::new()],
            links: BTreeMap::new(),
        };
        for i in 0..self.start.0 {
            let mut row = L::named(0, &format!("left {i}"));
            row.insert(conn).unwrap();
            w.born(0, *row.pk(), row.name());
        }
        for i in 0..self.start.1 {
            let mut row = R::named(0, &format!("right {i}"));
            row.insert(conn).unwrap();
            w.born(1, *row.pk(), row.name());
        }
        w
    }
}

// ----- the model ---------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct Link {
    pub data: Data,
    /// The through row's id, once seen; it must not change while the link lives.
    pub row: Option<i64>,
}

/// The in-memory model: rows of each kind (0: the declaring side's owners,
/// 1: its targets; one kind for a self relation) and the links, keyed as the
/// junction stores them ((owner, target) of the declaring side, or
/// (smaller, larger) for a symmetrical relation).
#[derive(Clone, Debug)]
pub struct World {
    pub symmetrical: bool,
    /// Every key ever seen of each kind, in order of birth.
    pub known: [Vec<i64>; 2],
    pub live: [BTreeSet<i64>; 2],
    pub names: [BTreeMap<i64, String>; 2],
    pub links: BTreeMap<(i64, i64), Link>,
}

impl World {
    fn born(&mut self, kind: usize, id: i64, name: &str) {
        if !self.known[kind].contains(&id) {
            self.known[kind].push(id);
        }
        self.live[kind].insert(id);
        self.names[kind].insert(id, name.to_owned());
    }

    fn owner_kind(&self, side: Side) -> usize {
        match (self.symmetrical, side) {
            (true, _) | (false, Side::Fwd) => 0,
            (false, Side::Rev) => 1,
        }
    }

    fn target_kind(&self, side: Side) -> usize {
        match (self.symmetrical, side) {
            (true, _) | (false, Side::Rev) => 0,
            (false, Side::Fwd) => 1,
        }
    }

    /// The `i`-th known key of `kind`, or [`GHOST`] (one pick in n+1).
    fn pick(&self, kind: usize, i: u8) -> i64 {
        let known = &self.known[kind];
        known
            .get(usize::from(i) % (known.len() + 1))
            .copied()
            .unwrap_or(GHOST)
    }

    fn pair(&self, side: Side, owner: i64, target: i64) -> (i64, i64) {
        match (self.symmetrical, side) {
            (true, _) => (owner.min(target), owner.max(target)),
            (false, Side::Fwd) => (owner, target),
            (false, Side::Rev) => (target, owner),
        }
    }

    /// The targets `owner` is linked to, seen from `side`.
    pub fn linked(&self, side: Side, owner: i64) -> BTreeSet<i64> {
        let mut out = BTreeSet::new();
        for &(a, b) in self.links.keys() {
            match (self.symmetrical, side) {
                (true, _) => {
                    if a == owner {
                        out.insert(b);
                    }
                    if b == owner {
                        out.insert(a);
                    }
                }
                (false, Side::Fwd) if a == owner => {
                    out.insert(b);
                }
                (false, Side::Rev) if b == owner => {
                    out.insert(a);
                }
                _ => {}
            }
        }
        out
    }

    fn link(&mut self, side: Side, owner: i64, target: i64, data: Data) {
        let pair = self.pair(side, owner, target);
        self.links.insert(pair, Link { data, row: None });
    }

    fn unlink(&mut self, side: Side, owner: i64, target: i64) {
        let pair = self.pair(side, owner, target);
        self.links.remove(&pair);
    }

    /// Links `new` may be made from `owner`: all of them exist, and so does
    /// the owner (an empty list needs neither).
    fn can_link(&self, side: Side, owner: i64, new: &[i64]) -> Result<(), Fail> {
        if new.is_empty() {
            return Ok(());
        }
        let owner_missing = !self.live[self.owner_kind(side)].contains(&owner);
        let tk = self.target_kind(side);
        let targets: BTreeSet<i64> = new
            .iter()
            .copied()
            .filter(|t| !self.live[tk].contains(t))
            .collect();
        if owner_missing || !targets.is_empty() {
            return Err(Fail {
                owner_missing,
                targets,
            });
        }
        Ok(())
    }

    /// What `step` must return and the model after it; `Create` is finished
    /// by [`World::created`] once the new key is known.
    pub fn expect(&self, step: &Step) -> Result<(Out, World), Fail> {
        let Step { side, owner, call } = step;
        let (side, owner) = (*side, *owner);
        let linked = self.linked(side, owner);
        let mut w = self.clone();
        let out = match call {
            Call::Add(ts) | Call::Sync(ts, SyncMode::Add) => {
                let new: Vec<i64> = dedup(ts)
                    .into_iter()
                    .filter(|t| !linked.contains(t))
                    .collect();
                self.can_link(side, owner, &new)?;
                for &t in &new {
                    w.link(side, owner, t, Data::default());
                }
                if matches!(call, Call::Add(_)) {
                    Out::N(new.len())
                } else {
                    Out::Rep(Rep {
                        added: sorted(new),
                        ..Rep::default()
                    })
                }
            }
            Call::Remove(ts) | Call::Sync(ts, SyncMode::Remove) => {
                let gone: Vec<i64> = dedup(ts)
                    .into_iter()
                    .filter(|t| linked.contains(t))
                    .collect();
                for &t in &gone {
                    w.unlink(side, owner, t);
                }
                if matches!(call, Call::Remove(_)) {
                    Out::N(gone.len())
                } else {
                    Out::Rep(Rep {
                        removed: sorted(gone),
                        ..Rep::default()
                    })
                }
            }
            Call::Set(ts) | Call::Sync(ts, SyncMode::Replace) => {
                let ts = dedup(ts);
                let gone: Vec<i64> = linked.iter().copied().filter(|t| !ts.contains(t)).collect();
                let new: Vec<i64> = ts.into_iter().filter(|t| !linked.contains(t)).collect();
                self.can_link(side, owner, &new)?;
                for &t in &gone {
                    w.unlink(side, owner, t);
                }
                for &t in &new {
                    w.link(side, owner, t, Data::default());
                }
                Out::Rep(Rep {
                    added: sorted(new),
                    removed: gone,
                    updated: Vec::new(),
                })
            }
            Call::Clear => {
                for &t in &linked {
                    w.unlink(side, owner, t);
                }
                Out::N(linked.len())
            }
            Call::Toggle(ts) => {
                let (gone, new): (Vec<i64>, Vec<i64>) =
                    dedup(ts).into_iter().partition(|t| linked.contains(t));
                self.can_link(side, owner, &new)?;
                for &t in &gone {
                    w.unlink(side, owner, t);
                }
                for &t in &new {
                    w.link(side, owner, t, Data::default());
                }
                Out::Rep(Rep {
                    added: sorted(new),
                    removed: sorted(gone),
                    updated: Vec::new(),
                })
            }
            Call::Create(_) => {
                if !self.live[self.owner_kind(side)].contains(&owner) {
                    return Err(Fail {
                        owner_missing: true,
                        targets: BTreeSet::new(),
                    });
                }
                Out::Created(0)
            }
            Call::Delete => {
                let kind = self.owner_kind(side);
                let was = w.live[kind].remove(&owner);
                let sym = self.symmetrical;
                w.links.retain(|&(a, b), _| match (sym, kind) {
                    (true, _) => a != owner && b != owner,
                    (false, 0) => a != owner,
                    (false, _) => b != owner,
                });
                Out::Bool(was)
            }
            Call::Save(name) => {
                let kind = self.owner_kind(side);
                w.born(kind, owner, name);
                Out::Bool(true)
            }
            Call::AddWith(t, data) => {
                if linked.contains(t) {
                    Out::Bool(false)
                } else {
                    self.can_link(side, owner, &[*t])?;
                    w.link(side, owner, *t, data.clone());
                    Out::Bool(true)
                }
            }
            Call::UpdatePivot(t, data) => {
                if linked.contains(t) {
                    let pair = self.pair(side, owner, *t);
                    if let Some(link) = w.links.get_mut(&pair) {
                        link.data = data.clone();
                    }
                    Out::Bool(true)
                } else {
                    Out::Bool(false)
                }
            }
            Call::SyncWith(items, mode) => {
                // First position wins the order, last data wins the data.
                let mut order = Vec::new();
                let mut data = BTreeMap::new();
                for (t, d) in items {
                    if data.insert(*t, d.clone()).is_none() {
                        order.push(*t);
                    }
                }
                let mut r = Rep::default();
                if *mode == SyncMode::Remove {
                    for &t in order.iter().filter(|t| linked.contains(t)) {
                        w.unlink(side, owner, t);
                        r.removed.push(t);
                    }
                } else {
                    let new: Vec<i64> = order
                        .iter()
                        .copied()
                        .filter(|t| !linked.contains(t))
                        .collect();
                    self.can_link(side, owner, &new)?;
                    if *mode == SyncMode::Replace {
                        for &t in linked.iter().filter(|t| !data.contains_key(t)) {
                            w.unlink(side, owner, t);
                            r.removed.push(t);
                        }
                    }
                    for &t in &order {
                        let d = &data[&t];
                        let pair = self.pair(side, owner, t);
                        match w.links.get_mut(&pair) {
                            Some(link) if link.data != *d => {
                                link.data = d.clone();
                                r.updated.push(t);
                            }
                            Some(_) => {}
                            None => {
                                w.link(side, owner, t, d.clone());
                                r.added.push(t);
                            }
                        }
                    }
                }
                r.added.sort_unstable();
                r.removed.sort_unstable();
                r.updated.sort_unstable();
                Out::Rep(r)
            }
        };
        Ok((out, w))
    }

    /// Finishes a `create` from `owner` that returned the key `id`.
    fn created(&mut self, side: Side, owner: i64, id: i64, name: &str) -> Result<(), String> {
        let kind = self.target_kind(side);
        if self.live[kind].contains(&id) {
            return Err(format!("create returned the key {id} of a live row"));
        }
        self.born(kind, id, name);
        self.link(side, owner, id, Data::default());
        Ok(())
    }
}

fn dedup(v: &[i64]) -> Vec<i64> {
    let mut seen = BTreeSet::new();
    v.iter().copied().filter(|k| seen.insert(*k)).collect()
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

// ----- checking ------------------------------------------------------------------

type Check = Result<(), String>;

macro_rules! ensure_eq {
    ($got:expr, $want:expr, $($ctx:tt)+) => {{
        let (got, want) = (&$got, &$want);
        if got != want {
            return Err(format!("{}:\n   got {:?}\n  want {:?}", format!($($ctx)+), got, want));
        }
    }};
}

fn ok<T>(r: m2m::Result<T>, what: impl Display) -> Result<T, String> {
    r.map_err(|e| format!("{what}: unexpected error {e:?}"))
}

/// `got` is the error the model predicts.
fn check_error(e: &Error, fail: &Fail, relation: &str) -> Check {
    let fits = match e {
        Error::MissingTarget {
            relation: r, key, ..
        } => *r == relation && key.parse().is_ok_and(|k: i64| fail.targets.contains(&k)),
        Error::MissingOwner { relation: r, .. } => *r == relation && fail.owner_missing,
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "error {e:?} does not fit: expected MissingTarget for one of {:?}{}",
            fail.targets,
            if fail.owner_missing {
                " or MissingOwner"
            } else {
                ""
            }
        ))
    }
}

/// A junction row: the stored pair, with the through row's id and data.
type RawLink = ((i64, i64), Option<(i64, Data)>);

/// The junction's rows, read with plain SQL: (stored pair, (row id, data))
/// in pair order.
fn raw_links<C: FaultDb>(conn: &C, def: &RelationDef, with_data: bool) -> Vec<RawLink> {
    let (j, s, t) = (def.junction_table(), def.source(), def.target());
    // A through row's key is `id` (SQLite: the rowid's alias).
    let sql = if with_data {
        format!(
            r#"SELECT "{s}", "{t}", id, role, note IS NULL, coalesce(note, '') FROM "{j}" ORDER BY 1, 2, 3"#
        )
    } else {
        format!(r#"SELECT "{s}", "{t}" FROM "{j}" ORDER BY 1, 2"#)
    };
    let int = |v: &str| v.parse::<i64>().unwrap();
    conn.texts(&sql)
        .into_iter()
        .map(|r| {
            let pair = (int(&r[0]), int(&r[1]));
            let extra = with_data.then(|| {
                (
                    int(&r[2]),
                    Data {
                        role: r[3].clone(),
                        // `note IS NULL`: 1 or 0 (SQLite), t or f (PostgreSQL).
                        note: (!matches!(r[4].as_str(), "1" | "t")).then(|| r[5].clone()),
                    },
                )
            });
            (pair, extra)
        })
        .collect()
}

/// Checks every read of `rel` against the model (and learns the row ids of
/// new through rows).
fn verify<L: Entity, R: Entity, P: PivotKind, C: FaultDb>(
    rel: &Rel<L, R, P>,
    w: &mut World,
    conn: &C,
) -> Check {
    if conn.in_transaction() {
        return Err("a transaction was left open".into());
    }
    // The ground truth: the junction table itself.
    let rows = raw_links(conn, rel.def(), P::HAS_DATA);
    let pairs: Vec<(i64, i64)> = rows.iter().map(|(p, _)| *p).collect();
    let want: Vec<(i64, i64)> = w.links.keys().copied().collect();
    ensure_eq!(
        pairs,
        want,
        "junction rows of {}",
        rel.def().junction_table()
    );
    for (pair, extra) in rows {
        let Some((row, data)) = extra else { continue };
        let link = w.links.get_mut(&pair).ok_or("checked above")?;
        ensure_eq!(data, link.data, "pivot data of {pair:?}");
        match link.row {
            None => link.row = Some(row),
            Some(old) => ensure_eq!(row, old, "through row id of the kept link {pair:?}"),
        }
    }
    // Every read, from every side.
    for side in rel.sides() {
        match (side, rel.rev) {
            (Side::Fwd, _) | (Side::Rev, None) => check_side(rel.fwd, side, w, conn)?,
            (Side::Rev, Some(rev)) => check_side(rev, side, w, conn)?,
        }
    }
    // Query-level prefetch fills every owner's field.
    let owners = ok(
        L::query().prefetch(rel.fwd).fetch_all(conn),
        "query prefetch",
    )?;
    let live: Vec<i64> = w.live[0].iter().copied().collect();
    ensure_eq!(
        owners.iter().map(|o| *o.pk()).collect::<Vec<_>>(),
        live,
        "owners fetched by the prefetching query"
    );
    for o in &owners {
        let want: Vec<i64> = w.linked(Side::Fwd, *o.pk()).into_iter().collect();
        let got: Option<Vec<i64>> = (rel.slot)(o).map(|ts| ts.iter().map(|t| *t.pk()).collect());
        ensure_eq!(got, Some(want), "query prefetch slot of {}", o.pk());
    }
    Ok(())
}

/// Every read of one side, for every owner ever known and the ghost.
fn check_side<O: Entity, T: Entity, P: PivotKind, D, C: FaultDb>(
    d: Relation<O, T, P, D>,
    side: Side,
    w: &World,
    conn: &C,
) -> Check {
    let name = d.def().name();
    let (ok_, tk) = (w.owner_kind(side), w.target_kind(side));
    let owners: Vec<i64> = w.known[ok_].iter().copied().chain([GHOST]).collect();
    let targets: Vec<i64> = w.known[tk].iter().copied().chain([GHOST]).collect();
    let mut want_all = BTreeMap::new();
    for &o in &owners {
        let want: Vec<i64> = w.linked(side, o).into_iter().collect();
        let r = d.of_key(Key::<O>::new(o));
        let got = ok(r.keys(conn), format_args!("{name}: keys of {o}"))?;
        ensure_eq!(
            got.into_iter().map(Key::into_inner).collect::<Vec<_>>(),
            want,
            "{name}: keys of {o}"
        );
        let rows = ok(r.fetch_all(conn), format_args!("{name}: fetch_all of {o}"))?;
        ensure_eq!(
            rows.iter().map(|t| *t.pk()).collect::<Vec<_>>(),
            want,
            "{name}: fetch_all of {o}"
        );
        for t in &rows {
            ensure_eq!(
                Some(t.name()),
                w.names[tk].get(t.pk()).map(String::as_str),
                "{name}: fetch_all of {o}: the row {}",
                t.pk()
            );
        }
        let one = ok(r.fetch_one(conn), format_args!("{name}: fetch_one"))?;
        ensure_eq!(
            one.map(|t| *t.pk()),
            want.first().copied(),
            "{name}: fetch_one of {o}"
        );
        let n = ok(r.count(conn), format_args!("{name}: count"))?;
        ensure_eq!(n, want.len() as u64, "{name}: count of {o}");
        let e = ok(r.exists(conn), format_args!("{name}: exists"))?;
        ensure_eq!(e, !want.is_empty(), "{name}: exists of {o}");
        let q = ok(r.query().fetch_all(conn), format_args!("{name}: query"))?;
        ensure_eq!(
            q.iter().map(|t| *t.pk()).collect::<Vec<_>>(),
            want,
            "{name}: query() of {o}"
        );
        for &t in &targets {
            let c = ok(r.contains(conn, Key::<T>::new(t)), "contains")?;
            ensure_eq!(c, want.contains(&t), "{name}: {o} contains {t}");
        }
        if P::HAS_DATA {
            let want_p: Vec<(i64, Seen)> = want.iter().map(|&t| (t, seen(w, side, o, t))).collect();
            let got = ok(P::fetch_with_pivot(&r, conn), "fetch_with_pivot")?;
            ensure_eq!(got, want_p, "{name}: fetch_with_pivot of {o}");
            for &t in &targets {
                let got = ok(P::pivot(&r, conn, t), "pivot")?;
                let want = want.contains(&t).then(|| seen(w, side, o, t));
                ensure_eq!(got, want, "{name}: pivot of {o} to {t}");
            }
            for role in ROLES {
                let got = ok(P::filter_pivot_role(&r, conn, role), "filter_pivot")?;
                let want: Vec<i64> = want
                    .iter()
                    .copied()
                    .filter(|&t| seen(w, side, o, t).data.role == role)
                    .collect();
                ensure_eq!(got, want, "{name}: filter_pivot of {o}, role {role:?}");
            }
        }
        want_all.insert(o, want);
    }
    // Eager loading of all owners at once (the ghost included).
    let loaded = ok(
        d.prefetch(conn, owners.iter().map(|&o| Key::<O>::new(o))),
        "prefetch",
    )?;
    for (&o, want) in &want_all {
        let got: Vec<i64> = loaded
            .get(Key::<O>::new(o))
            .iter()
            .map(|t| *t.pk())
            .collect();
        ensure_eq!(got, *want, "{name}: prefetch of {o}");
    }
    if P::HAS_DATA {
        let got = ok(
            P::prefetch_with_pivot(d, conn, &owners),
            "prefetch_with_pivot",
        )?;
        for (&o, want) in &want_all {
            let want_p: Vec<(i64, Seen)> = want.iter().map(|&t| (t, seen(w, side, o, t))).collect();
            ensure_eq!(got[&o], want_p, "{name}: prefetch_with_pivot of {o}");
        }
    }
    // Counts of every live owner in one statement.
    let counts = ok(O::query().with_count(d).fetch_all(conn), "with_count")?;
    let got: Vec<(i64, u64)> = counts.iter().map(|(o, n)| (*o.pk(), *n)).collect();
    let want: Vec<(i64, u64)> = w.live[ok_]
        .iter()
        .map(|&o| (o, want_all[&o].len() as u64))
        .collect();
    ensure_eq!(got, want, "{name}: with_count");
    // Owners linked to any / all of some targets, in one statement each.
    let linked_to = |t: i64| -> BTreeSet<i64> {
        w.live[ok_]
            .iter()
            .copied()
            .filter(|&o| want_all[&o].contains(&t))
            .collect()
    };
    for (i, &t) in targets.iter().enumerate() {
        let got = ok(
            O::query()
                .linked_to_any(d, [Key::<T>::new(t)])
                .fetch_all(conn),
            "linked_to_any",
        )?;
        let got: Vec<i64> = got.iter().map(|o| *o.pk()).collect();
        let want: Vec<i64> = linked_to(t).into_iter().collect();
        ensure_eq!(got, want, "{name}: owners linked to {t}");
        let u = targets[(i + 1) % targets.len()];
        let both = keys::<T>(&[t, u, t]);
        let got = ok(
            O::query().linked_to_all(d, both).fetch_all(conn),
            "linked_to_all",
        )?;
        let got: Vec<i64> = got.iter().map(|o| *o.pk()).collect();
        let want: Vec<i64> = linked_to(t).intersection(&linked_to(u)).copied().collect();
        ensure_eq!(got, want, "{name}: owners linked to both {t} and {u}");
    }
    Ok(())
}

/// The through row the model expects for (owner, target) seen from `side`.
fn seen(w: &World, side: Side, owner: i64, target: i64) -> Seen {
    let pair = w.pair(side, owner, target);
    let link = &w.links[&pair];
    Seen {
        row: link.row.unwrap_or(-1),
        ends: pair,
        data: link.data.clone(),
    }
}

// ----- running sequences --------------------------------------------------------

/// Runs `steps` on a fresh database, checking every result and every read
/// after each step against the model.
pub fn replay<L: Entity, R: Entity, P: PivotKind>(rel: &Rel<L, R, P>, steps: &[Step]) -> Check {
    let conn = db();
    let mut w = rel.setup(&conn);
    let mut trace = Vec::new();
    for step in steps {
        trace.push(format!("{step:?}"));
        run_step(rel, &conn, &mut w, step)
            .map_err(|e| format!("{e}\nafter the steps:\n  {}", trace.join(",\n  ")))?;
    }
    Ok(())
}

fn run_step<L: Entity, R: Entity, P: PivotKind, C: FaultDb>(
    rel: &Rel<L, R, P>,
    conn: &C,
    w: &mut World,
    step: &Step,
) -> Check {
    let got = rel.exec(conn, step);
    let name = rel.name(step.side);
    match (w.expect(step), got) {
        (Ok((Out::Created(_), mut next)), Ok(Out::Created(id))) => {
            let Call::Create(new_name) = &step.call else {
                unreachable!()
            };
            next.created(step.side, step.owner, id, new_name)?;
            *w = next;
        }
        (Ok((want, next)), Ok(got)) => {
            ensure_eq!(got, want, "result of {name}");
            *w = next;
        }
        (Ok((want, _)), Err(e)) => {
            return Err(format!("{name}: expected {want:?}, got the error {e:?}"));
        }
        (Err(fail), Ok(got)) => {
            return Err(format!(
                "{name}: expected a failure ({fail:?}), got {got:?}"
            ));
        }
        (Err(fail), Err(e)) => check_error(&e, &fail, name)?,
    }
    verify(rel, w, conn)
}

/// One step as generated: indices into the keys known when it runs (one past
/// the end is [`GHOST`]), resolved by [`resolve`].
#[derive(Clone, Debug)]
pub enum Op {
    Add(Side, u8, Vec<u8>),
    Remove(Side, u8, Vec<u8>),
    Set(Side, u8, Vec<u8>),
    Clear(Side, u8),
    Sync(Side, u8, Vec<u8>, SyncMode),
    Toggle(Side, u8, Vec<u8>),
    Create(Side, u8),
    Delete(Side, u8),
    Save(Side, u8),
    AddWith(Side, u8, u8, Data),
    UpdatePivot(Side, u8, u8, Data),
    SyncWith(Side, u8, Vec<(u8, Data)>, SyncMode),
}

fn resolve(w: &World, op: &Op, n: usize) -> Step {
    let side = match op {
        Op::Add(s, ..)
        | Op::Remove(s, ..)
        | Op::Set(s, ..)
        | Op::Clear(s, ..)
        | Op::Sync(s, ..)
        | Op::Toggle(s, ..)
        | Op::Create(s, ..)
        | Op::Delete(s, ..)
        | Op::Save(s, ..)
        | Op::AddWith(s, ..)
        | Op::UpdatePivot(s, ..)
        | Op::SyncWith(s, ..) => *s,
    };
    let (ok_, tk) = (w.owner_kind(side), w.target_kind(side));
    let owner = |i: u8| w.pick(ok_, i);
    let ts = |v: &[u8]| v.iter().map(|&i| w.pick(tk, i)).collect::<Vec<_>>();
    let (owner, call) = match op {
        Op::Add(_, o, t) => (owner(*o), Call::Add(ts(t))),
        Op::Remove(_, o, t) => (owner(*o), Call::Remove(ts(t))),
        Op::Set(_, o, t) => (owner(*o), Call::Set(ts(t))),
        Op::Clear(_, o) => (owner(*o), Call::Clear),
        Op::Sync(_, o, t, m) => (owner(*o), Call::Sync(ts(t), *m)),
        Op::Toggle(_, o, t) => (owner(*o), Call::Toggle(ts(t))),
        Op::Create(_, o) => (owner(*o), Call::Create(format!("made at step {n}"))),
        Op::Delete(_, o) => (owner(*o), Call::Delete),
        Op::Save(_, o) => {
            // A key that has (or had) a row: GHOST stays missing.
            let known = &w.known[ok_];
            let id = known[usize::from(*o) % known.len()];
            (id, Call::Save(format!("saved at step {n}")))
        }
        Op::AddWith(_, o, t, d) => (owner(*o), Call::AddWith(w.pick(tk, *t), d.clone())),
        Op::UpdatePivot(_, o, t, d) => (owner(*o), Call::UpdatePivot(w.pick(tk, *t), d.clone())),
        Op::SyncWith(_, o, items, m) => (
            owner(*o),
            Call::SyncWith(
                items
                    .iter()
                    .map(|(t, d)| (w.pick(tk, *t), d.clone()))
                    .collect(),
                *m,
            ),
        ),
    };
    Step { side, owner, call }
}

/// Runs a generated sequence; the error carries the steps as concrete calls.
pub fn run_ops<L: Entity, R: Entity, P: PivotKind>(
    rel: &Rel<L, R, P>,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    run_ops_on(rel, ops, &db())
}

/// [`run_ops`] on a fresh PostgreSQL schema.
pub fn pg_run_ops<L: Entity, R: Entity, P: PivotKind>(
    rel: &Rel<L, R, P>,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    run_ops_on(rel, ops, &crate::fixture::postgres())
}

fn run_ops_on<L: Entity, R: Entity, P: PivotKind, C: FaultDb>(
    rel: &Rel<L, R, P>,
    ops: &[Op],
    conn: &C,
) -> Result<(), TestCaseError> {
    let mut w = rel.setup(conn);
    let mut trace = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        let step = resolve(&w, op, n);
        trace.push(format!("{step:?}"));
        if let Err(e) = run_step(rel, conn, &mut w, &step) {
            return Err(TestCaseError::fail(format!(
                "{e}\nafter the steps:\n  {}",
                trace.join(",\n  ")
            )));
        }
    }
    Ok(())
}

// ----- generators -----------------------------------------------------------------

/// The roles pivot data is made of: a small domain, so that "the same data
/// again" happens often.
const ROLES: [&str; 3] = ["", "admin", "o'hara -- 🦀"];

fn data() -> impl Strategy<Value = Data> {
    (
        prop::sample::select(ROLES.to_vec()),
        prop::option::of(prop::sample::select(vec!["x", ""])),
    )
        .prop_map(|(role, note)| Data::new(role, note))
}

fn mode() -> impl Strategy<Value = SyncMode> {
    prop::sample::select(vec![SyncMode::Replace, SyncMode::Add, SyncMode::Remove])
}

/// Steps for a relation with these sides, with the pivot calls when it has
/// pivot data; up to 50 of them.
fn ops(sides: Vec<Side>, pivot: bool) -> impl Strategy<Value = Vec<Op>> {
    let side = prop::sample::select(sides);
    let idx = any::<u8>();
    let list = || prop::collection::vec(any::<u8>(), 0..6);
    let mut arms: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (
            6,
            (side.clone(), idx, list())
                .prop_map(|(s, o, t)| Op::Add(s, o, t))
                .boxed(),
        ),
        (
            3,
            (side.clone(), idx, list())
                .prop_map(|(s, o, t)| Op::Remove(s, o, t))
                .boxed(),
        ),
        (
            3,
            (side.clone(), idx, list())
                .prop_map(|(s, o, t)| Op::Set(s, o, t))
                .boxed(),
        ),
        (
            1,
            (side.clone(), idx)
                .prop_map(|(s, o)| Op::Clear(s, o))
                .boxed(),
        ),
        (
            4,
            (side.clone(), idx, list(), mode())
                .prop_map(|(s, o, t, m)| Op::Sync(s, o, t, m))
                .boxed(),
        ),
        (
            3,
            (side.clone(), idx, list())
                .prop_map(|(s, o, t)| Op::Toggle(s, o, t))
                .boxed(),
        ),
        (
            1,
            (side.clone(), idx)
                .prop_map(|(s, o)| Op::Create(s, o))
                .boxed(),
        ),
        (
            1,
            (side.clone(), idx)
                .prop_map(|(s, o)| Op::Delete(s, o))
                .boxed(),
        ),
        (
            1,
            (side.clone(), idx)
                .prop_map(|(s, o)| Op::Save(s, o))
                .boxed(),
        ),
    ];
    if pivot {
        arms.push((
            3,
            (side.clone(), idx, idx, data())
                .prop_map(|(s, o, t, d)| Op::AddWith(s, o, t, d))
                .boxed(),
        ));
        arms.push((
            2,
            (side.clone(), idx, idx, data())
                .prop_map(|(s, o, t, d)| Op::UpdatePivot(s, o, t, d))
                .boxed(),
        ));
        arms.push((
            4,
            (
                side,
                idx,
                prop::collection::vec((any::<u8>(), data()), 0..6),
                mode(),
            )
                .prop_map(|(s, o, items, m)| Op::SyncWith(s, o, items, m))
                .boxed(),
        ));
    }
    prop::collection::vec(Union::new_weighted(arms), 1..=50)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn plain_relation_and_its_reverse_agree_with_the_model(
        ops in ops(vec![Side::Fwd, Side::Rev], false)
    ) {
        run_ops(&plain(), &ops)?;
    }

    #[test]
    fn symmetrical_relation_agrees_with_the_model(ops in ops(vec![Side::Fwd], false)) {
        run_ops(&friends(), &ops)?;
    }

    #[test]
    fn through_relation_and_its_reverse_agree_with_the_model(
        ops in ops(vec![Side::Fwd, Side::Rev], true)
    ) {
        run_ops(&clubs(), &ops)?;
    }

    #[test]
    fn symmetrical_through_relation_agrees_with_the_model(ops in ops(vec![Side::Fwd], true)) {
        run_ops(&colleagues(), &ops)?;
    }
}

/// The properties on PostgreSQL, with a sixteenth of the cases (4 by
/// default, at least 2): each case is a fresh schema and every step is
/// checked with a dozen round trips; 16 cases took 70 s there.
pub fn pg_config() -> ProptestConfig {
    ProptestConfig {
        cases: (cases(64) / 16).max(2),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

mod on_postgres {
    use super::*;

    proptest! {
        #![proptest_config(pg_config())]

        #[test]
        fn plain_relation_and_its_reverse_agree_with_the_model(
            ops in ops(vec![Side::Fwd, Side::Rev], false)
        ) {
            pg_run_ops(&plain(), &ops)?;
        }

        #[test]
        fn symmetrical_relation_agrees_with_the_model(ops in ops(vec![Side::Fwd], false)) {
            pg_run_ops(&friends(), &ops)?;
        }

        #[test]
        fn through_relation_and_its_reverse_agree_with_the_model(
            ops in ops(vec![Side::Fwd, Side::Rev], true)
        ) {
            pg_run_ops(&clubs(), &ops)?;
        }

        #[test]
        fn symmetrical_through_relation_agrees_with_the_model(ops in ops(vec![Side::Fwd], true)) {
            pg_run_ops(&colleagues(), &ops)?;
        }
    }
}

// ----- regression tests: shrunk failures, replayed as written -----------------------

/// Runs `steps` on `rel` and fails with the model's complaint.
#[track_caller]
fn must_replay<L: Entity, R: Entity, P: PivotKind>(rel: &Rel<L, R, P>, steps: &[Step]) {
    if let Err(e) = replay(rel, steps) {
        panic!("{e}");
    }
}

fn step(side: Side, owner: i64, call: Call) -> Step {
    Step { side, owner, call }
}

/// The driver itself: a long hand-written sequence over every call and
/// both sides passes (so a red property test means the library, not the
/// harness).
#[test]
fn a_hand_written_sequence_passes_on_every_relation() {
    use Call::*;
    use Side::*;
    let seq = |pivot: bool, rev: Side| {
        let mut v = vec![
            step(Fwd, 1, Add(vec![1, 2, 2, 3])),
            step(rev, 2, Add(vec![1, 2])),
            step(Fwd, 1, Set(vec![3, 4])),
            step(Fwd, 2, Toggle(vec![1, 4, GHOST])),
            step(Fwd, 2, Toggle(vec![1, 4])),
            step(Fwd, 3, Sync(vec![1, 1], SyncMode::Add)),
            step(Fwd, 3, Sync(vec![1, 2], SyncMode::Replace)),
            step(Fwd, 3, Sync(vec![2, 5], SyncMode::Remove)),
            step(Fwd, GHOST, Add(vec![1])),
            step(Fwd, GHOST, Set(vec![])),
            step(Fwd, 1, Create("new".into())),
            step(rev, 3, Create("new 2".into())),
            step(Fwd, 2, Delete),
            step(Fwd, 2, Add(vec![1])),
            step(rev, 1, Clear),
        ];
        if pivot {
            v.extend([
                step(Fwd, 1, AddWith(1, Data::new("a", Some("n")))),
                step(Fwd, 1, AddWith(1, Data::new("b", None))),
                step(rev, 1, UpdatePivot(1, Data::new("c", None))),
                step(
                    Fwd,
                    1,
                    SyncWith(
                        vec![(1, Data::new("c", None)), (3, Data::default())],
                        SyncMode::Add,
                    ),
                ),
                step(
                    Fwd,
                    1,
                    SyncWith(
                        vec![(3, Data::new("d", None)), (3, Data::new("e", None))],
                        SyncMode::Replace,
                    ),
                ),
                step(
                    Fwd,
                    1,
                    SyncWith(
                        vec![(3, Data::default()), (GHOST, Data::default())],
                        SyncMode::Add,
                    ),
                ),
                step(
                    Fwd,
                    1,
                    SyncWith(vec![(3, Data::default())], SyncMode::Remove),
                ),
            ]);
        }
        v
    };
    must_replay(&plain(), &seq(false, Rev));
    must_replay(&friends(), &seq(false, Fwd));
    must_replay(&clubs(), &seq(true, Rev));
    must_replay(&colleagues(), &seq(true, Fwd));
}

/// Shrunk from `symmetrical_relation_agrees_with_the_model` (and the
/// symmetrical through relation): `create` from an owner key whose row was
/// deleted must fail with `MissingOwner` and write nothing. The new row
/// takes the deleted row's key (SQLite reuses the largest rowid), so linking
/// it "to the owner" links it to itself unless the owner is checked before
/// the insert.
#[test]
fn create_from_a_deleted_owner_of_a_self_relation_is_missing_owner() {
    let steps = [
        step(Side::Fwd, 6, Call::Delete),
        step(Side::Fwd, 6, Call::Create("made".into())),
    ];
    must_replay(&friends(), &steps);
    must_replay(&colleagues(), &steps);
}

/// Every call but `toggle` and `create` is idempotent: made twice with the
/// same input, the second changes nothing and reports nothing. Checked
/// directly here, and against the model by [`replay`] on every relation.
#[test]
fn repeating_a_call_changes_nothing_the_second_time() {
    use Call::*;
    use Side::*;
    let conn = db();
    let w = plain().setup(&conn);
    let (posts, labels) = (&w.known[0], &w.known[1]);
    let post = Post::LABELS.of_key(posts[0]);
    let (a, b, c) = (labels[0], labels[1], labels[2]);
    for _ in 0..2 {
        post.add(&conn, [a, b]).unwrap();
    }
    assert_eq!(post.add(&conn, [a, b]).unwrap(), 0);
    post.set(&conn, [b, c]).unwrap();
    assert!(post.set(&conn, [b, c]).unwrap().is_empty());
    for mode in [SyncMode::Replace, SyncMode::Add, SyncMode::Remove] {
        post.sync(&conn, [a], mode).unwrap();
        let again = post.sync(&conn, [a], mode).unwrap();
        assert!(again.is_empty(), "{mode:?}: {again:?}");
    }
    post.add(&conn, [a, b]).unwrap();
    post.remove(&conn, [a]).unwrap();
    assert_eq!(post.remove(&conn, [a]).unwrap(), 0);
    post.clear(&conn).unwrap();
    assert_eq!(post.clear(&conn).unwrap(), 0);
    // Not idempotent, by contract: toggle flips back, create makes a new row.
    let r1 = post.toggle(&conn, [a]).unwrap();
    let r2 = post.toggle(&conn, [a]).unwrap();
    assert_eq!(
        (r1.added, r2.removed),
        (vec![Key::new(a)], vec![Key::new(a)])
    );

    // With pivot data: the second add_with keeps the first data,
    // sync_with and update_pivot with the same data change nothing.
    let w = clubs().setup(&conn);
    let m = Member::CLUBS.of_key(w.known[0][0]);
    let club = w.known[1][0];
    let d = Data::new("admin", Some("x"));
    assert!(m.add_with(&conn, club, Membership::with(&d)).unwrap());
    let first = m.pivot(&conn, club).unwrap();
    assert!(
        !m.add_with(&conn, club, Membership::with(&Data::default()))
            .unwrap()
    );
    assert_eq!(m.pivot(&conn, club).unwrap(), first);
    let items = || [(club, Membership::with(&d))];
    for mode in [SyncMode::Replace, SyncMode::Add] {
        assert!(
            m.sync_with(&conn, items(), mode).unwrap().is_empty(),
            "{mode:?}"
        );
    }
    for _ in 0..2 {
        let set = |p: &mut Membership| p.role = "admin".into();
        assert!(m.update_pivot(&conn, club, set).unwrap());
        assert_eq!(m.pivot(&conn, club).unwrap(), first, "same row, same data");
    }

    // The same, replayed against the model on every relation.
    let twice = |pivot: bool| {
        let mut v = Vec::new();
        let mut calls = vec![
            Add(vec![1, 2]),
            Set(vec![2, 3]),
            Sync(vec![1], SyncMode::Add),
            Sync(vec![1], SyncMode::Remove),
            Sync(vec![1, 2], SyncMode::Replace),
            Remove(vec![2]),
            Clear,
        ];
        if pivot {
            calls.extend([
                AddWith(2, Data::new("admin", None)),
                UpdatePivot(2, Data::new("", Some("x"))),
                SyncWith(
                    vec![(2, Data::default()), (3, Data::default())],
                    SyncMode::Replace,
                ),
                SyncWith(vec![(3, Data::new("admin", None))], SyncMode::Add),
                SyncWith(vec![(2, Data::default())], SyncMode::Remove),
            ]);
        }
        for call in calls {
            v.push(step(Fwd, 1, call.clone()));
            v.push(step(Fwd, 1, call));
        }
        v
    };
    must_replay(&plain(), &twice(false));
    must_replay(&friends(), &twice(false));
    must_replay(&clubs(), &twice(true));
    must_replay(&colleagues(), &twice(true));
}
