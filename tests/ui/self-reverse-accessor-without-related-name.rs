// The user called `p.followers()`, but `Person.following` has no
// `related_name`: its reverse accessor has the default name `person_set`.
// rustc ranks the similarly spelled `following` (the other direction!)
// above any `#[doc(alias)]`, so it suggests that; the fix is to write
// `#[many_to_many(related_name = "followers")]`, as the docs of
// `related_name` say for self relations.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Person {
    id: i64,
    following: ManyToMany<Self>,
}

#[allow(dead_code)]
fn followers_of(conn: &m2m::rusqlite::Connection, p: &Person) {
    let _ = p.followers().count(conn);
}

fn main() {}
