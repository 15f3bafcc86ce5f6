// The user's through model has the target's table.
use m2m::{ManyToMany, Model};

#[derive(Model)]
#[model(table = "courses")]
struct Course {
    id: i64,
}

#[derive(Model, Default)]
#[model(table = "courses")]
struct Enrollment {
    id: i64,
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
