// The user asked for a junction model (pivot data), which is not supported yet.
use m2m_core::{ManyToMany, Model};

#[derive(Model)]
struct Course {
    id: i64,
}

#[derive(Model)]
struct Enrollment {
    id: i64,
    student_id: i64,
    course_id: i64,
}

#[derive(Model)]
struct Student {
    id: i64,
    #[many_to_many(through_model = Enrollment, source = "student_id", target = "course_id")]
    courses: ManyToMany<Course>,
}

fn main() {}
