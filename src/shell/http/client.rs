//! An HTTP/1.1 client for Lambda Invoke endpoints (`sam local start-lambda`, LocalStack),
//! on hyper: plain HTTP, one request per connection, the whole call bounded by a
//! deadline, the response head and body capped (a hostile or broken endpoint cannot make
//! stepdbg allocate what it announces, nor hang it).

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::HeaderMap;
use hyper_util::rt::TokioIo;
use std::time::Duration;

/// An `http://host[:port][/base]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    /// The path prefix, without a trailing `/` (empty for the root).
    pub base_path: String,
}

impl Url {
    pub fn parse(text: &str) -> Result<Url, String> {
        if text.starts_with("https://") {
            return Err("https endpoints are not supported; local Lambda endpoints (sam local, LocalStack) speak plain http://".into());
        }
        let rest = text
            .strip_prefix("http://")
            .ok_or_else(|| format!("`{text}` is not an http:// URL"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let (h, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| format!("`{text}`: unclosed [ in the host"))?;
                (h, after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| format!("`{text}`: bad port `{p}`"))?,
            None => 80,
        };
        if host.is_empty() {
            return Err(format!("`{text}` names no host"));
        }
        Ok(Url {
            host: host.to_string(),
            port,
            base_path: path.trim_end_matches('/').to_string(),
        })
    }
}

/// A response, whole.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The deadline passed before the whole response arrived.
    #[error("no answer in time")]
    Timeout,
    /// The response body is over the cap (its size, when it said).
    #[error("the response is larger than {limit} bytes")]
    TooLarge {
        limit: usize,
        announced: Option<u64>,
    },
    /// Connecting, sending or reading failed.
    #[error("{0}")]
    Io(String),
}

/// Bytes of a response head (status line and headers).
const MAX_HEAD: usize = 64 * 1024;

/// POST `body` to `path_and_query` on `url`'s server; at most `timeout` for the whole
/// exchange, at most `max_body` bytes of response body.
pub async fn post(
    url: &Url,
    path_and_query: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    timeout: Duration,
    max_body: usize,
) -> Result<Response, Error> {
    tokio::time::timeout(
        timeout,
        exchange(url, path_and_query, headers, body, max_body),
    )
    .await
    .unwrap_or(Err(Error::Timeout))
}

async fn exchange(
    url: &Url,
    path_and_query: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    max_body: usize,
) -> Result<Response, Error> {
    let stream = tokio::net::TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| Error::Io(format!("Connect to {}:{} failed: {e}", url.host, url.port)))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(MAX_HEAD)
        .handshake::<_, Full<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| Error::Io(format!("send: {e}")))?;
    let driver = tokio::spawn(conn);
    let host = if url.host.contains(':') {
        format!("[{}]:{}", url.host, url.port)
    } else {
        format!("{}:{}", url.host, url.port)
    };
    let mut req = hyper::Request::post(format!("{}{path_and_query}", url.base_path))
        .header("Host", host)
        .header("Connection", "close");
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let req = req
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| Error::Io(format!("send: {e}")))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| Error::Io(format!("read: {e}")))?;
    let announced = resp
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > max_body as u64) {
        driver.abort();
        return Err(Error::TooLarge {
            limit: max_body,
            announced,
        });
    }
    let (parts, body) = resp.into_parts();
    let body = match Limited::new(body, max_body).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            driver.abort();
            return Err(Error::TooLarge {
                limit: max_body,
                announced,
            });
        }
        Err(e) => return Err(Error::Io(format!("read: {e}"))),
    };
    driver.abort();
    Ok(Response {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    })
}

/// Percent-encode everything but RFC 3986's unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            Url::parse("http://127.0.0.1:3001").unwrap(),
            Url {
                host: "127.0.0.1".into(),
                port: 3001,
                base_path: String::new()
            }
        );
        assert_eq!(
            Url::parse("http://localhost/prefix/").unwrap(),
            Url {
                host: "localhost".into(),
                port: 80,
                base_path: "/prefix".into()
            }
        );
        assert_eq!(Url::parse("http://[::1]:9").unwrap().host, "::1");
        assert!(Url::parse("https://x").is_err());
        assert!(Url::parse("ftp://x").is_err());
        assert!(Url::parse("http://:80").is_err());
        assert_eq!(
            percent_encode("arn:aws:lambda:fn $x"),
            "arn%3Aaws%3Alambda%3Afn%20%24x"
        );
    }
}
