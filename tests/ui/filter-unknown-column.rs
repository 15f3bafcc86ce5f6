// The user filtered on a column the model does not have (`title` instead of `name`).
use m2m::Model;

#[derive(Model)]
struct Tag {
    id: i64,
    name: String,
}

fn main() {
    let _ = Tag::query().filter(|c| c.title.eq("rust"));
}
