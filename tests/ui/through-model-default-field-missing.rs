// The user left out `source`, so it defaults to the field `student_id`,
// but the through model calls that field `learner`.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Course {
    id: i64,
}

#[derive(Model, Default)]
struct Enrollment {
    id: i64,
    learner: i64,
    course_id: i64,
    grade: Option<String>,
}

#[derive(Model)]
struct Student {
    id: i64,
    #[many_to_many(through_model = Enrollment)]
    courses: ManyToMany<Course>,
}

fn main() {}
