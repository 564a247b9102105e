//! The web console: a small single-page application under [`PREFIX`], every file of it
//! embedded in the binary ([`ASSETS`]), so the service serves it offline and `cargo build`
//! needs no JavaScript toolchain.
//!
//! The console is plain ES modules over the REST API: it signs in with a bearer token kept in
//! the browser's `sessionStorage` (never in a URL or a cookie, so there is no ambient
//! credential to forge requests with), sends it as `Authorization: Bearer`, and follows
//! `/api/v1/events` for live updates. Its files are public (they hold no data); everything
//! they show comes through the protected API. Every answer carries a Content-Security-Policy
//! that allows only this origin's scripts and styles, no inline script, and no framing.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Where the console is served.
pub const PREFIX: &str = "/ui/";

/// The policy every console answer carries.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Its name under [`PREFIX`] (`""` is the page itself).
    pub name: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $file:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../console/", $file)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the console.
pub const ASSETS: &[Asset] = &[
    asset!("", "index.html", "text/html; charset=utf-8"),
    asset!("console.css", "console.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "icon.svg", "image/svg+xml"),
    asset!("app.js", "app.js", JS),
    asset!("api.js", "api.js", JS),
    asset!("live.js", "live.js", JS),
    asset!("format.js", "format.js", JS),
    asset!("dom.js", "dom.js", JS),
    asset!("session.js", "session.js", JS),
    asset!("signin.js", "signin.js", JS),
    asset!("volumes.js", "volumes.js", JS),
    asset!("volume.js", "volume.js", JS),
    asset!("dialogs.js", "dialogs.js", JS),
    asset!("status_dialog.js", "status_dialog.js", JS),
    asset!("remove_dialog.js", "remove_dialog.js", JS),
    asset!("tasks.js", "tasks.js", JS),
];

/// The embedded file called `name`, if there is one.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// A strong validator for `asset`: a prefix of its SHA-256, computed once per file.
fn etag(index: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha256::digest(a.body);
                let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    });
    tags.get(index).map_or("\"\"", String::as_str)
}

/// Registers the console's routes: `/` and `/ui` redirect to [`PREFIX`], which serves
/// [`ASSETS`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::redirect("/ui", PREFIX))
        .route("/", web::get().to(to_console))
        .route("/ui/{name:.*}", web::get().to(serve));
}

async fn to_console() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, PREFIX))
        .finish()
}

fn with_policy(mut res: HttpResponse) -> HttpResponse {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// One embedded file, revalidated on every use (`no-cache` with an `ETag`): a new binary's
/// console is picked up at the next load, an unchanged one costs a 304.
async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(index) = ASSETS.iter().position(|a| a.name == name.as_str()) else {
        let res = HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such console file\n");
        return with_policy(res);
    };
    let a = &ASSETS[index];
    let tag = etag(index);
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut res = if cached {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    let res = if cached {
        res.finish()
    } else {
        res.content_type(a.content_type).body(a.body)
    };
    with_policy(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_distinct_name_and_a_body() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(!a.body.is_empty(), "{} is empty", a.name);
            assert!(
                ASSETS[..i].iter().all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
            assert!(etag(i).len() > 2);
        }
        assert!(asset("").is_some() && asset("app.js").is_some());
        assert!(asset("../Cargo.toml").is_none());
    }
}
