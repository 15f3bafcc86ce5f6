// The user's `source` field is a `String`, but `Student`'s key is an `i64`.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Course {
    id: i64,
}

#[derive(Model, Default)]
struct Enrollment {
    id: i64,
    student_id: String,
    course_id: i64,
}

#[derive(Model)]
struct Student {
    id: i64,
    #[many_to_many(through_model = Enrollment, source = "student_id", target = "course_id")]
    courses: ManyToMany<Course>,
}

fn main() {}
