// The user's `source` names a field the through model does not have
// (it is called `student_id`, not `learner_id`).
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
    grade: Option<String>,
}

#[derive(Model)]
struct Student {
    id: i64,
    #[many_to_many(through_model = Enrollment, source = "learner_id", target = "course_id")]
    courses: ManyToMany<Course>,
}

fn main() {}
