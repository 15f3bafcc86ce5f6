// The user wrote a column-like name with a space as `source`; with a
// `through_model`, `source` names one of its fields.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Course {
    id: i64,
}

#[derive(Model, Default)]
struct Enrollment {
    id: i64,
    student_id: i64,
    course_id: i64,
}

#[derive(Model)]
struct Student {
    id: i64,
    #[many_to_many(through_model = Enrollment, source = "student id")]
    courses: ManyToMany<Course>,
}

fn main() {}
