//! The standard many-to-many workload on PostgreSQL, timed for m2m (on a
//! `PgConnection`) and for hand-written `postgres` code doing the same work
//! in the same run: the operations and data sizes of `workload.rs`.
//!
//! 2,000 posts, 500 tags, 20 links per post, on the throwaway server of
//! `m2m-pg-harness` (durability off), each side in a fresh schema of its
//! own with the same tables (created by m2m's DDL). The hand-written side
//! prepares each statement once up front and reuses it, passes a key list
//! as one array parameter (`= ANY($2)`, `unnest($2::bigint[])`), writes
//! `set` as a diff (delete the others, insert the missing) in one
//! transaction, and prefetches in one statement.
//!
//! Each operation is run over every post (or tag), alternating m2m and
//! hand-written runs; the medians are compared as a ratio. Round trips per
//! call are counted on both sides (m2m: `PgConnection::round_trips`; the
//! hand-written side counts its own client calls), in the last sample: m2m
//! prepares its statements in the first, and preparing is in neither count.
//!
//! `cargo bench --bench workload_pg`; `M2M_BENCH_SAMPLES=N` sets the
//! samples, `M2M_BENCH_ONLY=text` runs only the operations whose name
//! contains it. Run as a test (`cargo test --bench workload_pg`, no
//! `--bench` argument) it makes one quick pass (whose m2m round trips
//! include preparing) and writes no results.

mod common;
#[path = "common/workload.rs"]
mod data;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::*;
use data::*;
use m2m::pg::PgConnection;
use m2m::{ManyToMany, Model};
use postgres::{Client, Statement};

#[global_allocator]
static ALLOC: Counting = Counting;

/// A fresh schema with the workload's tables (m2m's DDL) and rows.
fn setup() -> PgConnection {
    let url = m2m_pg_harness::fresh_schema_url();
    let conn = m2m::pg::connect(&url).unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    Tag::create_table(&conn).expect("tags");
    Post::create_table(&conn).expect("posts");
    WPost::create_table(&conn).expect("wposts");
    let (posts, tags, per) = (POSTS, TAGS, PER_POST);
    // Keys are assigned 1.. in order, as `workload.rs`'s inserts get them.
    conn.batch_execute(&format!(
        "BEGIN;
         INSERT INTO tags (name) SELECT 'tag' || g FROM generate_series(1, {tags}) g;
         INSERT INTO posts (title) SELECT 'post ' || g FROM generate_series(1, {posts}) g;
         INSERT INTO wposts SELECT FROM generate_series(1, {posts});
         INSERT INTO posts_tags (post_id, tag_id)
             SELECT p, (p * 7 + k * 13) % {tags} + 1
             FROM generate_series(1, {posts}) p, generate_series(0, {per} - 1) k;
         CREATE TABLE base_links AS SELECT * FROM posts_tags;
         ALTER TABLE posts_tags SET (autovacuum_enabled = off);
         ALTER TABLE post_weights SET (autovacuum_enabled = off);
         COMMIT;
         ANALYZE;"
    ))
    .expect("rows");
    conn
}

// Autovacuum is off on the two tables the operations churn: started by one
// side's writes, it would run during the other side's timed run. The
// untimed preparation of each run analyzes them instead, so both sides'
// statements are planned on current statistics.

/// Puts the junction back to the base state (untimed).
fn reset(c: &mut Client) {
    c.batch_execute(
        "TRUNCATE posts_tags; INSERT INTO posts_tags SELECT * FROM base_links; ANALYZE posts_tags;",
    )
    .expect("reset");
}

fn empty(c: &mut Client) {
    c.batch_execute("TRUNCATE posts_tags, post_weights; ANALYZE posts_tags, post_weights;")
        .expect("empty");
}

/// Up-to-date statistics for a reading run (untimed).
fn analyze(c: &mut Client) {
    c.batch_execute("ANALYZE posts_tags, post_weights;")
        .expect("analyze");
}

// ----- hand-written postgres ----------------------------------------------------

/// Round trips of the hand-written side.
static RAW_TRIPS: AtomicU64 = AtomicU64::new(0);

/// Counts one round trip of the hand-written side.
fn trip() {
    RAW_TRIPS.fetch_add(1, Ordering::Relaxed);
}

/// The hand-written side's statements, prepared once.
struct Raw {
    add: Statement,
    fetch: Statement,
    reverse: Statement,
    prefetch: Statement,
    remove_others: Statement,
    add_returning: Statement,
    count: Statement,
    contains: Statement,
    remove: Statement,
    clear: Statement,
    add_weighted: Statement,
    fetch_weighted: Statement,
}

impl Raw {
    fn prepare(c: &mut Client) -> Raw {
        let mut p = |sql: &str| c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        Raw {
            add: p(
                "INSERT INTO posts_tags (post_id, tag_id) SELECT $1, k FROM unnest($2::bigint[]) AS l(k) \
                    ON CONFLICT (post_id, tag_id) DO NOTHING",
            ),
            fetch: p(
                "SELECT t.id, t.name FROM posts_tags j JOIN tags t ON t.id = j.tag_id \
                      WHERE j.post_id = $1 ORDER BY j.tag_id",
            ),
            reverse: p(
                "SELECT p.id, p.title FROM posts_tags j JOIN posts p ON p.id = j.post_id \
                        WHERE j.tag_id = $1 ORDER BY j.post_id",
            ),
            prefetch: p(
                "SELECT j.post_id, t.id, t.name FROM posts_tags j JOIN tags t ON t.id = j.tag_id \
                         WHERE j.post_id = ANY($1::bigint[])",
            ),
            remove_others: p(
                "DELETE FROM posts_tags WHERE post_id = $1 AND tag_id <> ALL($2::bigint[]) \
                              RETURNING tag_id",
            ),
            add_returning: p(
                "INSERT INTO posts_tags (post_id, tag_id) SELECT $1, k FROM unnest($2::bigint[]) AS l(k) \
                              ON CONFLICT (post_id, tag_id) DO NOTHING RETURNING tag_id",
            ),
            count: p("SELECT count(*) FROM posts_tags WHERE post_id = $1"),
            contains: p(
                "SELECT EXISTS(SELECT 1 FROM posts_tags WHERE post_id = $1 AND tag_id = $2)",
            ),
            remove: p("DELETE FROM posts_tags WHERE post_id = $1 AND tag_id = ANY($2::bigint[])"),
            clear: p("DELETE FROM posts_tags WHERE post_id = $1"),
            add_weighted: p(
                "INSERT INTO post_weights (post_id, tag_id, weight) VALUES ($1, $2, $3) \
                             ON CONFLICT (post_id, tag_id) DO NOTHING",
            ),
            fetch_weighted: p(
                "SELECT t.id, t.name, w.id, w.post_id, w.tag_id, w.weight FROM post_weights w \
                               JOIN tags t ON t.id = w.tag_id WHERE w.post_id = $1 ORDER BY w.tag_id",
            ),
        }
    }

    /// One statement: atomic on its own, no transaction needed.
    fn add(&self, c: &mut Client, post: i64, tags: &[i64]) -> Result<u64, postgres::Error> {
        trip();
        c.execute(&self.add, &[&post, &tags])
    }

    fn fetch(&self, c: &mut Client, post: i64) -> Result<Vec<Tag>, postgres::Error> {
        trip();
        Ok(c.query(&self.fetch, &[&post])?
            .iter()
            .map(|r| Tag {
                id: r.get(0),
                name: r.get(1),
            })
            .collect())
    }

    fn reverse(&self, c: &mut Client, tag: i64) -> Result<Vec<Post>, postgres::Error> {
        trip();
        Ok(c.query(&self.reverse, &[&tag])?
            .iter()
            .map(|r| Post {
                id: r.get(0),
                title: r.get(1),
                tags: ManyToMany::default(),
            })
            .collect())
    }

    fn prefetch(
        &self,
        c: &mut Client,
        posts: &[i64],
    ) -> Result<HashMap<i64, Vec<Tag>>, postgres::Error> {
        trip();
        let rows = c.query(&self.prefetch, &[&posts])?;
        let mut map: HashMap<i64, Vec<Tag>> = posts.iter().map(|p| (*p, Vec::new())).collect();
        for r in &rows {
            map.entry(r.get(0)).or_default().push(Tag {
                id: r.get(1),
                name: r.get(2),
            });
        }
        Ok(map)
    }

    /// The diff in one transaction: delete the others, insert the missing.
    fn set(
        &self,
        c: &mut Client,
        post: i64,
        tags: &[i64],
    ) -> Result<(Vec<i64>, Vec<i64>), postgres::Error> {
        trip();
        let mut tx = c.transaction()?;
        trip();
        let mut removed: Vec<i64> = tx
            .query(&self.remove_others, &[&post, &tags])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        trip();
        let mut added: Vec<i64> = tx
            .query(&self.add_returning, &[&post, &tags])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        trip();
        tx.commit()?;
        removed.sort_unstable();
        added.sort_unstable();
        Ok((added, removed))
    }

    fn count_contains(
        &self,
        c: &mut Client,
        post: i64,
        tag: i64,
    ) -> Result<(i64, bool), postgres::Error> {
        trip();
        let n: i64 = c.query_one(&self.count, &[&post])?.get(0);
        trip();
        let has: bool = c.query_one(&self.contains, &[&post, &tag])?.get(0);
        Ok((n, has))
    }

    fn remove(&self, c: &mut Client, post: i64, tags: &[i64]) -> Result<u64, postgres::Error> {
        trip();
        c.execute(&self.remove, &[&post, &tags])
    }

    fn clear(&self, c: &mut Client, post: i64) -> Result<u64, postgres::Error> {
        trip();
        c.execute(&self.clear, &[&post])
    }

    /// One transaction, one insert per link (as m2m's side: 20 `add_with`
    /// calls in the caller's transaction).
    fn add_weighted(
        &self,
        c: &mut Client,
        post: i64,
        tags: &[i64],
    ) -> Result<u64, postgres::Error> {
        trip();
        let mut tx = c.transaction()?;
        let mut n = 0;
        for t in tags {
            trip();
            n += tx.execute(&self.add_weighted, &[&post, t, &(t % 7)])?;
        }
        trip();
        tx.commit()?;
        Ok(n)
    }

    fn fetch_weighted(
        &self,
        c: &mut Client,
        post: i64,
    ) -> Result<Vec<(Tag, Weight)>, postgres::Error> {
        trip();
        Ok(c.query(&self.fetch_weighted, &[&post])?
            .iter()
            .map(|r| {
                (
                    Tag {
                        id: r.get(0),
                        name: r.get(1),
                    },
                    Weight {
                        id: r.get(2),
                        post_id: r.get(3),
                        tag_id: r.get(4),
                        weight: r.get(5),
                    },
                )
            })
            .collect())
    }
}

// ----- the run ------------------------------------------------------------------

struct Row {
    op: &'static str,
    m2m: Duration,
    raw: Duration,
    /// Round trips per call.
    m2m_trips: f64,
    raw_trips: f64,
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --bench workload_pg` does not.
    let bench = std::env::args().any(|a| a == "--bench");
    // Three by default (`workload.rs` takes five): the pivot write alone is
    // about a minute a sample on a loaded two-core machine.
    let samples = if bench { samples(3) } else { 1 };
    let m = RefCell::new(setup());
    let mut raw_client = setup().into_inner();
    let stmts = Raw::prepare(&mut raw_client);
    let r = RefCell::new(raw_client);

    let (posts, tags, wposts) = {
        let c = m.borrow();
        let posts: Vec<Post> = Post::query().fetch_all(&*c).expect("posts");
        let tags: Vec<Tag> = Tag::query().fetch_all(&*c).expect("tags");
        let wposts: Vec<WPost> = WPost::query().fetch_all(&*c).expect("wposts");
        (posts, tags, wposts)
    };
    assert_eq!(posts.len() as i64, POSTS);
    assert_eq!(posts[0].id, 1);
    let post_ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let n_posts = posts.len() as u64;
    let mut rows = Vec::new();
    let only = std::env::var("M2M_BENCH_ONLY").unwrap_or_default();
    println!(
        "PostgreSQL: m2m / hand-written postgres, median of {samples} alternating run(s){}",
        if bench { "" } else { " (test mode: one pass)" }
    );
    let mut measure = |op: &'static str,
                       calls: u64,
                       prep: &dyn Fn(&mut Client),
                       m2m: &dyn Fn(&mut PgConnection),
                       raw: &dyn Fn(&mut Client)| {
        if !op.contains(only.as_str()) {
            return;
        }
        let prep_m = || m.borrow().with_client(prep);
        let prep_r = || prep(&mut r.borrow_mut());
        // Alternate the two so drift on a noisy machine hits both alike.
        // Round trips are those of the last sample: m2m prepares its
        // statements in the first (the hand-written side prepared its own
        // up front), and preparing is in neither count.
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let (mut ta, mut tb) = (0u64, 0u64);
        for _ in 0..samples {
            let before = m.borrow().round_trips();
            a.push(time(1, prep_m, |()| m2m(&mut m.borrow_mut())));
            ta = m.borrow().round_trips() - before;
            let before = RAW_TRIPS.load(Ordering::Relaxed);
            b.push(time(1, prep_r, |()| raw(&mut r.borrow_mut())));
            tb = RAW_TRIPS.load(Ordering::Relaxed) - before;
        }
        let per = calls as f64;
        let row = Row {
            op,
            m2m: median(a),
            raw: median(b),
            m2m_trips: ta as f64 / per,
            raw_trips: tb as f64 / per,
        };
        println!(
            "{:<28} m2m {:>9} ms   postgres {:>9} ms   ratio {:.2}   round trips/call m2m {:>5.2} postgres {:>5.2}",
            row.op,
            ms(row.m2m),
            ms(row.raw),
            row.m2m.as_secs_f64() / row.raw.as_secs_f64(),
            row.m2m_trips,
            row.raw_trips,
        );
        rows.push(row);
    };

    measure(
        "add 20 tags per post",
        n_posts,
        &empty,
        &|c| {
            for p in &posts {
                let n = p.tags().add(&*c, tags_of(p.id)).expect("add");
                assert_eq!(n, PER_POST as usize);
            }
        },
        &|c| {
            for p in &posts {
                let n = stmts.add(c, p.id, &tags_of(p.id)).expect("add");
                assert_eq!(n, PER_POST as u64);
            }
        },
    );
    reset(&mut r.borrow_mut());
    m.borrow().with_client(reset);
    measure(
        "fetch_all per post",
        n_posts,
        &analyze,
        &|c| {
            for p in &posts {
                assert_eq!(
                    p.tags().fetch_all(&*c).expect("fetch").len(),
                    PER_POST as usize
                );
            }
        },
        &|c| {
            for p in &posts {
                assert_eq!(
                    stmts.fetch(c, p.id).expect("fetch").len(),
                    PER_POST as usize
                );
            }
        },
    );
    measure(
        "reverse fetch_all per tag",
        tags.len() as u64,
        &analyze,
        &|c| {
            let n: usize = tags
                .iter()
                .map(|t| t.posts().fetch_all(&*c).expect("rev").len())
                .sum();
            assert_eq!(n as i64, POSTS * PER_POST);
        },
        &|c| {
            let n: usize = tags
                .iter()
                .map(|t| stmts.reverse(c, t.id).expect("rev").len())
                .sum();
            assert_eq!(n as i64, POSTS * PER_POST);
        },
    );
    measure(
        "prefetch all posts",
        1,
        &analyze,
        &|c| {
            let p = Post::TAGS.prefetch(&*c, &posts).expect("prefetch");
            assert_eq!(p.get(&posts[0]).len(), PER_POST as usize);
        },
        &|c| {
            let p = stmts.prefetch(c, &post_ids).expect("prefetch");
            assert_eq!(p[&posts[0].id].len(), PER_POST as usize);
        },
    );
    measure(
        "set, overlap 10",
        n_posts,
        &reset,
        &|c| {
            for p in &posts {
                let r = p.tags().set(&*c, overlapping(p.id)).expect("set");
                assert_eq!((r.added.len(), r.removed.len()), (10, 10));
            }
        },
        &|c| {
            for p in &posts {
                let (a, r) = stmts.set(c, p.id, &overlapping(p.id)).expect("set");
                assert_eq!((a.len(), r.len()), (10, 10));
            }
        },
    );
    reset(&mut r.borrow_mut());
    m.borrow().with_client(reset);
    measure(
        "count + contains",
        n_posts,
        &analyze,
        &|c| {
            for p in &posts {
                assert_eq!(p.tags().count(&*c).expect("count"), PER_POST as u64);
                assert!(p.tags().contains(&*c, tags_of(p.id)[5]).expect("contains"));
            }
        },
        &|c| {
            for p in &posts {
                let (n, has) = stmts
                    .count_contains(c, p.id, tags_of(p.id)[5])
                    .expect("count");
                assert!(n == PER_POST && has);
            }
        },
    );
    measure(
        "remove 10 per post",
        n_posts,
        &reset,
        &|c| {
            for p in &posts {
                assert_eq!(
                    p.tags()
                        .remove(&*c, tags_of(p.id).into_iter().take(10))
                        .expect("remove"),
                    10
                );
            }
        },
        &|c| {
            for p in &posts {
                assert_eq!(
                    stmts.remove(c, p.id, &tags_of(p.id)[..10]).expect("remove"),
                    10
                );
            }
        },
    );
    measure(
        "clear per post",
        n_posts,
        &reset,
        &|c| {
            for p in &posts {
                assert_eq!(p.tags().clear(&*c).expect("clear"), PER_POST as usize);
            }
        },
        &|c| {
            for p in &posts {
                assert_eq!(stmts.clear(c, p.id).expect("clear"), PER_POST as u64);
            }
        },
    );
    measure(
        "pivot: add_with 20 per post",
        n_posts,
        &empty,
        &|c| {
            for p in &wposts {
                let tx = c.transaction().expect("tx");
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
                    stmts.add_weighted(c, p.id, &tags_of(p.id)).expect("add"),
                    PER_POST as u64
                );
            }
        },
    );
    // The same, with m2m's guarantee set aside: the hand-written side above
    // runs no savepoint per insert, so a failed one aborts its transaction;
    // with `set_savepoint_per_call(false)` m2m's does too, and sends what
    // it sends.
    measure(
        "pivot: add_with 20 per post, no savepoint per call",
        n_posts,
        &empty,
        &|c| {
            c.set_savepoint_per_call(false);
            for p in &wposts {
                let tx = c.transaction().expect("tx");
                for t in tags_of(p.id) {
                    let w = Weight {
                        weight: t % 7,
                        ..Weight::default()
                    };
                    assert!(p.tags().add_with(&tx, t, w).expect("add_with"));
                }
                tx.commit().expect("commit");
            }
            c.set_savepoint_per_call(true);
        },
        &|c| {
            for p in &wposts {
                assert_eq!(
                    stmts.add_weighted(c, p.id, &tags_of(p.id)).expect("add"),
                    PER_POST as u64
                );
            }
        },
    );
    measure(
        "pivot: fetch_with_pivot",
        n_posts,
        &analyze,
        &|c| {
            for p in &wposts {
                assert_eq!(
                    p.tags().fetch_with_pivot(&*c).expect("fetch").len(),
                    PER_POST as usize
                );
            }
        },
        &|c| {
            for p in &wposts {
                assert_eq!(
                    stmts.fetch_weighted(c, p.id).expect("fetch").len(),
                    PER_POST as usize
                );
            }
        },
    );

    if !bench {
        return;
    }
    let mut json = String::from(
        "{\n  \"workload\": { \"backend\": \"postgres\", \"posts\": 2000, \"tags\": 500, \"links_per_post\": 20, \"samples\": ",
    );
    json.push_str(&samples.to_string());
    json.push_str(" },\n  \"ops\": [\n");
    for (i, r) in rows.iter().enumerate() {
        json.push_str(&format!(
            "    {{ \"op\": {}, \"m2m_ms\": {}, \"postgres_ms\": {}, \"ratio\": {:.3}, \"m2m_round_trips_per_call\": {:.3}, \"postgres_round_trips_per_call\": {:.3} }}{}\n",
            json_str(r.op),
            ms(r.m2m),
            ms(r.raw),
            r.m2m.as_secs_f64() / r.raw.as_secs_f64(),
            r.m2m_trips,
            r.raw_trips,
            if i + 1 == rows.len() { "" } else { "," }
        ));
    }
    json.push_str("  ]\n}\n");
    // A partial run is for investigation; it does not replace the results.
    let out = out_dir().join(if only.is_empty() {
        "workload_pg.json"
    } else {
        "workload_pg-partial.json"
    });
    std::fs::write(&out, json).expect("write results");
    println!("results: {}", out.display());
}
