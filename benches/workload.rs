//! The standard many-to-many workload, timed for m2m and for hand-written
//! rusqlite doing the same work (cached prepared statements, a transaction
//! around each multi-row write) in the same run, on the same connection.
//!
//! 2,000 posts, 500 tags, 20 links per post; a WAL file on disk with foreign
//! keys on. Each operation is run over every post (or tag), alternating m2m
//! and hand-written runs, and the medians are compared as a ratio.
//!
//! `cargo bench --bench workload`; `M2M_BENCH_SAMPLES=N` sets the samples,
//! `M2M_BENCH_ONLY=text` runs only the operations whose name contains it.

mod common;
#[path = "common/workload.rs"]
mod data;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::*;
use data::*;
use m2m::rusqlite::{self, Connection};
use m2m::{ManyToMany, Model};

#[global_allocator]
static ALLOC: Counting = Counting;

fn setup(path: &std::path::Path) -> Connection {
    let conn = m2m::open(path).expect("open");
    Tag::create_table(&conn).expect("tags");
    Post::create_table(&conn).expect("posts");
    WPost::create_table(&conn).expect("wposts");
    let tx = conn.unchecked_transaction().expect("tx");
    for t in 1..=TAGS {
        Tag {
            id: 0,
            name: format!("tag{t}"),
        }
        .insert(&tx)
        .expect("tag");
    }
    for p in 1..=POSTS {
        Post {
            id: 0,
            title: format!("post {p}"),
            tags: ManyToMany::default(),
        }
        .insert(&tx)
        .expect("post");
        WPost {
            id: 0,
            tags: ManyToMany::default(),
        }
        .insert(&tx)
        .expect("wpost");
    }
    for p in 1..=POSTS {
        for t in tags_of(p) {
            tx.execute(
                "INSERT INTO posts_tags (post_id, tag_id) VALUES (?1, ?2)",
                (p, t),
            )
            .expect("link");
        }
    }
    tx.execute_batch("CREATE TABLE base_links AS SELECT * FROM posts_tags")
        .expect("base");
    tx.commit().expect("commit");
    conn
}

/// Puts the junction back to the base state (untimed).
fn reset(conn: &Connection) {
    conn.execute_batch("DELETE FROM posts_tags; INSERT INTO posts_tags SELECT * FROM base_links;")
        .expect("reset");
}

fn empty(conn: &Connection) {
    conn.execute_batch("DELETE FROM posts_tags; DELETE FROM post_weights;")
        .expect("empty");
}

// ----- hand-written rusqlite ------------------------------------------------

fn raw_add(conn: &Connection, post: i64, tags: &[i64]) -> rusqlite::Result<usize> {
    let tx = conn.unchecked_transaction()?;
    let mut n = 0;
    {
        let mut st = tx
            .prepare_cached("INSERT OR IGNORE INTO posts_tags (post_id, tag_id) VALUES (?1, ?2)")?;
        for t in tags {
            n += st.execute((post, t))?;
        }
    }
    tx.commit()?;
    Ok(n)
}

fn raw_fetch(conn: &Connection, post: i64) -> rusqlite::Result<Vec<Tag>> {
    let mut st = conn.prepare_cached(
        "SELECT t.id, t.name FROM posts_tags j JOIN tags t ON t.id = j.tag_id WHERE j.post_id = ?1 ORDER BY j.tag_id",
    )?;
    let rows = st.query_map([post], |r| {
        Ok(Tag {
            id: r.get(0)?,
            name: r.get(1)?,
        })
    })?;
    rows.collect()
}

fn raw_reverse(conn: &Connection, tag: i64) -> rusqlite::Result<Vec<Post>> {
    let mut st = conn.prepare_cached(
        "SELECT p.id, p.title FROM posts_tags j JOIN posts p ON p.id = j.post_id WHERE j.tag_id = ?1 ORDER BY j.post_id",
    )?;
    let rows = st.query_map([tag], |r| {
        Ok(Post {
            id: r.get(0)?,
            title: r.get(1)?,
            tags: ManyToMany::default(),
        })
    })?;
    rows.collect()
}

fn raw_prefetch(conn: &Connection, posts: &[i64]) -> rusqlite::Result<HashMap<i64, Vec<Tag>>> {
    let json = format!(
        "[{}]",
        posts
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut st = conn.prepare_cached(
        "SELECT j.post_id, t.id, t.name FROM json_each(?1) AS o CROSS JOIN posts_tags j ON j.post_id = o.value \
         CROSS JOIN tags t ON t.id = j.tag_id",
    )?;
    let mut map: HashMap<i64, Vec<Tag>> = posts.iter().map(|p| (*p, Vec::new())).collect();
    let mut rows = st.query([json])?;
    while let Some(r) = rows.next()? {
        let p: i64 = r.get(0)?;
        map.entry(p).or_default().push(Tag {
            id: r.get(1)?,
            name: r.get(2)?,
        });
    }
    Ok(map)
}

fn raw_set(conn: &Connection, post: i64, tags: &[i64]) -> rusqlite::Result<(Vec<i64>, Vec<i64>)> {
    let tx = conn.unchecked_transaction()?;
    let current: HashSet<i64> = {
        let mut st = tx.prepare_cached("SELECT tag_id FROM posts_tags WHERE post_id = ?1")?;
        st.query_map([post], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let wanted: HashSet<i64> = tags.iter().copied().collect();
    let mut removed: Vec<i64> = current.difference(&wanted).copied().collect();
    let mut added: Vec<i64> = wanted.difference(&current).copied().collect();
    {
        let mut del =
            tx.prepare_cached("DELETE FROM posts_tags WHERE post_id = ?1 AND tag_id = ?2")?;
        for t in &removed {
            del.execute((post, t))?;
        }
        let mut ins =
            tx.prepare_cached("INSERT INTO posts_tags (post_id, tag_id) VALUES (?1, ?2)")?;
        for t in &added {
            ins.execute((post, t))?;
        }
    }
    tx.commit()?;
    removed.sort();
    added.sort();
    Ok((added, removed))
}

fn raw_count_contains(conn: &Connection, post: i64, tag: i64) -> rusqlite::Result<(i64, bool)> {
    let n = conn
        .prepare_cached("SELECT count(*) FROM posts_tags WHERE post_id = ?1")?
        .query_row([post], |r| r.get(0))?;
    let c = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM posts_tags WHERE post_id = ?1 AND tag_id = ?2)",
        )?
        .query_row((post, tag), |r| r.get(0))?;
    Ok((n, c))
}

fn raw_remove(conn: &Connection, post: i64, tags: &[i64]) -> rusqlite::Result<usize> {
    let tx = conn.unchecked_transaction()?;
    let mut n = 0;
    {
        let mut st =
            tx.prepare_cached("DELETE FROM posts_tags WHERE post_id = ?1 AND tag_id = ?2")?;
        for t in tags {
            n += st.execute((post, t))?;
        }
    }
    tx.commit()?;
    Ok(n)
}

fn raw_clear(conn: &Connection, post: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM posts_tags WHERE post_id = ?1")?
        .execute([post])
}

fn raw_add_weighted(conn: &Connection, post: i64, tags: &[i64]) -> rusqlite::Result<usize> {
    let tx = conn.unchecked_transaction()?;
    let mut n = 0;
    {
        let mut st = tx.prepare_cached(
            "INSERT OR IGNORE INTO post_weights (post_id, tag_id, weight) VALUES (?1, ?2, ?3)",
        )?;
        for t in tags {
            n += st.execute((post, t, t % 7))?;
        }
    }
    tx.commit()?;
    Ok(n)
}

fn raw_fetch_weighted(conn: &Connection, post: i64) -> rusqlite::Result<Vec<(Tag, Weight)>> {
    let mut st = conn.prepare_cached(
        "SELECT t.id, t.name, w.id, w.post_id, w.tag_id, w.weight FROM post_weights w \
         JOIN tags t ON t.id = w.tag_id WHERE w.post_id = ?1 ORDER BY w.tag_id",
    )?;
    let rows = st.query_map([post], |r| {
        Ok((
            Tag {
                id: r.get(0)?,
                name: r.get(1)?,
            },
            Weight {
                id: r.get(2)?,
                post_id: r.get(3)?,
                tag_id: r.get(4)?,
                weight: r.get(5)?,
            },
        ))
    })?;
    rows.collect()
}

// ----- the run ------------------------------------------------------------------

struct Row {
    op: &'static str,
    m2m: Duration,
    raw: Duration,
}

fn main() {
    let samples = samples(5);
    let scratch = Scratch::new("workload");
    let conn = setup(&scratch.db("workload.db"));
    let posts: Vec<Post> = Post::query().fetch_all(&conn).expect("posts");
    let tags: Vec<Tag> = Tag::query().fetch_all(&conn).expect("tags");
    let wposts: Vec<WPost> = WPost::query().fetch_all(&conn).expect("wposts");
    let post_ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let mut rows = Vec::new();
    let only = std::env::var("M2M_BENCH_ONLY").unwrap_or_default();
    let mut measure = |op: &'static str,
                       prep: &dyn Fn(&Connection),
                       m2m: &dyn Fn(&Connection),
                       raw: &dyn Fn(&Connection)| {
        if !op.contains(only.as_str()) {
            return;
        }
        // Alternate the two so drift on a noisy machine hits both alike.
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..samples {
            a.push(time(1, || prep(&conn), |()| m2m(&conn)));
            b.push(time(1, || prep(&conn), |()| raw(&conn)));
        }
        let row = Row {
            op,
            m2m: median(a),
            raw: median(b),
        };
        println!(
            "{:<28} m2m {:>9} ms   rusqlite {:>9} ms   ratio {:.2}",
            row.op,
            ms(row.m2m),
            ms(row.raw),
            row.m2m.as_secs_f64() / row.raw.as_secs_f64()
        );
        rows.push(row);
    };
    let nothing = |_: &Connection| {};

    measure(
        "add 20 tags per post",
        &|c| empty(c),
        &|c| {
            for p in &posts {
                let n = p.tags().add(c, tags_of(p.id)).expect("add");
                assert_eq!(n, PER_POST as usize);
            }
        },
        &|c| {
            for p in &posts {
                assert_eq!(
                    raw_add(c, p.id, &tags_of(p.id)).expect("add"),
                    PER_POST as usize
                );
            }
        },
    );
    reset(&conn);
    measure(
        "fetch_all per post",
        &nothing,
        &|c| {
            for p in &posts {
                assert_eq!(
                    p.tags().fetch_all(c).expect("fetch").len(),
                    PER_POST as usize
                );
            }
        },
        &|c| {
            for p in &posts {
                assert_eq!(raw_fetch(c, p.id).expect("fetch").len(), PER_POST as usize);
            }
        },
    );
    measure(
        "reverse fetch_all per tag",
        &nothing,
        &|c| {
            let n: usize = tags
                .iter()
                .map(|t| t.posts().fetch_all(c).expect("rev").len())
                .sum();
            assert_eq!(n as i64, POSTS * PER_POST);
        },
        &|c| {
            let n: usize = tags
                .iter()
                .map(|t| raw_reverse(c, t.id).expect("rev").len())
                .sum();
            assert_eq!(n as i64, POSTS * PER_POST);
        },
    );
    measure(
        "prefetch all posts",
        &nothing,
        &|c| {
            let p = Post::TAGS.prefetch(c, &posts).expect("prefetch");
            assert_eq!(p.get(&posts[0]).len(), PER_POST as usize);
        },
        &|c| {
            let p = raw_prefetch(c, &post_ids).expect("prefetch");
            assert_eq!(p[&posts[0].id].len(), PER_POST as usize);
        },
    );
    measure(
        "set, overlap 10",
        &|c| reset(c),
        &|c| {
            for p in &posts {
                let r = p.tags().set(c, overlapping(p.id)).expect("set");
                assert_eq!((r.added.len(), r.removed.len()), (10, 10));
            }
        },
        &|c| {
            for p in &posts {
                let (a, r) = raw_set(c, p.id, &overlapping(p.id)).expect("set");
                assert_eq!((a.len(), r.len()), (10, 10));
            }
        },
    );
    reset(&conn);
    measure(
        "count + contains",
        &nothing,
        &|c| {
            for p in &posts {
                assert_eq!(p.tags().count(c).expect("count"), PER_POST as u64);
                assert!(p.tags().contains(c, tags_of(p.id)[5]).expect("contains"));
            }
        },
        &|c| {
            for p in &posts {
                let (n, has) = raw_count_contains(c, p.id, tags_of(p.id)[5]).expect("count");
                assert!(n == PER_POST && has);
            }
        },
    );
    measure(
        "remove 10 per post",
        &|c| reset(c),
        &|c| {
            for p in &posts {
                assert_eq!(
                    p.tags()
                        .remove(c, tags_of(p.id).into_iter().take(10))
                        .expect("remove"),
                    10
                );
            }
        },
        &|c| {
            for p in &posts {
                assert_eq!(
                    raw_remove(c, p.id, &tags_of(p.id)[..10]).expect("remove"),
                    10
                );
            }
        },
    );
    measure(
        "clear per post",
        &|c| reset(c),
        &|c| {
            for p in &posts {
                assert_eq!(p.tags().clear(c).expect("clear"), PER_POST as usize);
            }
        },
        &|c| {
            for p in &posts {
                assert_eq!(raw_clear(c, p.id).expect("clear"), PER_POST as usize);
            }
        },
    );
    measure(
        "pivot: add_with 20 per post",
        &|c| empty(c),
        &|c| {
            for p in &wposts {
                let tx = c.unchecked_transaction().expect("tx");
                for t in tags_of(p.id) {
                    let w = Weight {
                        weight: t % 7,
                        ..Weight::default()
                    };
                    assert!(p.tags().add_with(&tx, t, w).expect("add_with"));
                }
                tx.commit().expect("commit");
            }
        },
        &|c| {
            for p in &wposts {
                assert_eq!(
                    raw_add_weighted(c, p.id, &tags_of(p.id)).expect("add"),
                    PER_POST as usize
                );
            }
        },
    );
    measure(
        "pivot: fetch_with_pivot",
        &nothing,
        &|c| {
            for p in &wposts {
                assert_eq!(
                    p.tags().fetch_with_pivot(c).expect("fetch").len(),
                    PER_POST as usize
                );
            }
        },
        &|c| {
            for p in &wposts {
                assert_eq!(
                    raw_fetch_weighted(c, p.id).expect("fetch").len(),
                    PER_POST as usize
                );
            }
        },
    );

    let mut json = String::from(
        "{\n  \"workload\": { \"posts\": 2000, \"tags\": 500, \"links_per_post\": 20, \"samples\": ",
    );
    json.push_str(&samples.to_string());
    json.push_str(" },\n  \"ops\": [\n");
    for (i, r) in rows.iter().enumerate() {
        json.push_str(&format!(
            "    {{ \"op\": {}, \"m2m_ms\": {}, \"rusqlite_ms\": {}, \"ratio\": {:.3} }}{}\n",
            json_str(r.op),
            ms(r.m2m),
            ms(r.raw),
            r.m2m.as_secs_f64() / r.raw.as_secs_f64(),
            if i + 1 == rows.len() { "" } else { "," }
        ));
    }
    json.push_str("  ]\n}\n");
    // A partial run is for investigation; it does not replace the results.
    let out = out_dir().join(if only.is_empty() {
        "workload.json"
    } else {
        "workload-partial.json"
    });
    std::fs::write(&out, json).expect("write results");
    println!("results: {}", out.display());
}
