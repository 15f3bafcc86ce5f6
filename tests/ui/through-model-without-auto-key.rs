// The user's through model is keyed by a `String`, which SQLite cannot
// assign when a link is added.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Course {
    id: i64,
}

#[derive(Model, Default)]
struct Enrollment {
    #[model(primary_key)]
    code: String,
    student_id: i64,
    course_id: i64,
}

#[derive(Model)]
struct Student {
    id: i64,
    #[many_to_many(through_model = Enrollment)]
    courses: ManyToMany<Course>,
}

fn main() {}
