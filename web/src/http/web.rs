//! The built web client at `/`: static files from the dist directory, with client routes falling back to
//! `index.html`. Without a build, `/` explains how to make one.

use std::path::{Path, PathBuf};

use actix_web::http::header::{CONTENT_SECURITY_POLICY, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web as aw};

use crate::http::security::{NOT_BUILT_CSP, PagePolicy};

/// Where the built client is, if anywhere.
#[derive(Clone)]
pub struct WebDir(pub Option<PathBuf>);

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.default_service(aw::to(serve));
}

/// Picks the client directory: the configured one, else `dist/` in the working directory or beside the binary.
pub fn find_web_dir(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = configured {
        return dir.join("index.html").is_file().then(|| dir.to_path_buf());
    }
    let mut candidates = vec![PathBuf::from("dist")];
    if let Ok(exe) = std::env::current_exe()
        && let Some(bin_dir) = exe.parent()
    {
        candidates.push(bin_dir.join("dist"));
        candidates.push(bin_dir.join("../../dist"));
    }
    candidates.into_iter().find(|dir| dir.join("index.html").is_file())
}

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loket: web client not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#eee;padding:.1em .3em}</style>
</head><body><h1>Loket is running, but the web client is not built</h1>
<p>The API is available under <code>/api</code> and the WebSocket at <code>/ws</code>.</p>
<p>To build the agent web client, run <code>./scripts/run</code> from the repository (it installs what it needs),
or <code>trunk build --release</code> and start <code>loket</code> from the repository root, or point
<code>LOKET_WEB_DIR</code> at a directory containing the built <code>index.html</code>.</p>
</body></html>"#;

async fn serve(req: HttpRequest, web_dir: aw::Data<WebDir>, page_policy: aw::Data<PagePolicy>) -> HttpResponse {
    let Some(root) = &web_dir.0 else {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((CONTENT_SECURITY_POLICY, NOT_BUILT_CSP))
            .body(NOT_BUILT);
    };
    let path = req.path().trim_start_matches('/');
    // Only plain relative paths: no `..`, no absolute components.
    let safe = Path::new(path)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    let file = if safe && !path.is_empty() {
        root.join(path)
    } else {
        root.join("index.html")
    };
    let file = if file.is_file() { file } else { root.join("index.html") };
    match actix_files::NamedFile::open_async(&file).await {
        Ok(named) => {
            let mut response = named.use_etag(true).use_last_modified(true).into_response(&req);
            if file.ends_with("index.html") {
                response.headers_mut().insert(
                    actix_web::http::header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache"),
                );
                // Read again for its inline scripts' hashes: the page is small, and a rebuilt client
                // (new loader script) is picked up without a restart.
                let Ok(html) = tokio::fs::read_to_string(&file).await else {
                    return HttpResponse::NotFound().finish();
                };
                match HeaderValue::from_str(&page_policy.for_page(&html)) {
                    Ok(csp) => {
                        response.headers_mut().insert(CONTENT_SECURITY_POLICY, csp);
                    }
                    Err(err) => tracing::error!(error = %err, "cannot build the page's Content-Security-Policy"),
                }
            }
            response
        }
        Err(_) => HttpResponse::NotFound().finish(),
    }
}
