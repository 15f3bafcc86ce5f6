//! The axum handler on PostgreSQL: `POST /posts/{id}/tags` with
//! `{"ids": [1, 2]}` answers `{"added": [..]}`.
//!
//! The `postgres` client blocks, so each request takes an r2d2 connection
//! ([`PgManager`]) on tokio's blocking threads (`spawn_blocking`): the
//! documented pattern for a blocking pool under an async framework. The
//! error type converts from m2m's, the pool's and the join error (so `?`
//! works) and picks the status: 404 for a post that does not exist, 422 for
//! a tag that does not, 503 for `Error::is_busy` (here a lock held past the
//! connection's `lock_timeout`; nothing was written, the client may retry).
//!
//! `cargo run --example axum_postgres`; it ends in assertions, so `cargo
//! test` runs it too.

use axum::Router;
use axum::body::Body;
use axum::extract::{Json, Path, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use m2m::{Model, SyncMode};
use m2m_ecosystem::{PgManager, Post, Tag};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

type Pool = r2d2::Pool<PgManager>;

#[derive(Deserialize)]
struct TagIds {
    ids: Vec<i64>,
}

#[derive(Serialize)]
struct Added {
    added: Vec<i64>,
}

/// Runs blocking database work on tokio's blocking threads with a pooled
/// connection.
async fn with_conn<R: Send + 'static>(
    pool: &Pool,
    f: impl FnOnce(&m2m::pg::PgConnection) -> m2m::Result<R> + Send + 'static,
) -> Result<R, ApiError> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || -> Result<R, ApiError> {
        let conn = pool.get()?;
        Ok(f(&conn)?)
    })
    .await?
}

/// `POST /posts/{id}/tags`: links the tags, keeps the others.
async fn add_tags(
    State(pool): State<Pool>,
    Path(id): Path<i64>,
    Json(body): Json<TagIds>,
) -> Result<Json<Added>, ApiError> {
    let report = with_conn(&pool, move |c| {
        Post::TAGS.of_key(id).sync(c, &body.ids, SyncMode::Add)
    })
    .await?;
    let added = report.added.into_iter().map(|k| k.into_inner()).collect();
    Ok(Json(Added { added }))
}

/// Everything a handler can fail with; `?` converts into it.
#[derive(Debug)]
enum ApiError {
    Db(m2m::Error),
    Pool(r2d2::Error),
    Join(tokio::task::JoinError),
}

impl From<m2m::Error> for ApiError {
    fn from(e: m2m::Error) -> Self {
        ApiError::Db(e)
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        ApiError::Pool(e)
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Join(e)
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use m2m::Error;
        let status = match &self {
            ApiError::Db(Error::MissingOwner { .. }) => StatusCode::NOT_FOUND,
            ApiError::Db(Error::MissingTarget { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
            // A lock timeout, a deadlock or a serialization failure: nothing
            // was written, the request may be retried.
            ApiError::Db(e) if e.is_busy() => StatusCode::SERVICE_UNAVAILABLE,
            // No connection free within the pool's timeout.
            ApiError::Pool(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let error = match &self {
            ApiError::Db(e) => e.to_string(),
            ApiError::Pool(e) => e.to_string(),
            ApiError::Join(e) => e.to_string(),
        };
        (status, Json(ErrorBody { error })).into_response()
    }
}

fn app(pool: Pool) -> Router {
    Router::new()
        .route("/posts/{id}/tags", post(add_tags))
        .with_state(pool)
}

/// Sends one request to the router in-process; the status and the body.
async fn call(app: &Router, uri: &str, json: &str) -> (StatusCode, String) {
    let req = Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(json.to_owned()))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = m2m_pg_harness::fresh_schema_url();
    let pool = r2d2::Pool::builder().max_size(4).build(PgManager {
        url: url.clone(),
        // A request should not wait long for a lock: fail fast, answer 503.
        setup: "SET lock_timeout = '200ms'",
    })?;

    let (post_id, rust, sql) = with_conn(&pool, |c| {
        Tag::create_table(c)?;
        Post::create_table(c)?;
        let mut rust = Tag {
            id: 0,
            name: "rust".into(),
        };
        let mut sql = Tag {
            id: 0,
            name: "sql".into(),
        };
        rust.insert(c)?;
        sql.insert(c)?;
        let mut post = Post {
            id: 0,
            title: "Hello".into(),
            tags: Default::default(),
        };
        post.insert(c)?;
        Ok((post.id, rust.id, sql.id))
    })
    .await
    .map_err(|e| format!("{e:?}"))?;
    let app = app(pool.clone());
    let uri = format!("/posts/{post_id}/tags");

    let (status, body) = call(&app, &uri, &format!(r#"{{"ids": [{rust}, {sql}]}}"#)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, format!(r#"{{"added":[{rust},{sql}]}}"#));
    let (status, body) = call(&app, &uri, &format!(r#"{{"ids": [{rust}]}}"#)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, r#"{"added":[]}"#));

    // A tag that does not exist: 422, and nothing written.
    let (status, body) = call(&app, &uri, &format!(r#"{{"ids": [{sql}, 999]}}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("no target row has key 999"), "{body}");

    // A post that does not exist: 404.
    let (status, body) = call(
        &app,
        "/posts/12345/tags",
        &format!(r#"{{"ids": [{rust}]}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("no owner row has key 12345"), "{body}");

    // Another session holds the junction locked: 503 after the lock timeout.
    let third_id = with_conn(&pool, |c| {
        let mut third = Tag {
            id: 0,
            name: "axum".into(),
        };
        third.insert(c)?;
        Ok(third.id)
    })
    .await
    .map_err(|e| format!("{e:?}"))?;
    let locker = tokio::task::spawn_blocking(move || -> m2m::Result<m2m::pg::PgConnection> {
        let locker = m2m::pg::connect(&url)?;
        locker.batch_execute("BEGIN; LOCK TABLE post_tags IN EXCLUSIVE MODE")?;
        Ok(locker)
    })
    .await??;
    let (status, body) = call(&app, &uri, &format!(r#"{{"ids": [{third_id}]}}"#)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    tokio::task::spawn_blocking(move || locker.batch_execute("ROLLBACK")).await??;
    // Retried once the lock is gone: it goes through.
    let (status, body) = call(&app, &uri, &format!(r#"{{"ids": [{third_id}]}}"#)).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, format!(r#"{{"added":[{third_id}]}}"#))
    );

    let keys = with_conn(&pool, move |c| Post::TAGS.of_key(post_id).keys(c))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let keys: Vec<i64> = keys.into_iter().map(|k| k.into_inner()).collect();
    assert_eq!(keys, vec![rust, sql, third_id]);
    println!("axum on PostgreSQL: 200, 200, 422, 404, 503 then 200; links {keys:?}");
    // The `postgres` client blocks when it closes too: the last pool handle
    // is dropped off the async threads.
    drop(app);
    tokio::task::spawn_blocking(move || drop(pool)).await?;
    Ok(())
}
