//! A small HTTP/1.1 server for local endpoints (the SendTask* callback endpoint today),
//! on hyper, with every limit a local endpoint needs:
//!
//! - it listens on loopback only, unless the caller passes `allow_remote` (a flag the
//!   user typed), and then with a warning;
//! - requests carrying an `Origin` header (a web page's `fetch`, even a "simple" one with
//!   no preflight) are refused, and so is a `Host` that is not a loopback name (DNS
//!   rebinding), so no web page the user visits can drive it;
//! - framing is hyper's (Content-Length and chunked, keep-alive, HTTP/1.0 closing by
//!   default); bodies over the limit get 413 and the connection closes; headers are
//!   capped, and so are the time to send them and the body, the time a response may wait
//!   for the client to read it, and the number of connections;
//! - running out of file descriptors backs off instead of spinning on `accept`;
//! - [`Server::shutdown`] stops accepting and lets every accepted request get its response
//!   before the process exits: its own within the grace, `503 ServiceUnavailable` after it.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue, ORIGIN};
use hyper::{HeaderMap, Method, StatusCode, Uri, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// What one server accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of a request body.
    pub max_body: usize,
    /// Bytes of a request's head (request line and headers).
    pub max_head: usize,
    /// Connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Time to receive a request's head, and then its body; and the time a response may
    /// wait for the client to read on (see [`WriteDeadline`]).
    pub read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1024 * 1024,
            max_head: 16 * 1024,
            max_connections: 64,
            read_timeout: Duration::from_secs(10),
        }
    }
}

/// A request whose body has been read whole (within the limits).
#[derive(Debug)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Request {
    /// A header's value as text (None when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response: status, content type and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
    /// Close the connection after this response.
    pub close: bool,
}

impl Response {
    pub fn new(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
            close: false,
        }
    }

    /// A JSON error body in the AWS JSON 1.0 shape (`__type`, `message`).
    pub fn aws_error(status: StatusCode, code: &str, message: &str) -> Self {
        let body = crate::json!({"__type": code, "message": message}).to_string();
        let mut r = Response::new(status, "application/x-amz-json-1.0", body);
        r.headers.push(("x-amzn-ErrorType", code.to_string()));
        r
    }

    fn into_hyper(self) -> hyper::Response<Full<Bytes>> {
        let mut r = hyper::Response::new(Full::new(self.body));
        *r.status_mut() = self.status;
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        for (k, v) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        }
        if self.close {
            h.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        r
    }
}

pub type BoxFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// What answers the requests that pass the checks.
pub type Handler = Arc<dyn Fn(Request) -> BoxFuture + Send + Sync>;

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    /// Set when the shutdown grace is over: requests still being handled are answered
    /// `503` instead.
    give_up: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// How long the `503`s of requests cut short by a shutdown get to go out.
const GIVE_UP_FLUSH: Duration = Duration::from_millis(300);

impl Server {
    /// Stop accepting, and give every accepted request up to `grace` to get its
    /// response out (idle keep-alive connections close at once); the ones still being
    /// handled then are answered `503 ServiceUnavailable`.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            let _ = self.give_up.send(true);
            let _ = tokio::time::timeout(GIVE_UP_FLUSH, task).await;
        }
    }
}

/// Where a server may listen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    #[error("`{0}` is not an address to listen on (expected HOST:PORT, e.g. 127.0.0.1:8083)")]
    BadAddress(String),
    #[error(
        "`{0}` is not a loopback address: anything on the network could complete your tasks. \
         Listen on 127.0.0.1, or pass --listen-any if you really mean it"
    )]
    NotLoopback(String),
    #[error("cannot listen on {0}: {1}")]
    Io(String, String),
}

/// Resolve `addr` and refuse non-loopback addresses unless `allow_remote`.
pub fn check_address(addr: &str, allow_remote: bool) -> Result<SocketAddr, BindError> {
    use std::net::ToSocketAddrs;
    let resolved: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|_| BindError::BadAddress(addr.to_string()))?
        .collect();
    let first = *resolved
        .first()
        .ok_or_else(|| BindError::BadAddress(addr.to_string()))?;
    if !allow_remote && !resolved.iter().all(|a| a.ip().is_loopback()) {
        return Err(BindError::NotLoopback(addr.to_string()));
    }
    Ok(first)
}

/// Bind `addr` (see [`check_address`]) and serve `handler` on the shared runtime.
pub fn serve(
    addr: &str,
    allow_remote: bool,
    limits: Limits,
    handler: Handler,
) -> Result<Server, BindError> {
    let at = check_address(addr, allow_remote)?;
    let rt = super::super::runtime::runtime();
    let listener = rt
        .block_on(async { listen(at) })
        .map_err(|e| BindError::Io(addr.to_string(), e.to_string()))?;
    let local = listener
        .local_addr()
        .map_err(|e| BindError::Io(addr.to_string(), e.to_string()))?;
    let loopback_only = local.ip().is_loopback();
    let (stop, stopped) = watch::channel(false);
    let (give_up, given_up) = watch::channel(false);
    let task = rt.spawn(accept_loop(
        listener,
        limits,
        handler,
        loopback_only,
        stopped,
        given_up,
    ));
    Ok(Server {
        addr: local,
        stop,
        give_up,
        task,
    })
}

/// Bind with a backlog deep enough that a burst of connections waits in the kernel while
/// the connection slots are busy (the standard library's 128 would make clients retry).
fn listen(at: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if at.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(at)?;
    socket.listen(1024)
}

async fn accept_loop(
    listener: TcpListener,
    limits: Limits,
    handler: Handler,
    loopback_only: bool,
    mut stopped: watch::Receiver<bool>,
    given_up: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut backoff = Duration::from_millis(10);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stopped.changed() => break,
        };
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => { backoff = Duration::from_millis(10); s }
                Err(_) => {
                    // Out of file descriptors (or a connection reset before accept):
                    // wait instead of spinning, longer each time.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        // Small responses go out at once, not after the peer's delayed ACK.
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let given_up = given_up.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let handler = handler.clone();
            let mut given_up = given_up.clone();
            async move {
                let reply = tokio::select! {
                    reply = checked(req, limits, loopback_only, &handler) => reply,
                    () = async {
                        // A dropped sender (the server gone) is no reason to give up.
                        if given_up.wait_for(|g| *g).await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    } => {
                        let mut r = Response::aws_error(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "ServiceUnavailable",
                            "stepdbg is shutting down",
                        );
                        r.close = true;
                        r
                    }
                };
                Ok::<_, std::convert::Infallible>(reply.into_hyper())
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.read_timeout)
            .max_buf_size(limits.max_head.max(8192))
            .max_headers(100)
            .keep_alive(true)
            // One buffer, one write per response.
            .writev(false)
            .serve_connection(
                TokioIo::new(WriteDeadline::new(stream, limits.read_timeout)),
                service,
            );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// A connection whose writes fail once one has waited `limit` for the client: a client
/// that stops reading (its requests pipelined, the socket buffers full) would otherwise hold
/// its connection, one of the few, for ever, and enough of them would stop the server.
struct WriteDeadline {
    stream: tokio::net::TcpStream,
    limit: Duration,
    /// Running while a write waits.
    waiting: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl WriteDeadline {
    fn new(stream: tokio::net::TcpStream, limit: Duration) -> Self {
        WriteDeadline {
            stream,
            limit,
            waiting: None,
        }
    }

    /// `attempt`'s outcome, or a timeout once writes have waited `limit`.
    fn bounded<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        attempt: impl FnOnce(
            Pin<&mut tokio::net::TcpStream>,
            &mut std::task::Context<'_>,
        ) -> Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if let Poll::Ready(done) = attempt(Pin::new(&mut self.stream), cx) {
            self.waiting = None;
            return Poll::Ready(done);
        }
        let limit = self.limit;
        let timer = self
            .waiting
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client stopped reading its responses",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncRead for WriteDeadline {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for WriteDeadline {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut().bounded(cx, |s, cx| s.poll_write(cx, buf))
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.get_mut()
            .bounded(cx, tokio::io::AsyncWrite::poll_flush)
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.get_mut()
            .bounded(cx, tokio::io::AsyncWrite::poll_shutdown)
    }
}

/// The checks every request passes before its handler sees it.
async fn checked(
    req: hyper::Request<Incoming>,
    limits: Limits,
    loopback_only: bool,
    handler: &Handler,
) -> Response {
    let refuse = |status, code: &str, message: &str| {
        let mut r = Response::aws_error(status, code, message);
        r.close = true;
        r
    };
    if req.headers().contains_key(ORIGIN) {
        return refuse(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "requests from web pages (with an Origin header) are refused",
        );
    }
    if loopback_only
        && let Some(host) = req.headers().get(HOST)
        && !is_loopback_host(host.as_bytes())
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "the Host header must name this machine (localhost or a loopback address)",
        );
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<u64>());
    match declared {
        Some(Ok(n)) if n > limits.max_body as u64 => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                &format!("the request body is over {} bytes", limits.max_body),
            );
        }
        Some(Err(_)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                "bad Content-Length",
            );
        }
        _ => {}
    }
    let (parts, body) = req.into_parts();
    let body = tokio::time::timeout(
        limits.read_timeout,
        Limited::new(body, limits.max_body).collect(),
    )
    .await;
    let body = match body {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                &format!("the request body is over {} bytes", limits.max_body),
            );
        }
        Ok(Err(_)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                "the request body could not be read",
            );
        }
        Err(_) => {
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeoutException",
                "the request body did not arrive in time",
            );
        }
    };
    handler(Request {
        method: parts.method,
        uri: parts.uri,
        version: parts.version,
        headers: parts.headers,
        body,
    })
    .await
}

/// `localhost`, `*.localhost`, `127.x.x.x` or `[::1]`, with or without a port; also
/// `sync-localhost`, the name AWS SDKs call for TestState and StartSyncExecution (they put
/// `sync-` before the endpoint's host) when it is mapped to this machine.
fn is_loopback_host(host: &[u8]) -> bool {
    let Ok(host) = std::str::from_utf8(host) else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, _)) => ip,
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name == "sync-localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "localhost",
            "localhost:8083",
            "127.0.0.1:1",
            "127.1.2.3",
            "[::1]:80",
            "a.localhost",
            "sync-localhost:8083",
        ] {
            assert!(is_loopback_host(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "evil.com",
            "evil.com:8083",
            "10.0.0.1:80",
            "[::2]",
            "localhost.evil.com",
            "",
        ] {
            assert!(!is_loopback_host(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn only_loopback_addresses_unless_asked() {
        assert!(check_address("127.0.0.1:0", false).is_ok());
        assert!(check_address("[::1]:0", false).is_ok() || check_address("[::1]:0", true).is_ok());
        assert!(matches!(
            check_address("0.0.0.0:0", false),
            Err(BindError::NotLoopback(_))
        ));
        assert!(check_address("0.0.0.0:0", true).is_ok());
        assert!(matches!(
            check_address("nonsense", false),
            Err(BindError::BadAddress(_))
        ));
    }
}
