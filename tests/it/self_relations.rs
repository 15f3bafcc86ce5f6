//! Self relations: symmetrical `friends`, directional `following`/`followers`.

use m2m::{Model, SyncMode};

use crate::models::*;

fn users(conn: &impl m2m::Db, names: &[&str]) -> Vec<User> {
    names.iter().map(|n| user(conn, n)).collect()
}

dual! {
    fn symmetrical_add_is_seen_from_the_other_side_once() {
        let conn = db();
        let u = users(&conn, &["a", "b", "c"]);
        assert_eq!(u[0].friends().add(&conn, [&u[1]]).unwrap(), 1);
        assert_eq!(ids(&u[1].friends().keys(&conn).unwrap()), vec![u[0].id]);
        assert_eq!(
            row_ids(&u[1].friends().fetch_all(&conn).unwrap()),
            vec![u[0].id]
        );
        assert_eq!(ids(&u[0].friends().keys(&conn).unwrap()), vec![u[1].id]);
        assert_eq!(u[1].friends().count(&conn).unwrap(), 1);
        assert_eq!(u[0].friends().count(&conn).unwrap(), 1);
        assert!(u[1].friends().contains(&conn, &u[0]).unwrap());
        assert!(u[0].friends().contains(&conn, &u[1]).unwrap());
        assert!(u[1].friends().exists(&conn).unwrap());
        assert!(!u[2].friends().exists(&conn).unwrap());
        assert!(!u[2].friends().contains(&conn, &u[0]).unwrap());
        // Adding from the other side is a no-op: the pair is one link.
        assert_eq!(u[1].friends().add(&conn, [&u[0]]).unwrap(), 0);
        assert_eq!(rows_in(&conn, User::FRIENDS.def().junction_table()), 1);
        assert_eq!(u[0].friends().count(&conn).unwrap(), 1);
    }
}

dual! {
    fn symmetrical_add_from_the_larger_key() {
        let conn = db();
        let u = users(&conn, &["a", "b", "c"]);
        // The owner has the larger key.
        assert_eq!(u[2].friends().add(&conn, [&u[1], &u[0]]).unwrap(), 2);
        assert_eq!(
            ids(&u[2].friends().keys(&conn).unwrap()),
            vec![u[0].id, u[1].id]
        );
        assert_eq!(ids(&u[0].friends().keys(&conn).unwrap()), vec![u[2].id]);
        assert_eq!(ids(&u[1].friends().keys(&conn).unwrap()), vec![u[2].id]);
        assert_eq!(
            u[2].friends().fetch_one(&conn).unwrap().map(|x| x.id),
            Some(u[0].id)
        );
        assert_eq!(
            u[0].friends().fetch_one(&conn).unwrap().map(|x| x.id),
            Some(u[2].id)
        );
        assert_eq!(u[2].friends().count(&conn).unwrap(), 2);
    }
}

dual! {
    fn symmetrical_remove_from_either_side() {
        let conn = db();
        let u = users(&conn, &["a", "b", "c"]);
        u[0].friends().add(&conn, [&u[1], &u[2]]).unwrap();
        assert_eq!(u[1].friends().remove(&conn, [&u[0]]).unwrap(), 1);
        assert_eq!(ids(&u[0].friends().keys(&conn).unwrap()), vec![u[2].id]);
        assert!(u[1].friends().keys(&conn).unwrap().is_empty());
        assert_eq!(u[0].friends().remove(&conn, [&u[2]]).unwrap(), 1);
        assert!(u[2].friends().keys(&conn).unwrap().is_empty());
        assert_eq!(rows_in(&conn, User::FRIENDS.def().junction_table()), 0);
    }
}

dual! {
    fn symmetrical_clear_from_either_side() {
        let conn = db();
        let u = users(&conn, &["a", "b", "c", "d"]);
        u[0].friends().add(&conn, [&u[1], &u[2]]).unwrap();
        u[3].friends().add(&conn, [&u[2]]).unwrap();
        // c is linked as the larger key (to a) and as the smaller key (to d).
        assert_eq!(u[2].friends().count(&conn).unwrap(), 2);
        assert_eq!(u[2].friends().clear(&conn).unwrap(), 2);
        assert_eq!(ids(&u[0].friends().keys(&conn).unwrap()), vec![u[1].id]);
        assert!(u[3].friends().keys(&conn).unwrap().is_empty());
        assert_eq!(u[1].friends().clear(&conn).unwrap(), 1);
        assert!(!u[0].friends().exists(&conn).unwrap());
    }
}

dual! {
    fn a_self_link_appears_once() {
        let conn = db();
        let u = users(&conn, &["a", "b"]);
        assert_eq!(u[0].friends().add(&conn, [&u[0]]).unwrap(), 1);
        assert_eq!(u[0].friends().add(&conn, [&u[0]]).unwrap(), 0);
        assert_eq!(
            row_ids(&u[0].friends().fetch_all(&conn).unwrap()),
            vec![u[0].id]
        );
        assert_eq!(ids(&u[0].friends().keys(&conn).unwrap()), vec![u[0].id]);
        assert_eq!(u[0].friends().count(&conn).unwrap(), 1);
        assert!(u[0].friends().contains(&conn, &u[0]).unwrap());
        assert_eq!(u[0].friends().query().count(&conn).unwrap(), 1);
        u[1].friends().add(&conn, [&u[0]]).unwrap();
        assert_eq!(
            row_ids(&u[0].friends().fetch_all(&conn).unwrap()),
            vec![u[0].id, u[1].id]
        );
        assert_eq!(u[0].friends().count(&conn).unwrap(), 2);
        assert_eq!(u[1].friends().count(&conn).unwrap(), 1);
        let r = u[0].friends().toggle(&conn, [&u[0]]).unwrap();
        assert_eq!(ids(&r.removed), vec![u[0].id]);
        assert_eq!(ids(&u[0].friends().keys(&conn).unwrap()), vec![u[1].id]);
    }
}

dual! {
    fn symmetrical_set_from_the_other_side() {
        let conn = db();
        let u = users(&conn, &["a", "b", "c", "d"]);
        u[0].friends().add(&conn, [&u[1], &u[2]]).unwrap();
        // b's friends are {a}; make them {c, d}.
        let r = u[1].friends().set(&conn, [&u[3], &u[2]]).unwrap();
        assert_eq!(ids(&r.removed), vec![u[0].id]);
        assert_eq!(ids(&r.added), vec![u[2].id, u[3].id]);
        assert_eq!(ids(&u[0].friends().keys(&conn).unwrap()), vec![u[2].id]);
        assert_eq!(
            ids(&u[2].friends().keys(&conn).unwrap()),
            vec![u[0].id, u[1].id]
        );
        assert_eq!(ids(&u[3].friends().keys(&conn).unwrap()), vec![u[1].id]);
        // c keeps b (stored with b as the smaller key) and a; drops nothing else.
        let r = u[2].friends().set(&conn, [&u[1], &u[0]]).unwrap();
        assert!(r.is_empty(), "{r:?}");
        let r = u[2].friends().set(&conn, [&u[1]]).unwrap();
        assert_eq!(ids(&r.removed), vec![u[0].id]);
        assert!(r.added.is_empty());
    }
}

dual! {
    fn symmetrical_sync_toggle_and_filter() {
        let conn = db();
        let u = users(&conn, &["ann", "bob", "cid", "dan"]);
        u[0].friends().add(&conn, [&u[3]]).unwrap();
        let r = u[3]
            .friends()
            .sync(&conn, [u[0].id, u[1].id], SyncMode::Add)
            .unwrap();
        assert_eq!(ids(&r.added), vec![u[1].id]);
        let r = u[3]
            .friends()
            .sync(&conn, [u[0].id, u[2].id], SyncMode::Remove)
            .unwrap();
        assert_eq!(ids(&r.removed), vec![u[0].id]);
        let r = u[1].friends().toggle(&conn, [&u[3], &u[2]]).unwrap();
        assert_eq!(ids(&r.removed), vec![u[3].id]);
        assert_eq!(ids(&r.added), vec![u[2].id]);
        u[2].friends().add(&conn, [&u[0], &u[3]]).unwrap();
        // cid: bob (cid is larger), ann (larger), dan (smaller).
        assert_eq!(
            row_ids(
                &u[2]
                    .friends()
                    .filter(|c| c.name.ne("bob"))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![u[0].id, u[3].id]
        );
        assert_eq!(
            u[2].friends()
                .filter(|c| c.name.like("%n"))
                .count(&conn)
                .unwrap(),
            2
        );
        assert_eq!(
            u[0].friends()
                .filter(|c| c.name.like("%"))
                .count(&conn)
                .unwrap(),
            1
        );
    }
}

dual! {
    fn deleting_a_user_removes_its_friendships_from_both_sides() {
        let conn = db();
        let u = users(&conn, &["a", "b", "c"]);
        u[1].friends().add(&conn, [&u[0], &u[2]]).unwrap();
        u[1].following().add(&conn, [&u[0]]).unwrap();
        u[2].following().add(&conn, [&u[1]]).unwrap();
        assert!(u[1].delete(&conn).unwrap());
        assert!(!u[0].friends().exists(&conn).unwrap());
        assert!(!u[2].friends().exists(&conn).unwrap());
        assert!(!u[0].followers().exists(&conn).unwrap());
        assert!(!u[2].following().exists(&conn).unwrap());
        assert_eq!(rows_in(&conn, "user"), 2);
    }
}

dual! {
    fn following_is_directional() {
        let conn = db();
        let u = users(&conn, &["a", "b", "c"]);
        assert_eq!(u[0].following().add(&conn, [&u[1]]).unwrap(), 1);
        assert_eq!(ids(&u[0].following().keys(&conn).unwrap()), vec![u[1].id]);
        assert!(u[1].following().keys(&conn).unwrap().is_empty());
        assert_eq!(ids(&u[1].followers().keys(&conn).unwrap()), vec![u[0].id]);
        assert!(u[0].followers().keys(&conn).unwrap().is_empty());
        assert!(!u[1].following().contains(&conn, &u[0]).unwrap());
        // The reverse add writes "c follows b".
        assert_eq!(u[1].followers().add(&conn, [&u[2]]).unwrap(), 1);
        assert_eq!(ids(&u[2].following().keys(&conn).unwrap()), vec![u[1].id]);
        assert_eq!(
            row_ids(&u[1].followers().fetch_all(&conn).unwrap()),
            vec![u[0].id, u[2].id]
        );
        // b following a is a new, separate link.
        assert_eq!(u[1].following().add(&conn, [&u[0]]).unwrap(), 1);
        assert_eq!(rows_in(&conn, User::FOLLOWING.def().junction_table()), 3);
        assert_eq!(u[0].following().remove(&conn, [&u[1]]).unwrap(), 1);
        assert_eq!(
            ids(&u[1].following().keys(&conn).unwrap()),
            vec![u[0].id],
            "b still follows a"
        );
        // Following and friends never mix.
        assert!(!u[0].friends().exists(&conn).unwrap());
        assert_ne!(
            User::FRIENDS.def().junction_table(),
            User::FOLLOWING.def().junction_table()
        );
        assert_eq!(
            User::FOLLOWERS.def().junction_table(),
            User::FOLLOWING.def().junction_table()
        );
    }
}
