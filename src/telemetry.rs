//! What an operator sees of a running server: the log, as text or as one
//! JSON object per line (`TESSERA_LOG_FORMAT`), and each request's id.
//!
//! Every request gets an id: the caller's `X-Request-Id` when it sent a
//! sane one (1-200 visible ASCII characters), else one made here. It is
//! sent back in the response's `X-Request-Id`, and every line logged while
//! the request is handled carries it (a tracing span around the request),
//! so a support ticket quoting the header leads to the log lines.
//!
//! The access line never holds the query string as sent: it may carry
//! `api_token` (SPEC §3), which is written as `[redacted]`.

use std::fmt::Write as _;
use std::time::Instant;

use actix_web::Error;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use crate::metrics;
use crate::startup::RouteId;

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Where access lines are logged; `TESSERA_LOG=warn` (or
/// `tessera::access=off`) leaves them out.
pub const ACCESS_TARGET: &str = "tessera::access";

/// The longest request id taken from a caller.
const MAX_ID_LEN: usize = 200;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event (the default).
    Text,
    /// One JSON object per line, with the request's span (and so its id).
    Json,
}

/// Installs the process's log writer on stderr. `TESSERA_LOG` filters
/// (default `default_level`).
pub fn init_logging(default_level: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TESSERA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder.json().with_current_span(true).init(),
    }
}

/// The caller's id when it is one we can log and send back as it came.
fn sane_id(value: &HeaderValue) -> Option<&str> {
    let bytes = value.as_bytes();
    let sane = !bytes.is_empty()
        && bytes.len() <= MAX_ID_LEN
        && bytes.iter().all(|b| b.is_ascii_graphic());
    sane.then(|| value.to_str().ok()).flatten()
}

/// A new id: 16 hex characters, unique enough to find one request's lines
/// among many instances' logs.
fn new_id() -> HeaderValue {
    let mut hex = [0u8; 16];
    hex::encode_to_slice(rand::random::<u64>().to_be_bytes(), &mut hex)
        .expect("8 bytes are 16 hex digits");
    HeaderValue::from_bytes(&hex).expect("hex digits are visible ASCII")
}

/// Never logs the query string as sent: it may hold `api_token`.
pub fn redacted_request_line(req: &ServiceRequest) -> String {
    let mut line = format!("{} {}", req.method(), req.path());
    let query = req.query_string();
    if !query.is_empty() {
        for (i, pair) in query.split('&').enumerate() {
            line.push(if i == 0 { '?' } else { '&' });
            match pair.split_once('=') {
                Some(("api_token", _)) => line.push_str("api_token=[redacted]"),
                _ => line.push_str(pair),
            }
        }
    }
    line
}

/// The outermost middleware: gives the request its id and span, counts it
/// for `/metrics`, logs its access line when that is written at all, and
/// sends the id back.
pub async fn request_scope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = match req.headers().get(&REQUEST_ID) {
        Some(given) if sane_id(given).is_some() => given.clone(),
        _ => new_id(),
    };
    // At ERROR level so that the span exists whenever any line of the
    // request can be written, whatever `TESSERA_LOG` keeps.
    let text = id.to_str().expect("ids are visible ASCII");
    let span = tracing::error_span!("request", id = %text);
    let logged = tracing::enabled!(target: ACCESS_TARGET, tracing::Level::INFO);
    let line = logged.then(|| redacted_request_line(&req));
    let peer = req.peer_addr().map(|a| a.ip());
    // Handlers' errors arrive here as responses (`AppError`); only a
    // failure of actix itself comes as `Err`, answered by actix, untagged.
    let mut res = next.call(req).instrument(span.clone()).await?;
    let route = res.request().app_data::<RouteId>().map(|r| r.0);
    metrics::request(route, res.status().as_u16(), started.elapsed());
    if let Some(line) = line {
        let mut bytes = String::new();
        match res.response().body().size() {
            BodySize::Sized(n) => write!(bytes, "{n}").expect("writing to a String"),
            BodySize::None => bytes.push('0'),
            BodySize::Stream => bytes.push('-'),
        }
        let _entered = span.enter();
        tracing::info!(
            target: ACCESS_TARGET,
            peer = %peer.map_or_else(|| "-".to_owned(), |ip| ip.to_string()),
            request = %line,
            status = res.status().as_u16(),
            bytes = %bytes,
            ms = started.elapsed().as_micros() as f64 / 1000.0,
        );
    }
    res.headers_mut().insert(REQUEST_ID, id);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_ids_are_taken() {
        let ok = |s: &str| sane_id(&HeaderValue::from_str(s).unwrap()).map(str::to_owned);
        assert_eq!(ok("abc-123_x.y").as_deref(), Some("abc-123_x.y"));
        assert_eq!(ok(&"a".repeat(200)).map(|s| s.len()), Some(200));
        assert_eq!(ok(&"a".repeat(201)), None);
        assert_eq!(ok("two words"), None);
        assert_eq!(ok(""), None);
        let high = HeaderValue::from_bytes("é".as_bytes()).unwrap();
        assert_eq!(sane_id(&high), None);
        assert_eq!(new_id().len(), 16);
        assert_ne!(new_id(), new_id());
    }
}
