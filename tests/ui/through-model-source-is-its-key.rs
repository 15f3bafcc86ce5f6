// The user's `source` names the through model's own key, `id`, instead of
// the field that holds the student's key: every link would need its own
// `id`, and `add` could not work.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Course {
    id: i64,
}

#[derive(Model, Default)]
struct Link {
    id: i64,
    student: i64,
    course: i64,
}

#[derive(Model)]
struct Student {
    id: i64,
    #[many_to_many(through_model = Link, source = "id", target = "course")]
    courses: ManyToMany<Course>,
}

fn main() {}
