//! Just enough HTTP/1.1 to call a local Lambda Invoke API (`sam local start-lambda`,
//! LocalStack): one POST per connection, plain HTTP, every step bounded by a deadline.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
pub enum Error {
    /// The deadline passed before the whole response arrived.
    Timeout,
    /// Connecting, sending or reading failed.
    Io(String),
}

/// POST `body` to `path_and_query` on `url`'s server, giving up at `deadline`.
pub fn post(
    url: &Url,
    path_and_query: &str,
    headers: &[(&str, String)],
    body: &[u8],
    deadline: Instant,
) -> Result<Response, Error> {
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(Error::Timeout)
    };
    let addrs = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| Error::Io(format!("{}: {e}", url.host)))?;
    let mut last_error = Error::Io(format!("{} resolves to no address", url.host));
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, remaining()?) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => {
                last_error = io_error(e, &format!("Connect to {}:{} failed", url.host, url.port))
            }
        }
    }
    let mut stream = stream.ok_or(last_error)?;

    let host = if url.host.contains(':') {
        format!("[{}]", url.host)
    } else {
        url.host.clone()
    };
    let mut request = format!(
        "POST {}{path_and_query} HTTP/1.1\r\nHost: {host}:{}\r\n",
        url.base_path, url.port
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream
        .set_write_timeout(Some(remaining()?))
        .map_err(|e| io_error(e, "send"))?;
    stream
        .write_all(request.as_bytes())
        .and_then(|_| stream.write_all(body))
        .map_err(|e| io_error(e, "send"))?;

    let mut reader = BufReader::new(Deadlined { stream, deadline });
    let status_line = read_line(&mut reader)?.unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Io(format!("not an HTTP response: `{}`", status_line.trim())))?;
    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(&mut reader)? else {
            return Err(Error::Io(
                "the connection closed inside the response headers".into(),
            ));
        };
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let chunked = response
        .header("Transfer-Encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    let length = response
        .header("Content-Length")
        .and_then(|l| l.parse::<usize>().ok());
    if chunked {
        response.body = read_chunked(&mut reader)?;
    } else if let Some(n) = length {
        response.body = vec![0; n];
        reader
            .read_exact(&mut response.body)
            .map_err(|e| io_error(e, "read"))?;
    } else {
        reader
            .read_to_end(&mut response.body)
            .map_err(|e| io_error(e, "read"))?;
    }
    Ok(response)
}

fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    loop {
        let size_line = read_line(reader)?.unwrap_or_default();
        let size_text = size_line.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| Error::Io(format!("bad chunk size `{size_text}`")))?;
        if size == 0 {
            // Trailers until the empty line; a missing one is harmless.
            while read_line(reader)?.is_some_and(|line| !line.trim().is_empty()) {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .map_err(|e| io_error(e, "read"))?;
        read_line(reader)?;
    }
}

/// One line (with its line ending), or None at the end of the stream.
fn read_line(reader: &mut impl BufRead) -> Result<Option<String>, Error> {
    let mut line = String::new();
    let n = reader
        .read_line(&mut line)
        .map_err(|e| io_error(e, "read"))?;
    Ok((n > 0).then_some(line))
}

fn io_error(e: io::Error, what: &str) -> Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout,
        _ => Error::Io(format!("{what}: {e}")),
    }
}

/// A stream whose every read waits at most until the deadline.
struct Deadlined {
    stream: TcpStream,
    deadline: Instant,
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self
            .deadline
            .checked_duration_since(Instant::now())
            .unwrap_or(Duration::ZERO);
        if remaining.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(remaining))?;
        self.stream.read(buf)
    }
}

/// Percent-encode everything but RFC 3986's unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
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
