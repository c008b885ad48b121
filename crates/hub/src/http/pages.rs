//! The built pages from `web/dist` (`npm run build`): `/dashboard`,
//! `/overlays/<name>` and their `/assets/*`. Release builds embed them in the binary; debug builds read the
//! directory at request time, so a rebuilt page shows without restarting.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Pages;

/// What `landale pages` says: the build's stamp and whether pages are there.
pub fn summary() -> String {
    let n = Pages::iter().count();
    let how = if cfg!(debug_assertions) {
        "read from web/dist at request time (debug build)"
    } else {
        "embedded"
    };
    format!(
        "pages: {n} files {how}; built with web/dist at {}",
        env!("LANDALE_PAGES_STAMP")
    )
}

const NOT_BUILT: &str = "The Landale pages are not built. Run `cargo xtask run` (it builds them) or `cd web && npm ci && npm run build`, then reload.";

fn file(path: &str, cache: &'static str) -> Option<Response> {
    let f = Pages::get(path)?;
    Some(
        (
            [
                (header::CONTENT_TYPE, f.metadata.mimetype().to_string()),
                (header::CACHE_CONTROL, cache.to_string()),
            ],
            f.data,
        )
            .into_response(),
    )
}

fn page(path: &str) -> Response {
    file(path, "no-cache").unwrap_or_else(|| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response()
    })
}

pub(crate) async fn dashboard() -> Response {
    page("dashboard/index.html")
}

/// `/overlays/<name>`: an OBS browser source (1920×1080, transparent).
pub(crate) async fn overlay(Path(name): Path<String>) -> Response {
    let name = name.trim_end_matches('/');
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = format!("overlays/{name}/index.html");
    match file(&path, "no-cache") {
        Some(r) => r,
        None if Pages::get("dashboard/index.html").is_none() => page(&path),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "No overlay named {name:?}. Overlays: {}.",
                OVERLAYS.join(", ")
            ),
        )
            .into_response(),
    }
}

/// The overlays `web/vite.config.ts` builds (listed in the 404 for a wrong name).
pub(crate) use landale_protocol::OVERLAYS;

/// Hashed file names: cache for a year.
pub(crate) async fn asset(Path(path): Path<String>) -> Response {
    file(
        &format!("assets/{path}"),
        "public, max-age=31536000, immutable",
    )
    .unwrap_or_else(|| StatusCode::NOT_FOUND.into_response())
}
