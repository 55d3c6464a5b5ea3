//! A Lambda Invoke API on 127.0.0.1 for the tests: answers given in turn, late or never.
#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

pub struct Received {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub enum Reply {
    Answer {
        status: &'static str,
        headers: Vec<(&'static str, String)>,
        body: String,
        /// How long the function "runs" before it answers.
        after: Duration,
    },
    /// Read the request and never answer.
    Silence,
}

/// A Lambda Invoke API on 127.0.0.1 giving `replies` in turn. Returns its URL and the
/// requests it received; dropping the returned sender ends it.
pub fn serve(replies: Vec<Reply>) -> (String, mpsc::Receiver<Received>, mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (requests_tx, requests) = mpsc::channel();
    let (stop, stopped) = mpsc::channel::<()>();
    thread::spawn(move || {
        let mut held = Vec::new();
        for reply in replies {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                match line.trim_end().split_once(':') {
                    Some((k, v)) => headers.push((k.trim().to_string(), v.trim().to_string())),
                    None => break,
                }
            }
            let length = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            requests_tx
                .send(Received {
                    request_line: request_line.trim_end().into(),
                    headers,
                    body: String::from_utf8(body).unwrap(),
                })
                .unwrap();
            match reply {
                Reply::Answer {
                    status,
                    headers,
                    body,
                    after,
                } => {
                    thread::sleep(after);
                    let mut stream: TcpStream = stream;
                    let mut text =
                        format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
                    for (k, v) in headers {
                        text.push_str(&format!("{k}: {v}\r\n"));
                    }
                    text.push_str("\r\n");
                    text.push_str(&body);
                    stream.write_all(text.as_bytes()).unwrap();
                }
                Reply::Silence => held.push(stream),
            }
        }
        // Keep silent connections open until the test is done.
        let _ = stopped.recv();
    });
    (url, requests, stop)
}

pub fn answer(status: &'static str, headers: Vec<(&'static str, String)>, body: &str) -> Reply {
    answer_after(Duration::ZERO, status, headers, body)
}

/// [`answer`] once the function has "run" for `after`.
pub fn answer_after(
    after: Duration,
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: &str,
) -> Reply {
    Reply::Answer {
        status,
        headers,
        body: body.into(),
        after,
    }
}
