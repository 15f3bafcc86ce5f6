//! The standard workload's models and data, shared by `workload` (SQLite)
//! and `workload_pg` (PostgreSQL) so both measure the same thing.

use m2m::{ManyToMany, Model};

pub const POSTS: i64 = 2_000;
pub const TAGS: i64 = 500;
pub const PER_POST: i64 = 20;
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "posts")]
pub struct Post {
    pub id: i64,
    pub title: String,
    #[many_to_many(related_name = "posts")]
    pub tags: ManyToMany<Tag>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "tags")]
pub struct Tag {
    pub id: i64,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq, Default)]
#[model(table = "post_weights")]
pub struct Weight {
    pub id: i64,
    pub post_id: i64,
    pub tag_id: i64,
    pub weight: i64,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "wposts")]
pub struct WPost {
    pub id: i64,
    #[many_to_many(through_model = Weight, source = "post_id", target = "tag_id", related_name = "wposts")]
    pub tags: ManyToMany<Tag>,
}

/// The 20 tags of post `p` (distinct, spread over all tags).
pub fn tags_of(p: i64) -> Vec<i64> {
    (0..PER_POST).map(|k| (p * 7 + k * 13) % TAGS + 1).collect()
}

/// A 20-tag set sharing its first 10 with `tags_of(p)`.
pub fn overlapping(p: i64) -> Vec<i64> {
    let mut v: Vec<i64> = tags_of(p).into_iter().take(10).collect();
    v.extend((0..10).map(|k| (p * 7 + 260 + k * 13) % TAGS + 1));
    v
}
