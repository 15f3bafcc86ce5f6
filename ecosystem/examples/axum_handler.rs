//! An axum handler that links tags to a post:
//! `POST /posts/{id}/tags` with `{"ids": [1, 2]}` answers
//! `{"added": [..]}`, the links it made.
//!
//! SQLite calls block, so they run on a blocking thread through
//! deadpool-sqlite's `interact`. The handler's error type converts from
//! m2m's and the pool's errors (so `?` works) and picks the status: 404 for
//! a post that does not exist, 422 for a tag that does not, 503 when the
//! database stayed locked (`Error::is_busy`: retry later).
//!
//! The router is called in-process with `tower::ServiceExt::oneshot`.
//! `cargo run --example axum_handler`; it ends in assertions, so
//! `cargo test` runs it too.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Json, Path, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use deadpool_sqlite::{Config, Hook, HookError, InteractError, Pool, PoolError, Runtime};
use m2m::{Model, SyncMode};
use m2m_ecosystem::{Post, Tag};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

#[derive(Deserialize)]
struct TagIds {
    ids: Vec<i64>,
}

#[derive(Serialize)]
struct Added {
    added: Vec<i64>,
}

/// `POST /posts/{id}/tags`: links the tags, keeps the others.
async fn add_tags(
    State(pool): State<Pool>,
    Path(id): Path<i64>,
    Json(body): Json<TagIds>,
) -> Result<Json<Added>, ApiError> {
    let conn = pool.get().await?;
    let report = conn
        .interact(move |c| Post::TAGS.of_key(id).sync(&*c, &body.ids, SyncMode::Add))
        .await??;
    let added = report.added.into_iter().map(|k| k.into_inner()).collect();
    Ok(Json(Added { added }))
}

/// Everything a handler can fail with; `?` converts into it.
#[derive(Debug)]
enum ApiError {
    Db(m2m::Error),
    Pool(PoolError),
    Interact(InteractError),
}

impl From<m2m::Error> for ApiError {
    fn from(e: m2m::Error) -> Self {
        ApiError::Db(e)
    }
}

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> Self {
        ApiError::Pool(e)
    }
}

impl From<InteractError> for ApiError {
    fn from(e: InteractError) -> Self {
        ApiError::Interact(e)
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
            // Nothing was written: the client named a row that is not there.
            ApiError::Db(Error::MissingOwner { .. }) => StatusCode::NOT_FOUND,
            ApiError::Db(Error::MissingTarget { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
            // The database stayed locked for the whole busy timeout; nothing
            // was written, the request may be retried.
            ApiError::Db(e) if e.is_busy() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Pool(PoolError::Timeout(_)) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let error = match &self {
            ApiError::Db(e) => e.to_string(),
            ApiError::Pool(e) => e.to_string(),
            ApiError::Interact(e) => e.to_string(),
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
    let dir = std::env::temp_dir().join(format!("m2m-ecosystem-axum-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("app.db");

    let pool = Config::new(&path)
        .builder(Runtime::Tokio1)?
        .max_size(4)
        .post_create(Hook::async_fn(|conn, _| {
            Box::pin(async move {
                conn.interact(|c| {
                    m2m::configure(c)?;
                    // A request should not wait 5 s for a lock: fail fast
                    // and answer 503.
                    c.busy_timeout(Duration::from_millis(200))?;
                    Ok::<_, m2m::Error>(())
                })
                .await
                .map_err(|e| HookError::message(e.to_string()))?
                .map_err(|e| HookError::message(e.to_string()))
            })
        }))
        .build()?;

    // Two tags and a post.
    let (post_id, rust, sql) = pool
        .get()
        .await?
        .interact(|c| -> m2m::Result<(i64, i64, i64)> {
            Tag::create_table(&*c)?;
            Post::create_table(&*c)?;
            let mut rust = Tag {
                id: 0,
                name: "rust".into(),
            };
            let mut sql = Tag {
                id: 0,
                name: "sql".into(),
            };
            rust.insert(&*c)?;
            sql.insert(&*c)?;
            let mut post = Post {
                id: 0,
                title: "Hello".into(),
                tags: Default::default(),
            };
            post.insert(&*c)?;
            Ok((post.id, rust.id, sql.id))
        })
        .await
        .map_err(|e| e.to_string())??;
    let app = app(pool.clone());
    let uri = format!("/posts/{post_id}/tags");

    // Links made; the second time there is nothing new.
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

    // Another process holds the write lock: 503 after the busy timeout.
    let mut third = Tag {
        id: 0,
        name: "axum".into(),
    };
    let third_id = {
        let c = pool.get().await?;
        c.interact(move |c| third.insert(&*c).map(|()| third.id))
            .await
            .map_err(|e| e.to_string())??
    };
    let locker = m2m::rusqlite::Connection::open(&path)?;
    locker.execute_batch("BEGIN IMMEDIATE")?;
    let (status, body) = call(&app, &uri, &format!(r#"{{"ids": [{third_id}]}}"#)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    locker.execute_batch("ROLLBACK")?;
    // Retried once the lock is gone: it goes through.
    let (status, body) = call(&app, &uri, &format!(r#"{{"ids": [{third_id}]}}"#)).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, format!(r#"{{"added":[{third_id}]}}"#))
    );

    // The links are exactly what the successful requests made.
    let keys = pool
        .get()
        .await?
        .interact(move |c| Post::TAGS.of_key(post_id).keys(&*c))
        .await
        .map_err(|e| e.to_string())??;
    let mut keys: Vec<i64> = keys.into_iter().map(|k| k.into_inner()).collect();
    keys.sort();
    assert_eq!(keys, vec![rust, sql, third_id]);
    println!("axum: 200, 200, 422, 404, 503 then 200; links {keys:?}");

    drop(locker);
    pool.close();
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
