//! Lists far above SQLite's bound-parameter limit (32,766) in one call.

use std::time::Instant;

use m2m::Model;

use crate::models::*;

const N: i64 = 100_000;

dual! {
    fn one_hundred_thousand_targets_in_one_call() {
        let started = Instant::now();
        let mut conn = db();
        // 150k tags, inserted in one transaction.
        {
            let tx = conn.transaction().unwrap();
            for i in 0..N + N / 2 {
                let mut t = new_tag(&format!("t{i}"));
                t.insert(&tx).unwrap();
                assert_eq!(t.id, i + 1);
            }
            tx.commit().unwrap();
        }
        let a = article(&conn, "big");
        let other = article(&conn, "other");
        other.tags().add(&conn, [1, N]).unwrap();

        // add 1..=100k
        let first: Vec<i64> = (1..=N).collect();
        assert_eq!(a.tags().add(&conn, first.clone()).unwrap(), N as usize);
        assert_eq!(a.tags().count(&conn).unwrap(), N as u64);
        assert_eq!(a.tags().add(&conn, first).unwrap(), 0);

        // set to 50,001..=150k: 50k removed, 50k added, 50k kept
        let second: Vec<i64> = (N / 2 + 1..=N + N / 2).collect();
        assert_eq!(second.len(), N as usize);
        let r = a.tags().set(&conn, second.clone()).unwrap();
        assert_eq!(r.removed.len(), (N / 2) as usize);
        assert_eq!(r.added.len(), (N / 2) as usize);
        assert_eq!(ids(&r.removed), (1..=N / 2).collect::<Vec<_>>());
        assert_eq!(ids(&r.added), (N + 1..=N + N / 2).collect::<Vec<_>>());
        let keys = a.tags().keys(&conn).unwrap();
        assert_eq!(ids(&keys), second);

        // A missing key at the end of 100k: nothing written.
        let mut bad = (1..=N).collect::<Vec<_>>();
        bad.push(10 * N);
        assert_missing_target(
            a.tags().add(&conn, bad),
            "Article.tags",
            &(10 * N).to_string(),
        );
        assert_eq!(a.tags().count(&conn).unwrap(), N as u64);

        // toggle 100k: 50k linked (removed), 50k not (added)
        let toggled: Vec<i64> = (1..=N).collect();
        let r = a.tags().toggle(&conn, toggled).unwrap();
        assert_eq!(r.removed.len(), (N / 2) as usize);
        assert_eq!(r.added.len(), (N / 2) as usize);
        assert_eq!(ids(&r.added), (1..=N / 2).collect::<Vec<_>>());
        let r = a.tags().toggle(&conn, 1..=N).unwrap();
        assert_eq!(
            (r.added.len(), r.removed.len()),
            ((N / 2) as usize, (N / 2) as usize)
        );
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), second);

        // remove all 100k
        assert_eq!(a.tags().remove(&conn, &keys).unwrap(), N as usize);
        assert_eq!(a.tags().count(&conn).unwrap(), 0);
        assert_eq!(
            ids(&other.tags().keys(&conn).unwrap()),
            vec![1, N],
            "other owner untouched"
        );

        let elapsed = started.elapsed();
        eprintln!("bulk test took {elapsed:?}");
    }
}
