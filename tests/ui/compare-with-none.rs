// The user compared a nullable column with `None`: in SQL, `= NULL` is never
// true; a test for NULL is `.is_null()`.
use m2m::Model;

#[derive(Model)]
struct Article {
    id: i64,
    body: Option<String>,
}

#[allow(dead_code)]
fn drafts(conn: &m2m::rusqlite::Connection) {
    let _ = Article::query().filter(|c| c.body.eq(None)).count(conn);
}

fn main() {}
