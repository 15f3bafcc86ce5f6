// The user called `add` (no pivot data) on a relation whose through model
// does not implement `Default`, so the new rows' data is unknown.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Course {
    id: i64,
}

#[derive(Model)]
struct Enrollment {
    id: i64,
    student_id: i64,
    course_id: i64,
    grade: String,
}

#[derive(Model)]
struct Student {
    id: i64,
    #[many_to_many(through_model = Enrollment, related_name = "students")]
    courses: ManyToMany<Course>,
}

#[allow(dead_code)]
fn enroll(conn: &m2m::rusqlite::Connection, student: &Student, course: &Course) {
    let _ = student.courses().add(conn, [course]);
}

fn main() {}
