//! Hostile and extreme input, beyond what `tests/it` covers: values that
//! would break SQL built from text (quotes, `--`, NUL, emoji, JSON escapes,
//! 1 MB) through every path a value travels (insert, get, update, save,
//! query filters, relation fetches and filters, prefetch, pivot data);
//! keys at `i64::MIN`/`i64::MAX` and hostile text keys; 100,000 targets in
//! one call on the symmetrical, through and text-keyed relations; empty
//! lists and a target listed 10,000 times on every kind of relation.

use m2m::{Error, Key, Model, SyncMode};

use crate::backend::TestDb;
use crate::models::*;

/// Texts that would change a statement built by pasting values into SQL, or
/// a JSON array built carelessly, plus the sizes and characters that stress
/// binding: each must come back byte for byte.
/// The big one is cut to `big_len` bytes.
fn hostile_texts_up_to(big_len: usize) -> Vec<String> {
    let mut v: Vec<String> = [
        "it's",
        "''",
        "\"double\"",
        "Robert'); DROP TABLE posts;--",
        "-- comment",
        "/* open comment",
        "; DELETE FROM label; SELECT '",
        "a\0b",
        "\0",
        "trailing NUL\0",
        "emoji 🦀🎉👩‍👩‍👧",
        "back\\slash \\u0000 \\\"",
        "\u{1}\u{1f}\u{7f}",
        "line\nbreak\r\ntab\t",
        "[\"json\", 1]",
        "{\"a\": null}",
        "null",
        "?1 ?2 :name @x $y",
        "% _ %%",
        "",
        " ",
        "\u{2028}\u{feff}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // 1 MB, with every hostile character inside it.
    let mut big = "0123456789abcdef'\"--\0🦀".repeat(big_len / 16 + 1);
    big.truncate(big_len);
    while !big.is_char_boundary(big.len()) {
        big.pop();
    }
    v.push(big);
    v
}

/// [`hostile_texts_up_to`] for `conn`: PostgreSQL's text cannot hold NUL
/// (it refuses it, checked here), so there the texts with one are left out.
fn hostile_texts_on(conn: &impl TestDb, big_len: usize) -> Vec<String> {
    let mut v = hostile_texts_up_to(big_len);
    if conn.is_pg() {
        let before = conn.rows_in("label");
        let r = Label {
            id: 0,
            name: "a\0b".into(),
        }
        .insert(conn);
        assert!(r.is_err(), "PostgreSQL stored a NUL: {r:?}");
        assert_eq!(conn.rows_in("label"), before);
        v.retain(|t| !t.contains('\0'));
    }
    v
}

/// A text as a short, printable description for messages.
fn show(s: &str) -> String {
    let mut d = format!("{:?}", s.chars().take(40).collect::<String>());
    if s.len() > 40 {
        d.push_str(&format!("... ({} bytes)", s.len()));
    }
    d
}

dual! {
    fn hostile_values_round_trip_through_every_path() {
        let conn = db();
        let texts = hostile_texts_on(&conn, 1 << 20);
        let mut labels = Vec::new();
        let mut posts = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            // Label names are unique: each hostile text once, as given.
            let mut l = Label {
                id: 0,
                name: t.clone(),
            };
            l.insert(&conn).unwrap();
            labels.push(l);
            let mut p = Post {
                id: 0,
                title: t.clone(),
                body: Some(format!("{t}{i}")),
                labels: Default::default(),
            };
            p.insert(&conn).unwrap();
            posts.push(p);
        }
        for (l, p) in labels.iter().zip(&posts) {
            let what = show(&l.name);
            // get
            assert_eq!(Label::get(&conn, l.id).unwrap().as_ref(), Some(l), "{what}");
            assert_eq!(Post::get(&conn, p.id).unwrap().as_ref(), Some(p), "{what}");
            // query filters: eq, in_, ne
            let found = Label::query()
                .filter(|c| c.name.eq(l.name.as_str()))
                .fetch_all(&conn)
                .unwrap();
            assert_eq!(found, vec![l.clone()], "eq {what}");
            let found = Post::query()
                .filter(|c| c.title.in_([p.title.as_str(), "nothing"]))
                .count(&conn)
                .unwrap();
            assert_eq!(found, 1, "in_ {what}");
            let others = Label::query()
                .filter(|c| c.name.ne(l.name.as_str()))
                .count(&conn)
                .unwrap();
            assert_eq!(others, texts.len() as u64 - 1, "ne {what}");
        }
        assert_eq!(
            rows_in(&conn, "label"),
            texts.len() as i64,
            "nothing dropped"
        );

        // Every post links to every label: the values travel through joins.
        let first = &posts[0];
        first.labels().add(&conn, &labels).unwrap();
        let fetched = first.labels().fetch_all(&conn).unwrap();
        assert_eq!(fetched, labels);
        for l in &labels {
            let what = show(&l.name);
            let by_name = first
                .labels()
                .filter(|c| c.name.eq(l.name.as_str()))
                .fetch_all(&conn)
                .unwrap();
            assert_eq!(by_name, vec![l.clone()], "relation filter {what}");
            l.posts().add(&conn, &posts).unwrap();
            let back = l.posts().fetch_all(&conn).unwrap();
            assert_eq!(back.len(), posts.len(), "{what}");
            assert!(
                back.iter()
                    .zip(&posts)
                    .all(|(a, b)| a.title == b.title && a.body == b.body)
            );
        }
        let pre = Post::LABELS.prefetch(&conn, &posts).unwrap();
        for p in &posts {
            assert_eq!(
                pre.get(p),
                labels.as_slice(),
                "prefetch of {}",
                show(&p.title)
            );
        }
        let pre = Label::POSTS.prefetch(&conn, &labels).unwrap();
        for l in &labels {
            let titles: Vec<&str> = pre.get(l).iter().map(|p| p.title.as_str()).collect();
            let want: Vec<&str> = posts.iter().map(|p| p.title.as_str()).collect();
            assert_eq!(titles, want, "reverse prefetch of {}", show(&l.name));
        }
        let loaded = Post::query()
            .prefetch(Post::LABELS)
            .fetch_all(&conn)
            .unwrap();
        for p in &loaded {
            assert_eq!(
                p.labels.get(),
                Some(labels.as_slice()),
                "{}",
                show(&p.title)
            );
        }

        // update and save write hostile values back, and the links stay.
        let n = texts.len();
        for (i, p) in posts.iter_mut().enumerate() {
            let other = &texts[(i + 1) % n];
            p.title.clone_from(other);
            p.body = (i % 2 == 0).then(|| other.clone());
            if i % 2 == 0 {
                p.update(&conn).unwrap();
            } else {
                p.save(&conn).unwrap();
            }
            let back = Post::get(&conn, p.id).unwrap().unwrap();
            assert_eq!(
                (&back.title, &back.body),
                (&p.title, &p.body),
                "{}",
                show(other)
            );
            assert_eq!(p.labels().count(&conn).unwrap(), n as u64);
        }
    }
}

dual! {
    fn hostile_pivot_data_round_trips() {
        let conn = db();
        let texts = hostile_texts_on(&conn, 1 << 20);
        let mut member = Member {
            id: 0,
            name: texts[3].clone(),
            clubs: Default::default(),
        };
        member.insert(&conn).unwrap();
        let mut clubs = Vec::new();
        for t in &texts {
            let mut c = Club {
                id: 0,
                name: t.clone(),
            };
            c.insert(&conn).unwrap();
            clubs.push(c);
        }
        let m = member.clubs();
        let data = |i: usize| Membership {
            role: texts[i].clone(),
            note: Some(texts[(i + 1) % texts.len()].clone()),
            ..Default::default()
        };
        for (i, c) in clubs.iter().enumerate() {
            assert!(
                m.add_with(&conn, c, data(i)).unwrap(),
                "{}",
                show(&texts[i])
            );
        }
        let check = |want: &dyn Fn(usize) -> Membership| {
            let rows = m.fetch_with_pivot(&conn).unwrap();
            assert_eq!(rows.len(), clubs.len());
            for (i, (c, p)) in rows.iter().enumerate() {
                let w = want(i);
                let what = show(&w.role);
                assert_eq!(c, &clubs[i], "{what}");
                assert_eq!(
                    (&p.role, &p.note),
                    (&w.role, &w.note),
                    "fetch_with_pivot {what}"
                );
                let one = m.pivot(&conn, c).unwrap().unwrap();
                assert_eq!(&one, p, "pivot {what}");
                let back = clubs[i].members().fetch_with_pivot(&conn).unwrap();
                assert_eq!(back, vec![(member.clone(), p.clone())], "reverse {what}");
                let filtered = m
                    .filter_pivot(|f| f.role.eq(w.role.as_str()))
                    .fetch_all(&conn)
                    .unwrap();
                assert!(filtered.contains(c), "filter_pivot {what}");
            }
            let pre = Member::CLUBS.prefetch_with_pivot(&conn, [&member]).unwrap();
            assert_eq!(pre.get(&member), rows.as_slice(), "prefetch_with_pivot");
            let pre = Club::MEMBERS.prefetch_with_pivot(&conn, &clubs).unwrap();
            for (i, c) in clubs.iter().enumerate() {
                assert_eq!(pre.get(c), &[(member.clone(), rows[i].1.clone())][..]);
            }
        };
        check(&data);
        // update_pivot and sync_with write hostile data over hostile data.
        let shifted = |i: usize| data((i + 2) % texts.len());
        for (i, c) in clubs.iter().enumerate() {
            let d = shifted(i);
            assert!(m.update_pivot(&conn, c, |p| *p = d).unwrap());
        }
        check(&shifted);
        let r = m
            .sync_with(
                &conn,
                clubs.iter().enumerate().map(|(i, c)| (c, data(i))),
                SyncMode::Replace,
            )
            .unwrap();
        assert_eq!(r.updated.len(), clubs.len(), "every data changed");
        assert!(r.added.is_empty() && r.removed.is_empty());
        check(&data);
        // The same data again changes nothing: equal values compare equal.
        let r = m
            .sync_with(
                &conn,
                clubs.iter().enumerate().map(|(i, c)| (c, data(i))),
                SyncMode::Add,
            )
            .unwrap();
        assert!(r.is_empty(), "{r:?}");
    }
}

dual! {
    /// Integer keys at both ends of `i64`, and around zero, on both sides of
    /// every kind of relation.
    fn extreme_integer_keys() {
        let conn = db();
        let keys = [i64::MIN, i64::MIN + 1, -1, 1, i64::MAX - 1, i64::MAX];
        for &id in &keys {
            Label {
                id,
                name: format!("label {id}"),
            }
            .insert(&conn)
            .unwrap();
            Post {
                id,
                title: format!("post {id}"),
                body: None,
                labels: Default::default(),
            }
            .insert(&conn)
            .unwrap();
            Person {
                id,
                name: format!("person {id}"),
                friends: Default::default(),
            }
            .insert(&conn)
            .unwrap();
            Club {
                id,
                name: format!("club {id}"),
            }
            .insert(&conn)
            .unwrap();
            Member {
                id,
                name: format!("member {id}"),
                clubs: Default::default(),
            }
            .insert(&conn)
            .unwrap();
        }
        let all = keys.to_vec();
        let ends = vec![i64::MIN, i64::MAX];
        let ids = |v: Vec<Key<Label>>| v.into_iter().map(Key::into_inner).collect::<Vec<_>>();
        for &owner in &[i64::MIN, i64::MAX] {
            let post = Post::LABELS.of_key(owner);
            assert_eq!(post.add(&conn, all.clone()).unwrap(), keys.len(), "{owner}");
            assert_eq!(ids(post.keys(&conn).unwrap()), all, "{owner}");
            assert_eq!(post.count(&conn).unwrap(), keys.len() as u64);
            for &k in &keys {
                assert!(post.contains(&conn, k).unwrap(), "{owner} contains {k}");
                assert!(Label::POSTS.of_key(k).contains(&conn, owner).unwrap());
            }
            let fetched: Vec<i64> = post
                .fetch_all(&conn)
                .unwrap()
                .iter()
                .map(|l| l.id)
                .collect();
            assert_eq!(fetched, all);
            let r = post.set(&conn, ends.clone()).unwrap();
            assert_eq!(ids(r.removed), vec![i64::MIN + 1, -1, 1, i64::MAX - 1]);
            let r = post.toggle(&conn, [i64::MIN, 1]).unwrap();
            assert_eq!((ids(r.added), ids(r.removed)), (vec![1], vec![i64::MIN]));
            let r = post
                .sync(&conn, [i64::MAX, i64::MIN], SyncMode::Remove)
                .unwrap();
            assert_eq!(ids(r.removed), vec![i64::MAX]);
            assert_eq!(ids(post.keys(&conn).unwrap()), vec![1]);
            assert_eq!(post.remove(&conn, [1, i64::MIN]).unwrap(), 1);
        }
        // A missing key at either end is named exactly.
        Label::get(&conn, i64::MIN)
            .unwrap()
            .unwrap()
            .delete(&conn)
            .unwrap();
        let e = Post::LABELS
            .of_key(1)
            .add(&conn, [i64::MAX, i64::MIN])
            .unwrap_err();
        assert!(
            matches!(&e, Error::MissingTarget { key, .. } if key == "-9223372036854775808"),
            "{e:?}"
        );
        assert_eq!(Post::LABELS.of_key(1).count(&conn).unwrap(), 0);
        // Eager loading from owners at both ends.
        Post::LABELS
            .of_key(i64::MIN)
            .add(&conn, [i64::MAX])
            .unwrap();
        Post::LABELS
            .of_key(i64::MAX)
            .add(&conn, [i64::MAX, -1])
            .unwrap();
        let pre = Post::LABELS
            .prefetch(&conn, keys.iter().map(|&k| Key::<Post>::new(k)))
            .unwrap();
        let got = |k: i64| {
            pre.get(Key::<Post>::new(k))
                .iter()
                .map(|l| l.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(got(i64::MIN), vec![i64::MAX]);
        assert_eq!(got(i64::MAX), vec![-1, i64::MAX]);
        let pre = Label::POSTS.prefetch(&conn, [i64::MAX]).unwrap();
        let owners: Vec<i64> = pre
            .get(Key::<Label>::new(i64::MAX))
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(owners, vec![i64::MIN, i64::MAX]);

        // Symmetrical: the pair (MIN, MAX) is stored once, seen from both ends.
        let friends = |k: i64| Person::FRIENDS.of_key(k);
        assert_eq!(
            friends(i64::MAX).add(&conn, [i64::MIN, i64::MAX]).unwrap(),
            2
        );
        assert_eq!(friends(i64::MIN).add(&conn, [i64::MAX]).unwrap(), 0);
        let pids = |v: Vec<Key<Person>>| v.into_iter().map(Key::into_inner).collect::<Vec<_>>();
        assert_eq!(pids(friends(i64::MIN).keys(&conn).unwrap()), vec![i64::MAX]);
        assert_eq!(pids(friends(i64::MAX).keys(&conn).unwrap()), ends);
        assert_eq!(friends(i64::MAX).count(&conn).unwrap(), 2);
        let r = friends(i64::MIN).toggle(&conn, [i64::MAX, -1]).unwrap();
        assert_eq!((pids(r.added), pids(r.removed)), (vec![-1], vec![i64::MAX]));
        let pre = Person::FRIENDS
            .prefetch(&conn, [i64::MIN, -1, i64::MAX])
            .unwrap();
        let got: Vec<i64> = pre
            .get(Key::<Person>::new(-1))
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(got, vec![i64::MIN]);

        // Pivot data keyed at both ends.
        let m = Member::CLUBS.of_key(i64::MIN);
        let data = |role: &str| Membership {
            role: role.into(),
            ..Default::default()
        };
        assert!(m.add_with(&conn, i64::MAX, data("max")).unwrap());
        assert!(m.add_with(&conn, i64::MIN, data("min")).unwrap());
        let p = m.pivot(&conn, i64::MAX).unwrap().unwrap();
        assert_eq!(
            (p.member_id, p.club_id, p.role.as_str()),
            (i64::MIN, i64::MAX, "max")
        );
        let r = m
            .sync_with(
                &conn,
                [(i64::MAX, data("MAX")), (-1, data("-1"))],
                SyncMode::Replace,
            )
            .unwrap();
        let cids = |v: Vec<Key<Club>>| v.into_iter().map(Key::into_inner).collect::<Vec<_>>();
        assert_eq!(
            (cids(r.added), cids(r.removed), cids(r.updated)),
            (vec![-1], vec![i64::MIN], vec![i64::MAX])
        );
        let back = Club::MEMBERS
            .of_key(i64::MAX)
            .fetch_with_pivot(&conn)
            .unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!((back[0].0.id, back[0].1.role.as_str()), (i64::MIN, "MAX"));
    }
}

dual! {
    /// Text keys that are hostile as SQL, as JSON and as sizes, as owners and
    /// targets, through every relation call and eager loading.
    fn hostile_text_keys_on_both_sides() {
        let conn = db();
        // The big key is 64 KB: each one is stored in a row per pair.
        let mut keys = hostile_texts_on(&conn, 1 << 16);
        // A key that JSON would decode to NUL if it were not escaped.
        keys.push("\\u0000".into());
        // PostgreSQL cannot store NUL: U+0001 stands in for it below.
        let nul = if conn.is_pg() { "\u{1}" } else { "\0" };
        let a_nul_b = format!("a{nul}b");
        keys.push(nul.into());
        keys.push(a_nul_b.clone());
        keys.sort();
        keys.dedup();
        for k in &keys {
            Word {
                code: k.clone(),
                text: format!("word {}", show(k)),
            }
            .insert(&conn)
            .unwrap();
            Doc {
                slug: k.clone(),
                words: Default::default(),
            }
            .insert(&conn)
            .unwrap();
        }
        let codes = |v: Vec<Key<Word>>| v.into_iter().map(Key::into_inner).collect::<Vec<_>>();
        for owner in &keys {
            let what = show(owner);
            let doc = Doc::WORDS.of_key(owner.clone());
            assert_eq!(doc.add(&conn, keys.clone()).unwrap(), keys.len(), "{what}");
            assert_eq!(codes(doc.keys(&conn).unwrap()), keys, "{what}");
            let words: Vec<String> = doc
                .fetch_all(&conn)
                .unwrap()
                .into_iter()
                .map(|w| w.code)
                .collect();
            assert_eq!(words, keys, "{what}");
            for k in &keys {
                assert!(
                    doc.contains(&conn, k.clone()).unwrap(),
                    "{what} contains {}",
                    show(k)
                );
            }
        }
        let pre = Doc::WORDS.prefetch(&conn, keys.clone()).unwrap();
        let rev = Word::DOCS.prefetch(&conn, keys.clone()).unwrap();
        for k in &keys {
            let got: Vec<&str> = pre.get(k.clone()).iter().map(|w| w.code.as_str()).collect();
            assert_eq!(
                got,
                keys.iter().map(String::as_str).collect::<Vec<_>>(),
                "{}",
                show(k)
            );
            let got: Vec<&str> = rev.get(k.clone()).iter().map(|d| d.slug.as_str()).collect();
            assert_eq!(
                got,
                keys.iter().map(String::as_str).collect::<Vec<_>>(),
                "{}",
                show(k)
            );
        }
        // Prefix-like and escape-like keys stay distinct.
        let doc = Doc::WORDS.of_key(a_nul_b.clone());
        let r = doc.set(&conn, [a_nul_b.as_str(), nul, "\\u0000"]).unwrap();
        assert_eq!(r.removed.len(), keys.len() - 3);
        assert_eq!(
            codes(doc.keys(&conn).unwrap()),
            vec![nul, "\\u0000", a_nul_b.as_str()]
        );
        let r = doc.toggle(&conn, [nul, "it's"]).unwrap();
        assert_eq!(
            (codes(r.added), codes(r.removed)),
            (vec!["it's".to_owned()], vec![nul.to_owned()])
        );
        assert_eq!(doc.remove(&conn, [a_nul_b.as_str(), "a"]).unwrap(), 1);
        let a_nul = format!("a{nul}");
        let e = doc.add(&conn, ["\\u0000", a_nul.as_str()]).unwrap_err();
        assert!(
            matches!(&e, Error::MissingTarget { key, .. } if *key == format!("'{a_nul}'")),
            "{e:?}"
        );
        assert_eq!(codes(doc.keys(&conn).unwrap()), vec!["\\u0000", "it's"]);
    }
}

const BULK: i64 = 100_000;

dual! {
    /// 100,000 targets in one call on the symmetrical relation: half of them
    /// have smaller keys than the owner (stored as (target, owner)), half larger.
    fn one_hundred_thousand_friends_in_one_call() {
        let conn = db();
        insert_people(&conn, 2 * BULK);
        let owner = BULK;
        let friends = Person::FRIENDS.of_key(owner);
        // The odd keys: half below the owner, half above.
        let others: Vec<i64> = (1..2 * BULK).step_by(2).collect();
        assert_eq!(others.len() as i64, BULK);
        assert_eq!(friends.add(&conn, others.clone()).unwrap(), others.len());
        assert_eq!(friends.count(&conn).unwrap(), BULK as u64);
        let keys: Vec<i64> = friends
            .keys(&conn)
            .unwrap()
            .into_iter()
            .map(Key::into_inner)
            .collect();
        assert_eq!(keys, others);
        // Seen from both ends of the key range.
        assert!(Person::FRIENDS.of_key(1).contains(&conn, owner).unwrap());
        assert!(
            Person::FRIENDS
                .of_key(2 * BULK - 1)
                .contains(&conn, owner)
                .unwrap()
        );
        // set: keep every other one, add the even keys (the owner's self-link too).
        let next: Vec<i64> = (1..=2 * BULK)
            .filter(|k| k % 4 == 1 || k % 2 == 0)
            .collect();
        let r = friends.set(&conn, next.clone()).unwrap();
        let kept = others.iter().filter(|k| *k % 4 == 1).count();
        assert_eq!(r.removed.len(), others.len() - kept);
        assert_eq!(r.added.len(), next.len() - kept);
        assert_eq!(friends.count(&conn).unwrap(), next.len() as u64);
        let pre = Person::FRIENDS.prefetch(&conn, [owner, 2]).unwrap();
        assert_eq!(pre.get(Key::<Person>::new(owner)).len(), next.len());
        assert_eq!(pre.get(Key::<Person>::new(2)).len(), 1);
        assert_eq!(friends.remove(&conn, next.clone()).unwrap(), next.len());
        assert_eq!(rows_in(&conn, Person::FRIENDS.def().junction_table()), 0);
    }
}

fn insert_people(conn: &impl TestDb, n: i64) {
    // One statement on either backend: ids 1..=n.
    conn.exec(&format!(
        "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) \
         INSERT INTO person (id, name) SELECT i, 'p' FROM g"
    ));
}

/// 100,000 targets in one call with pivot data: `add` (default data), `set`
/// keeping half of them, `sync_with` writing data to all, from both sides.
#[test]
fn one_hundred_thousand_targets_with_pivot_data() {
    let conn = db();
    {
        let tx = conn.unchecked_transaction().unwrap();
        let mut stmt = tx
            .prepare("INSERT INTO club (id, name) VALUES (?1, 'c')")
            .unwrap();
        for id in 1..=BULK + BULK / 2 {
            stmt.execute([id]).unwrap();
        }
        drop(stmt);
        tx.execute(
            "INSERT INTO member (id, name) VALUES (1, 'm'), (2, 'n')",
            [],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let m = Member::CLUBS.of_key(1);
    let first: Vec<i64> = (1..=BULK).collect();
    assert_eq!(m.add(&conn, first.clone()).unwrap(), BULK as usize);
    let second: Vec<i64> = (BULK / 2 + 1..=BULK + BULK / 2).collect();
    let r = m.set(&conn, second.clone()).unwrap();
    assert_eq!(
        (r.added.len(), r.removed.len()),
        ((BULK / 2) as usize, (BULK / 2) as usize)
    );
    let data = |k: i64| Membership {
        role: format!("r{}", k % 3),
        ..Default::default()
    };
    // Every key with data: the kept half had the default data, so each of
    // them is updated; the other half is added, and the rest removed.
    let r = m
        .sync_with(
            &conn,
            first.iter().map(|&k| (k, data(k))),
            SyncMode::Replace,
        )
        .unwrap();
    assert_eq!(r.added.len(), (BULK / 2) as usize);
    assert_eq!(r.removed.len(), (BULK / 2) as usize);
    assert_eq!(r.updated.len(), (BULK / 2) as usize);
    let rows = m.fetch_with_pivot(&conn).unwrap();
    assert_eq!(rows.len(), BULK as usize);
    assert!(
        rows.iter()
            .all(|(c, p)| p.role == data(c.id).role && p.member_id == 1)
    );
    // The reverse side, one call for 2 owners each.
    let r = Club::MEMBERS
        .of_key(7)
        .sync_with(&conn, [(2, data(0)), (1, data(7))], SyncMode::Add);
    let r = r.unwrap();
    assert_eq!(r.added.len(), 1);
    assert!(r.updated.is_empty(), "{r:?}");
    assert_eq!(m.remove(&conn, first).unwrap(), BULK as usize);
    assert_eq!(rows_in(&conn, Member::CLUBS.def().junction_table()), 1);
}

/// 100,000 text keys in one call.
#[test]
fn one_hundred_thousand_text_keys_in_one_call() {
    let conn = db();
    let key = |i: i64| format!("w'{i}\"--");
    {
        let tx = conn.unchecked_transaction().unwrap();
        let mut stmt = tx
            .prepare("INSERT INTO word (code, text) VALUES (?1, '')")
            .unwrap();
        for i in 0..BULK {
            stmt.execute([key(i)]).unwrap();
        }
        drop(stmt);
        tx.execute("INSERT INTO doc (slug) VALUES ('d')", [])
            .unwrap();
        tx.commit().unwrap();
    }
    let doc = Doc::WORDS.of_key("d".to_owned());
    let all: Vec<String> = (0..BULK).map(key).collect();
    assert_eq!(doc.add(&conn, all.clone()).unwrap(), BULK as usize);
    assert_eq!(doc.count(&conn).unwrap(), BULK as u64);
    let r = doc.set(&conn, all[..10].to_vec()).unwrap();
    assert_eq!(r.removed.len(), (BULK - 10) as usize);
    let r = doc.toggle(&conn, all.clone()).unwrap();
    assert_eq!((r.added.len(), r.removed.len()), ((BULK - 10) as usize, 10));
    assert_eq!(doc.remove(&conn, all).unwrap(), (BULK - 10) as usize);
    assert!(!doc.exists(&conn).unwrap());
}

/// Rows with keys `1..=n` on both sides of every kind of relation.
fn seed_every_kind(conn: &impl m2m::Db, n: i64) {
    for id in 1..=n {
        Label {
            id,
            name: format!("l{id}"),
        }
        .insert(conn)
        .unwrap();
        Person {
            id,
            name: format!("p{id}"),
            friends: Default::default(),
        }
        .insert(conn)
        .unwrap();
        Club {
            id,
            name: format!("c{id}"),
        }
        .insert(conn)
        .unwrap();
        Member {
            id,
            name: format!("m{id}"),
            clubs: Default::default(),
        }
        .insert(conn)
        .unwrap();
        Post {
            id,
            title: format!("t{id}"),
            body: None,
            labels: Default::default(),
        }
        .insert(conn)
        .unwrap();
    }
}

dual! {
    /// An empty list writes nothing and reports nothing on every kind of
    /// relation (`set`/`Replace` with an empty list empties the relation, by
    /// contract).
    fn empty_lists_on_every_kind_of_relation() {
        let conn = db();
        seed_every_kind(&conn, 3);
        Post::LABELS.of_key(1).add(&conn, [1, 2]).unwrap();
        Person::FRIENDS.of_key(2).add(&conn, [1, 3]).unwrap();
        Member::CLUBS.of_key(1).add(&conn, [1, 2]).unwrap();
        let before = snapshot_all(&conn);
        let none: Vec<i64> = Vec::new();
        let no_items: Vec<(i64, Membership)> = Vec::new();
        for mode in [SyncMode::Add, SyncMode::Remove] {
            assert!(
                Post::LABELS
                    .of_key(1)
                    .sync(&conn, none.clone(), mode)
                    .unwrap()
                    .is_empty()
            );
            assert!(
                Label::POSTS
                    .of_key(1)
                    .sync(&conn, none.clone(), mode)
                    .unwrap()
                    .is_empty()
            );
            assert!(
                Person::FRIENDS
                    .of_key(2)
                    .sync(&conn, none.clone(), mode)
                    .unwrap()
                    .is_empty()
            );
            assert!(
                Member::CLUBS
                    .of_key(1)
                    .sync(&conn, none.clone(), mode)
                    .unwrap()
                    .is_empty()
            );
            let r = Member::CLUBS
                .of_key(1)
                .sync_with(&conn, no_items.clone(), mode)
                .unwrap();
            assert!(r.is_empty(), "{mode:?}");
            let r = Club::MEMBERS
                .of_key(1)
                .sync_with(&conn, no_items.clone(), mode)
                .unwrap();
            assert!(r.is_empty(), "{mode:?}");
        }
        assert_eq!(Label::POSTS.of_key(1).add(&conn, none.clone()).unwrap(), 0);
        assert_eq!(
            Person::FRIENDS.of_key(2).add(&conn, none.clone()).unwrap(),
            0
        );
        assert_eq!(
            Person::FRIENDS
                .of_key(1)
                .remove(&conn, none.clone())
                .unwrap(),
            0
        );
        assert!(
            Person::FRIENDS
                .of_key(3)
                .toggle(&conn, none.clone())
                .unwrap()
                .is_empty()
        );
        assert_eq!(Member::CLUBS.of_key(1).add(&conn, none.clone()).unwrap(), 0);
        assert!(
            Club::MEMBERS
                .of_key(1)
                .toggle(&conn, none.clone())
                .unwrap()
                .is_empty()
        );
        assert!(
            Post::LABELS
                .prefetch(&conn, none.clone())
                .unwrap()
                .is_empty()
        );
        assert!(
            Member::CLUBS
                .prefetch_with_pivot(&conn, none.clone())
                .unwrap()
                .is_empty()
        );
        assert_eq!(snapshot_all(&conn), before, "an empty list wrote something");
        // Replace with nothing empties exactly the owner's links.
        let r = Person::FRIENDS
            .of_key(1)
            .sync(&conn, none.clone(), SyncMode::Replace)
            .unwrap();
        assert_eq!(r.removed, vec![Key::new(2)]);
        let r = Member::CLUBS
            .of_key(1)
            .sync_with(&conn, no_items, SyncMode::Replace)
            .unwrap();
        assert_eq!(r.removed, vec![Key::new(1), Key::new(2)]);
        assert_eq!(
            Person::FRIENDS.of_key(2).keys(&conn).unwrap(),
            vec![Key::new(3)]
        );
        assert_eq!(Post::LABELS.of_key(1).count(&conn).unwrap(), 2);
    }
}

dual! {
    /// One target listed 10,000 times counts once everywhere, and is toggled once.
    fn a_target_listed_ten_thousand_times() {
        let conn = db();
        seed_every_kind(&conn, 2);
        let many = |k: i64| vec![k; 10_000];
        let post = Post::LABELS.of_key(1);
        assert_eq!(post.add(&conn, many(2)).unwrap(), 1);
        let r = post.set(&conn, many(1)).unwrap();
        assert_eq!((r.added, r.removed), (vec![Key::new(1)], vec![Key::new(2)]));
        let r = post.toggle(&conn, many(1)).unwrap();
        assert_eq!((r.added.len(), r.removed.len()), (0, 1), "toggled once");
        let r = post.sync(&conn, many(2), SyncMode::Add).unwrap();
        assert_eq!(r.added, vec![Key::new(2)]);
        assert_eq!(post.remove(&conn, many(2)).unwrap(), 1);

        // Symmetrical, with the owner itself listed 10,000 times: one self-link.
        let me = Person::FRIENDS.of_key(1);
        assert_eq!(me.add(&conn, many(1)).unwrap(), 1);
        assert_eq!(me.count(&conn).unwrap(), 1);
        let r = me.toggle(&conn, [1, 2].repeat(5_000)).unwrap();
        assert_eq!((r.added, r.removed), (vec![Key::new(2)], vec![Key::new(1)]));
        assert_eq!(
            Person::FRIENDS.of_key(2).keys(&conn).unwrap(),
            vec![Key::new(1)]
        );

        // With pivot data, the last data of a repeated target wins.
        let m = Member::CLUBS.of_key(1);
        let items = (0..10_000).map(|i| {
            let role = format!("v{i}");
            (
                1,
                Membership {
                    role,
                    ..Default::default()
                },
            )
        });
        let r = m.sync_with(&conn, items, SyncMode::Replace).unwrap();
        assert_eq!(r.added, vec![Key::new(1)]);
        assert_eq!(m.pivot(&conn, 1).unwrap().unwrap().role, "v9999");
        assert_eq!(rows_in(&conn, Member::CLUBS.def().junction_table()), 1);
        assert_eq!(m.add(&conn, many(2)).unwrap(), 1);
        let r = Club::MEMBERS.of_key(2).toggle(&conn, many(1)).unwrap();
        assert_eq!(r.removed, vec![Key::new(1)]);
    }
}
