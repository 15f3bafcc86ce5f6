//! Students, courses and enrollments that carry a grade: pivot data on an
//! explicit through model.
//!
//! Run it with `cargo run --example school`. It prints an honor roll found
//! with `filter_pivot`, and re-syncs a student's courses from a list of ids
//! the way a web service would, printing the change report. It ends in
//! assertions, so `cargo test` checks it too.

use m2m::{ManyToMany, Model, SyncMode};

/// The junction as a model: one row per (student, course), with a grade.
#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Enrollment {
    id: i64,
    student_id: i64,
    course_id: i64,
    grade: Option<String>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "courses")]
struct Course {
    id: i64,
    title: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "students")]
struct Student {
    id: i64,
    name: String,
    #[many_to_many(through_model = Enrollment, source = "student_id", target = "course_id", related_name = "students")]
    courses: ManyToMany<Course>,
}

fn graded(grade: &str) -> Enrollment {
    Enrollment {
        grade: Some(grade.into()),
        ..Enrollment::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let conn = m2m::open_in_memory()?;
    Course::create_table(&conn)?;
    Student::create_table(&conn)?; // also creates `enrollment`, with its foreign keys

    let mut courses = Vec::new();
    for title in ["Algebra", "Biology", "Chemistry", "Drama"] {
        let mut c = Course {
            id: 0,
            title: title.into(),
        };
        c.insert(&conn)?;
        courses.push(c);
    }
    let mut students = Vec::new();
    for name in ["Ada", "Ben", "Cleo", "Dev"] {
        let mut s = Student {
            id: 0,
            name: name.into(),
            courses: ManyToMany::default(),
        };
        s.insert(&conn)?;
        students.push(s);
    }
    let (algebra, biology) = (&courses[0], &courses[1]);

    // Enroll with a grade; the key fields of the enrollment are filled in.
    for (student, grade) in students.iter().zip(["A", "B", "A", "C"]) {
        student.courses().add_with(&conn, algebra, graded(grade))?;
    }
    students[0]
        .courses()
        .add_with(&conn, biology, graded("B"))?;
    students[2].courses().add(&conn, [biology])?; // no grade yet: Enrollment::default()

    // The honor roll: algebra students whose enrollment has grade A.
    let honor = algebra
        .students()
        .filter_pivot(|e| e.grade.eq("A"))
        .fetch_all(&conn)?;
    let honor_names: Vec<&str> = honor.iter().map(|s| s.name.as_str()).collect();
    println!("Algebra honor roll: {}", honor_names.join(", "));

    // Grades of one student, with the courses.
    for (course, enrollment) in students[0].courses().fetch_with_pivot(&conn)? {
        println!(
            "  {} in {}: {}",
            students[0].name,
            course.title,
            enrollment.grade.as_deref().unwrap_or("-")
        );
    }

    // Cleo's biology grade arrives.
    students[2]
        .courses()
        .update_pivot(&conn, biology, |e| e.grade = Some("A".into()))?;

    // A request re-syncs Ada's courses from a list of ids: Biology and Drama
    // with grades. Algebra goes, Biology's grade changes, Drama is new.
    let request = vec![(courses[1].id, graded("A")), (courses[3].id, graded("B"))];
    let report =
        Student::COURSES
            .of_key(students[0].id)
            .sync_with(&conn, request, SyncMode::Replace)?;
    let titles = |keys: &[m2m::Key<Course>]| -> Vec<String> {
        keys.iter()
            .filter_map(|k| {
                courses
                    .iter()
                    .find(|c| c.id == *k.get())
                    .map(|c| c.title.clone())
            })
            .collect()
    };
    println!(
        "re-synced Ada: added {:?}, removed {:?}, grade changed {:?}",
        titles(&report.added),
        titles(&report.removed),
        titles(&report.updated)
    );

    // Loading every student's courses with their grades: one statement.
    let all = Student::COURSES.prefetch_with_pivot(&conn, &students)?;
    for s in &students {
        let list: Vec<String> = all
            .get(s)
            .iter()
            .map(|(c, e)| format!("{} ({})", c.title, e.grade.as_deref().unwrap_or("-")))
            .collect();
        println!("  {:<5} {}", s.name, list.join(", "));
    }

    assert_eq!(honor_names, ["Ada", "Cleo"]);
    assert_eq!(titles(&report.added), ["Drama"]);
    assert_eq!(titles(&report.removed), ["Algebra"]);
    assert_eq!(titles(&report.updated), ["Biology"]);
    assert_eq!(
        students[0]
            .courses()
            .pivot(&conn, biology)?
            .and_then(|e| e.grade)
            .as_deref(),
        Some("A")
    );
    assert_eq!(
        biology
            .students()
            .filter_pivot(|e| e.grade.eq("A"))
            .count(&conn)?,
        2
    );
    assert_eq!(Enrollment::query().count(&conn)?, 6);
    println!("ok");
    Ok(())
}
