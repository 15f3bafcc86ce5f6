// The user's through model lacks `#[derive(Model)]`.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Course {
    id: i64,
}

#[derive(Default)]
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
