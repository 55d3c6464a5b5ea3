//! The Debug Adapter Protocol's wire format: `Content-Length: N\r\n\r\n` then N bytes of
//! JSON. Frames are read with a bound (a header line, a body), so a client that sends
//! garbage or a gigantic length gets an error response, not a stalled or exhausted adapter.

use crate::json;
use crate::json::Value;
use std::io::{BufRead, Write};

/// The largest body read (a launch with a big input still fits).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The longest header line read.
const MAX_HEADER_LINE: usize = 1024;

/// What reading one frame gave.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Message(Value),
    /// Not a frame, or not JSON: what was wrong (the stream goes on after it).
    Bad(String),
    /// The client closed the stream.
    Closed,
}

/// Read the next frame.
pub fn read_frame(r: &mut impl BufRead) -> Frame {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        match std::io::Read::take(&mut *r, MAX_HEADER_LINE as u64 + 1).read_until(b'\n', &mut line)
        {
            Ok(0) => return Frame::Closed,
            Ok(_) => {}
            Err(e) => return Frame::Bad(format!("cannot read: {e}")),
        }
        if line.len() > MAX_HEADER_LINE {
            // Skip the rest of the line, then report it.
            let mut rest = Vec::new();
            let _ = r.read_until(b'\n', &mut rest);
            return Frame::Bad(format!("a header line longer than {MAX_HEADER_LINE} bytes"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                continue;
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => {
                        return Frame::Bad(format!("Content-Length is not a number: {value:?}"));
                    }
                }
            }
        } else {
            return Frame::Bad(format!(
                "expected a header (Content-Length: N), found {:?}",
                crate::tui::text::truncate(text, 80)
            ));
        }
    }
    let Some(length) = length else {
        return Frame::Bad("a frame without Content-Length".into());
    };
    if length > MAX_BODY_BYTES {
        // Read and drop it, so the next frame is found.
        let _ = std::io::copy(
            &mut std::io::Read::take(&mut *r, length as u64),
            &mut std::io::sink(),
        );
        return Frame::Bad(format!(
            "a message of {length} bytes: at most {MAX_BODY_BYTES} are read"
        ));
    }
    let mut body = vec![0; length];
    if let Err(e) = r.read_exact(&mut body) {
        return match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Frame::Closed,
            _ => Frame::Bad(format!("cannot read the body: {e}")),
        };
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) if v.is_object() => Frame::Message(v),
        Ok(_) => Frame::Bad("the message is not a JSON object".into()),
        Err(e) => Frame::Bad(format!("the message is not JSON: {e}")),
    }
}

/// Write one message as a frame.
pub fn write_frame(w: &mut impl Write, message: &Value) -> std::io::Result<()> {
    let body = serde_json::to_vec(message).unwrap_or_default();
    write!(w, "Content-Length: {}\r\n\r\n", body.len())?;
    w.write_all(&body)?;
    w.flush()
}

/// Numbers each message the adapter sends (`seq`).
#[derive(Debug, Default)]
pub struct Sequence(u64);

impl Sequence {
    pub fn take(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// A response to `request`.
pub fn response(request: &Value, body: Option<Value>) -> Value {
    let mut r = json!({
        "type": "response",
        "request_seq": request.get("seq").and_then(Value::as_u64).unwrap_or(0),
        "success": true,
        "command": request.get("command").and_then(Value::as_str).unwrap_or(""),
    });
    if let Some(b) = body {
        r["body"] = b;
    }
    r
}

/// A failed response to `request` (`request_seq` 0 when there was no readable request).
pub fn error_response(request: &Value, message: impl Into<String>) -> Value {
    let message = message.into();
    json!({
        "type": "response",
        "request_seq": request.get("seq").and_then(Value::as_u64).unwrap_or(0),
        "success": false,
        "command": request.get("command").and_then(Value::as_str).unwrap_or(""),
        "message": message,
        "body": {"error": {"id": 1, "format": message.replace('{', "{{").replace('}', "}}"), "showUser": true}},
    })
}

pub fn event(name: &str, body: Option<Value>) -> Value {
    let mut e = json!({"type": "event", "event": name});
    if let Some(b) = body {
        e["body"] = b;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Frame> {
        let mut r = std::io::BufReader::new(input);
        let mut out = Vec::new();
        loop {
            let f = read_frame(&mut r);
            if f == Frame::Closed {
                return out;
            }
            out.push(f);
        }
    }

    #[test]
    fn reads_frames_and_survives_bad_ones() {
        let ok = b"Content-Length: 13\r\n\r\n{\"seq\":1}    ";
        assert_eq!(
            frames(ok),
            vec![Frame::Message(json!({"seq": 1}))],
            "trailing spaces belong to the body"
        );
        let mixed =
            b"Content-Length: x\r\n\r\nContent-Length: 2\r\n\r\n{}Content-Length: 3\r\n\r\n[1]";
        let f = frames(mixed);
        assert!(
            matches!(&f[0], Frame::Bad(m) if m.contains("not a number")),
            "{f:?}"
        );
        assert!(f.contains(&Frame::Message(json!({}))), "{f:?}");
        assert!(
            f.iter()
                .any(|x| matches!(x, Frame::Bad(m) if m.contains("not a JSON object")))
        );
        let huge = format!("Content-Length: {}\r\n\r\n", MAX_BODY_BYTES + 1);
        assert!(matches!(&frames(huge.as_bytes())[0], Frame::Bad(m) if m.contains("at most")));
        assert!(
            matches!(&frames(b"hello\r\n\r\n")[0], Frame::Bad(m) if m.contains("expected a header"))
        );
    }

    #[test]
    fn writes_what_it_reads() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &json!({"a": "é"})).unwrap();
        assert_eq!(frames(&buf), vec![Frame::Message(json!({"a": "é"}))]);
    }
}
