// The user's through model has the owner's table (`Student` and `student`
// are one table to SQLite).
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Course {
    id: i64,
}

#[derive(Model, Default)]
#[model(table = "Student")]
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
