//! Scale sweep: the cost of a call must grow with its input and the change
//! it makes, not with the size of the relation it changes.
//!
//! - `set`/`sync` with a 10-key input on relations of 10 … 1,000,000 links,
//!   both ways a relation can be large: one owner with N links, and a junction
//!   of N links where the owner has 10;
//! - `add` of 1 … 100,000 targets in one call;
//! - prefetch of 10 … 100,000 owners.
//!
//! Times are medians over repeated calls; peak memory is the Rust heap's
//! high-water mark during one call (SQLite's page cache is not counted).
//! `cargo bench --bench sweep`; `M2M_SWEEP_MAX=100000` stops at a smaller size.

mod common;

use std::time::{Duration, Instant};

use common::*;
use m2m::rusqlite::Connection;
use m2m::{Key, ManyToMany, Model, SyncMode};

#[global_allocator]
static ALLOC: Counting = Counting;

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "posts")]
struct Post {
    id: i64,
    #[many_to_many(related_name = "posts")]
    tags: ManyToMany<Tag>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "tags")]
struct Tag {
    id: i64,
    name: String,
}

/// Fills `tags` with ids 1..=n and `posts` with ids 1..=owners, in SQL.
fn rows(conn: &Connection, tags: i64, posts: i64) {
    conn.execute_batch(&format!(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {tags})
         INSERT INTO tags (id, name) SELECT x, 'tag' || x FROM c;
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {posts})
         INSERT INTO posts (id) SELECT x FROM c;"
    ))
    .expect("rows");
}

fn fresh(scratch: &Scratch, name: &str) -> Connection {
    let conn = m2m::open(scratch.db(name)).expect("open");
    Tag::create_table(&conn).expect("tags");
    Post::create_table(&conn).expect("posts");
    conn
}

struct Point {
    series: &'static str,
    size: u64,
    time: Duration,
    peak: usize,
}

/// Median time and the largest heap peak of `reps` calls of `op(i)`.
fn run(reps: usize, mut op: impl FnMut(usize)) -> (Duration, usize) {
    let mut times = Vec::with_capacity(reps);
    let mut peak = 0;
    for i in 0..reps {
        let t = Instant::now();
        let ((), p) = peak_bytes(|| op(i));
        times.push(t.elapsed());
        peak = peak.max(p);
    }
    (median(times), peak)
}

fn main() {
    let max: i64 = std::env::var("M2M_SWEEP_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let reps = samples(201);
    let scratch = Scratch::new("sweep");
    let mut points: Vec<Point> = Vec::new();
    let mut record = |series: &'static str, size: i64, (time, peak): (Duration, usize)| {
        println!(
            "{series:<44} {size:>9}  {:>9.1} us  peak {:>9} B",
            time.as_secs_f64() * 1e6,
            peak
        );
        points.push(Point {
            series,
            size: size as u64,
            time,
            peak,
        });
    };

    for n in [10_i64, 1_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|n| *n <= max)
    {
        // One owner with n links; the calls change 10 of them.
        let conn = fresh(&scratch, &format!("owner-{n}.db"));
        rows(&conn, n + 20, 1);
        conn.execute_batch(&format!(
            "INSERT INTO posts_tags (post_id, tag_id) SELECT 1, id FROM tags WHERE id <= {n}"
        ))
        .expect("links");
        let post = Post::get(&conn, 1).expect("get").expect("post 1");
        let fresh_keys: Vec<i64> = (n + 1..=n + 10).collect();
        record(
            "sync Add 10 new + Remove them (owner has n)",
            n,
            run(reps, |_| {
                let r = post
                    .tags()
                    .sync(&conn, fresh_keys.iter().copied(), SyncMode::Add)
                    .expect("add");
                assert_eq!(r.added.len(), 10);
                let r = post
                    .tags()
                    .sync(&conn, fresh_keys.iter().copied(), SyncMode::Remove)
                    .expect("remove");
                assert_eq!(r.removed.len(), 10);
            }),
        );
        let old: Vec<i64> = (1..=10).collect();
        record(
            "toggle 10 twice (owner has n)",
            n,
            run(reps, |_| {
                post.tags()
                    .toggle(&conn, old.iter().copied())
                    .expect("toggle");
                post.tags()
                    .toggle(&conn, old.iter().copied())
                    .expect("toggle back");
            }),
        );
        drop(conn);

        // A junction of n links; the owner has 10 and `set` changes 10.
        let owners = (n / 10).max(1);
        let conn = fresh(&scratch, &format!("junction-{n}.db"));
        rows(&conn, 40, owners);
        conn.execute_batch(
            "INSERT INTO posts_tags (post_id, tag_id) SELECT p.id, t.id FROM posts p JOIN tags t ON t.id <= 10",
        )
        .expect("links");
        let post = Post::get(&conn, 1).expect("get").expect("post 1");
        let a: Vec<Key<Tag>> = (1..=10).map(Key::new).collect();
        let b: Vec<Key<Tag>> = (6..=15).map(Key::new).collect();
        record(
            "set 10 keys, change 10 (junction has n)",
            n,
            run(reps, |i| {
                let r = post
                    .tags()
                    .set(&conn, if i % 2 == 0 { &b } else { &a })
                    .expect("set");
                assert_eq!((r.added.len(), r.removed.len()), (5, 5));
            }),
        );
        drop(conn);
    }

    for n in [1_i64, 100, 10_000, 100_000] {
        let conn = fresh(&scratch, &format!("add-{n}.db"));
        rows(&conn, n, 64);
        let keys: Vec<i64> = (1..=n).collect();
        let reps = (reps as i64).min(1_000_000 / n.max(1)).clamp(5, 63) as usize;
        record(
            "add n targets in one call",
            n,
            run(reps, |i| {
                let added = Post::TAGS
                    .of_key(i as i64 + 1)
                    .add(&conn, keys.iter().copied())
                    .expect("add");
                assert_eq!(added as i64, n);
            }),
        );
    }

    let conn = fresh(&scratch, "prefetch.db");
    rows(&conn, 100, 100_000);
    conn.execute_batch(
        "INSERT INTO posts_tags (post_id, tag_id) SELECT p.id, t.id FROM posts p JOIN tags t ON t.id <= 10",
    )
    .expect("links");
    for n in [10_i64, 100, 1_000, 10_000, 100_000] {
        let owners: Vec<i64> = (1..=n).collect();
        let reps = (reps as i64).min(2_000_000 / n).clamp(5, 201) as usize;
        record(
            "prefetch n owners (10 targets each)",
            n,
            run(reps, |_| {
                let p = Post::TAGS
                    .prefetch(&conn, owners.iter().copied())
                    .expect("prefetch");
                assert_eq!(p.len() as i64, n);
            }),
        );
    }

    let mut json = String::from("{\n  \"points\": [\n");
    for (i, p) in points.iter().enumerate() {
        json.push_str(&format!(
            "    {{ \"series\": {}, \"size\": {}, \"us\": {:.1}, \"peak_bytes\": {} }}{}\n",
            json_str(p.series),
            p.size,
            p.time.as_secs_f64() * 1e6,
            p.peak,
            if i + 1 == points.len() { "" } else { "," }
        ));
    }
    json.push_str("  ]\n}\n");
    let out = out_dir().join("sweep.json");
    std::fs::write(&out, json).expect("write results");
    println!("results: {}", out.display());
}
