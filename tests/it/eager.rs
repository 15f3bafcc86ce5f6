//! Eager loading and queries across relations (issue 4): results, and the
//! exact number of statements each call runs.

use m2m::{Model, StatementLog};

use crate::models::*;

/// A database with 4 tags and 5 articles:
/// a0: rust, sqlite · a1: rust · a2: sqlite, c · a3: (none) · a4: c, rust, go (added out of order).
fn blog<C: m2m::Db>(conn: C) -> (C, Vec<Tag>, Vec<Article>) {
    let t = tags(&conn, &["rust", "sqlite", "c", "go"]);
    let a: Vec<Article> = (0..5).map(|i| article(&conn, &format!("a{i}"))).collect();
    a[0].tags().add(&conn, [&t[0], &t[1]]).unwrap();
    a[1].tags().add(&conn, [&t[0]]).unwrap();
    a[2].tags().add(&conn, [&t[2], &t[1]]).unwrap();
    a[4].tags().add(&conn, [&t[3], &t[2], &t[0]]).unwrap();
    (conn, t, a)
}

fn names(tags: &[Tag]) -> Vec<&str> {
    tags.iter().map(|t| t.name.as_str()).collect()
}

fn titles(articles: &[Article]) -> Vec<&str> {
    articles.iter().map(|a| a.title.as_str()).collect()
}

dual! {
    fn prefetch_groups_targets_by_owner_in_key_order() {
        let (mut conn, _t, a) = blog(db());
        let log = StatementLog::attach(&mut conn).unwrap();
        let p = Article::TAGS.prefetch(&conn, &a).unwrap();
        assert_eq!(log.count(), 1, "{:?}", log.statements());
        assert_eq!(names(p.get(&a[0])), ["rust", "sqlite"]);
        assert_eq!(names(p.get(&a[2])), ["sqlite", "c"]);
        assert_eq!(
            names(p.get(&a[4])),
            ["rust", "c", "go"],
            "ordered by tag key, not by insertion"
        );
        assert!(
            p.get(&a[3]).is_empty(),
            "an owner without links gets an empty list"
        );
        assert_eq!(p.len(), 5);
        // Same answers as the per-owner accessor.
        for art in &a {
            assert_eq!(p.get(art), art.tags().fetch_all(&conn).unwrap().as_slice());
        }
    }
}

dual! {
    fn prefetch_of_no_owner_runs_no_statement() {
        let (mut conn, _t, _a) = blog(db());
        let log = StatementLog::attach(&mut conn).unwrap();
        let p = Article::TAGS.prefetch(&conn, Vec::<i64>::new()).unwrap();
        assert!(p.is_empty());
        assert_eq!(log.count(), 0);
    }
}

dual! {
    fn prefetch_of_one_and_of_ten_thousand_owners_is_one_statement() {
        let mut conn = db();
        let t = tags(&conn, &["x", "y"]);
        let tx = conn.transaction().unwrap();
        let mut owners = Vec::new();
        for i in 0..10_000 {
            let a = article(&tx, &format!("p{i}"));
            if i % 3 == 0 {
                a.tags().add(&tx, [&t[i % 2]]).unwrap();
            }
            owners.push(a);
        }
        tx.commit().unwrap();
        let log = StatementLog::attach(&mut conn).unwrap();
        let one = Article::TAGS.prefetch(&conn, [&owners[0]]).unwrap();
        assert_eq!(log.count(), 1);
        assert_eq!(names(one.get(&owners[0])), ["x"]);
        log.clear();
        let all = Article::TAGS.prefetch(&conn, &owners).unwrap();
        assert_eq!(log.count(), 1, "one statement for 10,000 owners");
        assert_eq!(all.len(), 10_000);
        assert_eq!(names(all.get(&owners[3])), ["y"]);
        assert!(all.get(&owners[4]).is_empty());
        let linked = owners.iter().filter(|o| !all.get(*o).is_empty()).count();
        assert_eq!(linked, 3_334);
    }
}

dual! {
    fn prefetch_of_a_hundred_thousand_owners_passes_the_parameter_limit() {
        let mut conn = db();
        let t = tag(&conn, "x");
        let a = article(&conn, "only");
        a.tags().add(&conn, [&t]).unwrap();
        // Keys that do not exist are simply owners without links.
        let keys: Vec<i64> = (1..=100_000).collect();
        let log = StatementLog::attach(&mut conn).unwrap();
        let p = Article::TAGS.prefetch(&conn, keys).unwrap();
        assert_eq!(log.count(), 1);
        assert_eq!(p.len(), 100_000);
        assert_eq!(names(p.get(&a)), ["x"]);
    }
}

dual! {
    fn prefetch_reverse_side() {
        let (conn, t, _a) = blog(db());
        let p = Tag::ARTICLES.prefetch(&conn, &t).unwrap();
        assert_eq!(titles(p.get(&t[0])), ["a0", "a1", "a4"]);
        assert_eq!(titles(p.get(&t[1])), ["a0", "a2"]);
        assert_eq!(titles(p.get(&t[3])), ["a4"]);
    }
}

dual! {
    fn prefetch_symmetrical_sees_each_friend_once_from_both_sides() {
        let conn = db();
        let u: Vec<User> = ["ann", "bob", "cid", "dee"]
            .iter()
            .map(|n| user(&conn, n))
            .collect();
        u[1].friends().add(&conn, [&u[0], &u[2], &u[1]]).unwrap(); // bob: ann, cid, himself
        u[3].friends().add(&conn, [&u[0]]).unwrap();
        let p = User::FRIENDS.prefetch(&conn, &u).unwrap();
        let who = |x: &User| p.get(x).iter().map(|f| f.name.clone()).collect::<Vec<_>>();
        assert_eq!(who(&u[0]), ["bob", "dee"]);
        assert_eq!(
            who(&u[1]),
            ["ann", "bob", "cid"],
            "a self-link appears once"
        );
        assert_eq!(who(&u[2]), ["bob"]);
        assert_eq!(who(&u[3]), ["ann"]);
        for x in &u {
            assert_eq!(p.get(x), x.friends().fetch_all(&conn).unwrap().as_slice());
        }
    }
}

dual! {
    fn prefetch_directional_self_relation_both_ways() {
        let conn = db();
        let u: Vec<User> = ["ann", "bob", "cid"]
            .iter()
            .map(|n| user(&conn, n))
            .collect();
        u[0].following().add(&conn, [&u[1], &u[2]]).unwrap();
        u[2].following().add(&conn, [&u[1]]).unwrap();
        let following = User::FOLLOWING.prefetch(&conn, &u).unwrap();
        let followers = User::FOLLOWERS.prefetch(&conn, &u).unwrap();
        assert_eq!(row_ids(following.get(&u[0])), [u[1].id, u[2].id]);
        assert!(following.get(&u[1]).is_empty());
        assert_eq!(row_ids(followers.get(&u[1])), [u[0].id, u[2].id]);
        assert!(followers.get(&u[0]).is_empty());
    }
}

dual! {
    fn query_prefetch_fills_the_slots_in_two_statements() {
        let (mut conn, _t, _a) = blog(db());
        let log = StatementLog::attach(&mut conn).unwrap();
        let loaded = Article::query()
            .prefetch(Article::TAGS)
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(log.count(), 2, "{:?}", log.statements());
        assert_eq!(loaded.len(), 5);
        assert_eq!(names(loaded[0].tags.get().unwrap()), ["rust", "sqlite"]);
        assert_eq!(
            loaded[3].tags.get(),
            Some(&[][..]),
            "loaded and empty, not unloaded"
        );
        assert_eq!(
            loaded[0].featured_tags.get(),
            None,
            "not prefetched: not loaded"
        );
        // A plain load leaves slots unloaded.
        let plain = Article::get(&conn, loaded[0].id).unwrap().unwrap();
        assert!(!plain.tags.is_loaded());
    }
}

dual! {
    fn several_prefetches_in_one_chain() {
        let (mut conn, t, a) = blog(db());
        a[1].featured_tags().add(&conn, [&t[3]]).unwrap();
        let log = StatementLog::attach(&mut conn).unwrap();
        let loaded = Article::query()
            .filter(|c| c.title.ne("a0"))
            .prefetch(Article::TAGS)
            .prefetch(Article::FEATURED_TAGS)
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(log.count(), 3);
        assert_eq!(titles(&loaded), ["a1", "a2", "a3", "a4"]);
        assert_eq!(names(loaded[0].tags.get().unwrap()), ["rust"]);
        assert_eq!(names(loaded[0].featured_tags.get().unwrap()), ["go"]);
        assert_eq!(loaded[1].featured_tags.get().map(<[Tag]>::len), Some(0));
    }
}

dual! {
    fn query_prefetch_applies_to_fetch_one_and_respects_limits() {
        let (conn, _t, _a) = blog(db());
        let first = Article::query()
            .order_by(|c| c.title.desc())
            .prefetch(Article::TAGS)
            .fetch_one(&conn)
            .unwrap()
            .unwrap();
        assert_eq!(first.title, "a4");
        assert_eq!(names(first.tags.get().unwrap()), ["rust", "c", "go"]);
        let page = Article::query()
            .prefetch(Article::TAGS)
            .limit(2)
            .offset(1)
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(titles(&page), ["a1", "a2"]);
        assert!(page.iter().all(|a| a.tags.is_loaded()));
    }
}

dual! {
    fn nested_prefetch_articles_tags_then_the_tags_articles() {
        let (mut conn, _t, _a) = blog(db());
        let log = StatementLog::attach(&mut conn).unwrap();
        let articles = Article::query()
            .prefetch(Article::TAGS)
            .fetch_all(&conn)
            .unwrap();
        let mut seen = std::collections::BTreeMap::new();
        for tag in articles.iter().flat_map(|a| a.tags.get().unwrap_or(&[])) {
            seen.insert(tag.id, tag.clone());
        }
        let collected: Vec<Tag> = seen.into_values().collect();
        let others = Tag::ARTICLES.prefetch(&conn, &collected).unwrap();
        assert_eq!(log.count(), 3, "articles, their tags, the tags' articles");
        let a0_neighbours: Vec<&str> = articles[0]
            .tags
            .get()
            .unwrap()
            .iter()
            .flat_map(|t| others.get(t))
            .map(|a| a.title.as_str())
            .collect();
        assert_eq!(a0_neighbours, ["a0", "a1", "a4", "a0", "a2"]);
    }
}

dual! {
    fn filter_related_returns_each_owner_once() {
        let (mut conn, _t, _a) = blog(db());
        let log = StatementLog::attach(&mut conn).unwrap();
        let rusty = Article::query()
            .filter_related(Article::TAGS, |c| c.name.eq("rust"))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(log.count(), 1);
        assert_eq!(titles(&rusty), ["a0", "a1", "a4"]);
        // a0 and a4 match twice (two tags each match); each appears once.
        let two = Article::query()
            .filter_related(Article::TAGS, |c| c.name.in_(["rust", "sqlite", "c"]))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(titles(&two), ["a0", "a1", "a2", "a4"]);
        // Reverse direction: tags used by an article titled a2.
        let t = Tag::query()
            .filter_related(Tag::ARTICLES, |c| c.title.eq("a2"))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(names(&t), ["sqlite", "c"]);
    }
}

dual! {
    fn filter_related_combines_with_filters_order_and_count() {
        let (conn, _t, _a) = blog(db());
        let q = Article::query()
            .filter_related(Article::TAGS, |c| c.name.eq("rust"))
            .filter(|c| c.title.ne("a1"))
            .order_by(|c| c.title.desc());
        assert_eq!(titles(&q.fetch_all(&conn).unwrap()), ["a4", "a0"]);
        assert_eq!(q.count(&conn).unwrap(), 2);
        assert!(q.exists(&conn).unwrap());
    }
}

dual! {
    fn exclude_related_keeps_owners_without_links() {
        let (mut conn, _t, _a) = blog(db());
        let log = StatementLog::attach(&mut conn).unwrap();
        let not_rust = Article::query()
            .exclude_related(Article::TAGS, |c| c.name.eq("rust"))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(log.count(), 1);
        assert_eq!(titles(&not_rust), ["a2", "a3"]);
    }
}

dual! {
    fn linked_to_any_and_all() {
        let (mut conn, t, _a) = blog(db());
        let log = StatementLog::attach(&mut conn).unwrap();
        let both = Article::query()
            .linked_to_all(Article::TAGS, [&t[0], &t[1]])
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(log.count(), 1);
        assert_eq!(titles(&both), ["a0"], "tagged both rust and sqlite");
        let any = Article::query()
            .linked_to_any(Article::TAGS, [&t[1], &t[3]])
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(titles(&any), ["a0", "a2", "a4"]);
        // Repeated keys count once: "all of [rust, rust]" is "rust".
        let rust_twice = Article::query()
            .linked_to_all(Article::TAGS, [t[0].id, t[0].id])
            .count(&conn)
            .unwrap();
        assert_eq!(rust_twice, 3);
        let three = Article::query()
            .linked_to_all(Article::TAGS, [&t[0], &t[2], &t[3]])
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(titles(&three), ["a4"]);
    }
}

dual! {
    fn empty_key_lists_match_nothing() {
        let (conn, _t, _a) = blog(db());
        let none: [i64; 0] = [];
        assert_eq!(
            Article::query()
                .linked_to_any(Article::TAGS, none)
                .count(&conn)
                .unwrap(),
            0
        );
        assert_eq!(
            Article::query()
                .linked_to_all(Article::TAGS, none)
                .count(&conn)
                .unwrap(),
            0
        );
    }
}

dual! {
    fn symmetrical_relation_filters() {
        let conn = db();
        let u: Vec<User> = ["ann", "bob", "cid", "dee"]
            .iter()
            .map(|n| user(&conn, n))
            .collect();
        u[1].friends().add(&conn, [&u[0], &u[2]]).unwrap();
        u[3].friends().add(&conn, [&u[0]]).unwrap();
        let friends_of_ann = User::query()
            .filter_related(User::FRIENDS, |c| c.name.eq("ann"))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(row_ids(&friends_of_ann), [u[1].id, u[3].id]);
        let friends_of_bob_and_dee = User::query()
            .linked_to_all(User::FRIENDS, [&u[1], &u[3]])
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(row_ids(&friends_of_bob_and_dee), [u[0].id]);
        let lonely = User::query()
            .exclude_related(User::FRIENDS, |c| c.id.gt(0))
            .count(&conn)
            .unwrap();
        assert_eq!(lonely, 0);
    }
}

dual! {
    fn with_count_counts_links_in_one_statement() {
        let (mut conn, _t, _a) = blog(db());
        let log = StatementLog::attach(&mut conn).unwrap();
        let counted = Article::query()
            .with_count(Article::TAGS)
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(log.count(), 1);
        let got: Vec<(&str, u64)> = counted
            .iter()
            .map(|(a, n)| (a.title.as_str(), *n))
            .collect();
        assert_eq!(got, [("a0", 2), ("a1", 1), ("a2", 2), ("a3", 0), ("a4", 3)]);
        // Reverse side, with a filter and ordering.
        let per_tag = Tag::query()
            .order_by(|c| c.name.asc())
            .with_count(Tag::ARTICLES)
            .fetch_all(&conn)
            .unwrap();
        let got: Vec<(&str, u64)> = per_tag.iter().map(|(t, n)| (t.name.as_str(), *n)).collect();
        assert_eq!(got, [("c", 2), ("go", 1), ("rust", 3), ("sqlite", 2)]);
    }
}

dual! {
    fn with_count_on_a_symmetrical_relation_counts_a_self_link_once() {
        let conn = db();
        let u: Vec<User> = ["ann", "bob"].iter().map(|n| user(&conn, n)).collect();
        u[0].friends().add(&conn, [&u[0], &u[1]]).unwrap();
        let counted = User::query()
            .with_count(User::FRIENDS)
            .fetch_all(&conn)
            .unwrap();
        let n: Vec<u64> = counted.iter().map(|(_, n)| *n).collect();
        assert_eq!(n, [2, 1]);
        assert_eq!(u[0].friends().count(&conn).unwrap(), 2);
    }
}

dual! {
    fn count_exists_contains_and_keys_read_the_junction_alone() {
        let (mut conn, t, a) = blog(db());
        let log = StatementLog::attach(&mut conn).unwrap();
        type Check<'a> = Box<dyn Fn() + 'a>;
        let c = &conn;
        let checks: Vec<Check> = vec![
            Box::new(|| assert_eq!(a[0].tags().count(c).unwrap(), 2)),
            Box::new(|| assert!(a[0].tags().exists(c).unwrap())),
            Box::new(|| assert!(a[0].tags().contains(c, &t[1]).unwrap())),
            Box::new(|| assert_eq!(a[0].tags().keys(c).unwrap(), [t[0].key(), t[1].key()])),
            Box::new(|| assert_eq!(t[0].articles().count(c).unwrap(), 3)),
        ];
        for check in checks {
            log.clear();
            check();
            let statements = log.statements();
            assert_eq!(statements.len(), 1, "{statements:?}");
            let sql = &statements[0];
            assert!(!sql.contains("JOIN"), "no join: {sql}");
            assert!(
                !sql.contains("\"tag\"") && !sql.contains("\"articles\""),
                "junction only: {sql}"
            );
        }
    }
}

/// Checks a query's rows (by `label`), its count and whether it exists: all
/// three must say the same.
#[track_caller]
fn check<M: Model>(conn: &impl m2m::Db, q: &m2m::Query<M>, label: fn(&M) -> &str, want: &[&str]) {
    let rows = q.fetch_all(conn).unwrap();
    let got: Vec<&str> = rows.iter().map(label).collect();
    assert_eq!(got, want, "{q:?}");
    assert_eq!(q.count(conn).unwrap(), want.len() as u64, "count of {q:?}");
    assert_eq!(q.exists(conn).unwrap(), !want.is_empty(), "exists of {q:?}");
}

fn title(a: &Article) -> &str {
    &a.title
}

fn name(t: &Tag) -> &str {
    &t.name
}

fn user_name(u: &User) -> &str {
    &u.name
}

dual! {
    /// A relation condition after a `filter` (or another relation condition)
    /// narrows the rows further: every condition must hold, whatever its place.
    fn relation_conditions_after_a_filter_must_hold_with_it() {
        let (conn, t, _a) = blog(db());
        let not_a0 = || Article::query().filter(|c| c.title.ne("a0"));
        let q = not_a0().filter_related(Article::TAGS, |c| c.name.eq("rust"));
        check(&conn, &q, title, &["a1", "a4"]);
        let q = Article::query()
            .filter(|c| c.title.in_(["a0", "a1", "a2"]))
            .exclude_related(Article::TAGS, |c| c.name.eq("rust"));
        check(&conn, &q, title, &["a2"]);
        let q = not_a0().linked_to_any(Article::TAGS, [&t[1], &t[3]]);
        check(&conn, &q, title, &["a2", "a4"]);
        let q = Article::query()
            .filter(|c| c.title.ne("a1"))
            .linked_to_all(Article::TAGS, [&t[0], &t[2]]);
        check(&conn, &q, title, &["a4"]);
        // Only a0 has both rust and sqlite, and the filter leaves it out.
        let q = not_a0().linked_to_all(Article::TAGS, [&t[0], &t[1]]);
        check(&conn, &q, title, &[]);
        let q = not_a0().filter_related(Article::TAGS, |c| c.name.eq("sqlite"));
        check(&conn, &q, title, &["a2"]);

        // Relation conditions after one another.
        let q = Article::query()
            .filter_related(Article::TAGS, |c| c.name.eq("rust"))
            .exclude_related(Article::TAGS, |c| c.name.eq("sqlite"));
        check(&conn, &q, title, &["a1", "a4"]);
        let q = Article::query()
            .linked_to_any(Article::TAGS, [&t[1]])
            .linked_to_any(Article::TAGS, [&t[2]]);
        check(&conn, &q, title, &["a2"]);
        let q = Article::query()
            .exclude_related(Article::TAGS, |c| c.name.eq("c"))
            .linked_to_all(Article::TAGS, [&t[0]]);
        check(&conn, &q, title, &["a0", "a1"]);

        // The reverse side, and with ordering.
        let q = Tag::query()
            .filter(|c| c.name.ne("rust"))
            .filter_related(Tag::ARTICLES, |c| c.title.eq("a0"));
        check(&conn, &q, name, &["sqlite"]);
        let q = Tag::query()
            .filter(|c| c.name.ne("go"))
            .exclude_related(Tag::ARTICLES, |c| c.title.eq("a4"))
            .order_by(|c| c.name.desc());
        check(&conn, &q, name, &["sqlite"]);
    }
}

dual! {
    /// A relation's own query (`post.tags().query()`) is scoped to the owner's
    /// targets: `filter`, `filter_related`, `exclude_related`, `linked_to_any`
    /// and `linked_to_all` narrow that scope, never widen it.
    fn relation_conditions_on_a_relation_query_stay_in_its_scope() {
        let (conn, t, a) = blog(db());
        let q = a[0]
            .tags()
            .query()
            .filter_related(Tag::ARTICLES, |c| c.title.eq("a2"));
        check(&conn, &q, name, &["sqlite"]);
        let q = a[0]
            .tags()
            .query()
            .exclude_related(Tag::ARTICLES, |c| c.title.eq("a2"));
        check(&conn, &q, name, &["rust"]);
        let q = a[2]
            .tags()
            .query()
            .linked_to_any(Tag::ARTICLES, [&a[1], &a[4]]);
        check(&conn, &q, name, &["c"]);
        let q = a[4]
            .tags()
            .query()
            .linked_to_all(Tag::ARTICLES, [&a[0], &a[1]]);
        check(&conn, &q, name, &["rust"]);
        // a3 has no tags: nothing of its scope is left, whatever the condition.
        let q = a[3]
            .tags()
            .query()
            .exclude_related(Tag::ARTICLES, |c| c.title.eq("none"));
        check(&conn, &q, name, &[]);
        let q = a[3].tags().query().linked_to_any(Tag::ARTICLES, [&a[0]]);
        check(&conn, &q, name, &[]);
        // `filter` on the scope, then a relation condition.
        let q = a[4].tags().filter(|c| c.name.ne("rust"));
        check(&conn, &q, name, &["c", "go"]);
        let q = a[4]
            .tags()
            .filter(|c| c.name.ne("go"))
            .filter_related(Tag::ARTICLES, |c| c.title.eq("a0"));
        check(&conn, &q, name, &["rust"]);
        // The reverse side, from a bare key.
        let q = Tag::ARTICLES
            .of_key(t[0].id)
            .query()
            .linked_to_any(Article::TAGS, [&t[1]]);
        check(&conn, &q, title, &["a0"]);
        let q = t[0]
            .articles()
            .query()
            .exclude_related(Article::TAGS, |c| c.name.eq("go"));
        check(&conn, &q, title, &["a0", "a1"]);

        // A symmetrical relation's scope (two owner parameters) before the
        // relation condition's own parameters.
        let u: Vec<User> = ["ann", "bob", "cid", "dee"]
            .iter()
            .map(|n| user(&conn, n))
            .collect();
        u[1].friends().add(&conn, [&u[0], &u[2]]).unwrap();
        u[3].friends().add(&conn, [&u[0]]).unwrap();
        let q = u[0]
            .friends()
            .query()
            .filter_related(User::FRIENDS, |c| c.name.eq("cid"));
        check(&conn, &q, user_name, &["bob"]);
        let q = u[0]
            .friends()
            .query()
            .exclude_related(User::FRIENDS, |c| c.name.eq("cid"));
        check(&conn, &q, user_name, &["dee"]);
        let q = u[0].friends().query().linked_to_any(User::FRIENDS, [&u[2]]);
        check(&conn, &q, user_name, &["bob"]);
        let q = u[0]
            .friends()
            .query()
            .linked_to_all(User::FRIENDS, [&u[0], &u[2]]);
        check(&conn, &q, user_name, &["bob"]);
    }
}
