// The user called `tag.entries()`, but `Entry.tags` has no `related_name`:
// its reverse accessor has the default name `entry_set`.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Entry {
    id: i64,
    tags: ManyToMany<Tag>,
}

#[allow(dead_code)]
fn entries_of(conn: &m2m::rusqlite::Connection, tag: &Tag) {
    let _ = tag.entries().count(conn);
}

fn main() {}
