//! `stepdbg dap`: the debugger in the editor, through the Debug Adapter Protocol.
//!
//! A second front end over the same session as the TUI: [`adapter::Adapter`] turns
//! requests into session calls and its stops into events; this module is its I/O shell.
//! Frames are read on a thread of their own (stdin blocks) and handed to one
//! `tokio::select!` loop that also waits on the definition's file watch, answers from
//! functions running in the background, SendTask* callbacks and signals, and runs an
//! execution in slices so a `pause` gets in. Stdout carries only DAP frames.

pub mod adapter;
pub mod protocol;

use crate::json::Value;
use adapter::Adapter;
use protocol::Frame;
use std::io::{BufReader, Write};
use tokio::sync::mpsc;

#[derive(clap::Args, Debug, Clone, Default)]
pub struct DapArgs {
    /// Serve one client over TCP on 127.0.0.1:PORT instead of stdin/stdout.
    #[arg(long)]
    pub port: Option<u16>,
}

pub fn main(args: DapArgs) -> i32 {
    use crate::cli::exit;
    let rt = crate::shell::runtime::runtime();
    let signals = crate::shell::signals::install(crate::shell::signals::Policy::Notify);
    let result = match args.port {
        None => {
            let (rx, _reader) = spawn_reader(std::io::stdin());
            let mut out = std::io::stdout();
            rt.block_on(serve(rx, &mut out, signals))
        }
        Some(port) => {
            let listener = match std::net::TcpListener::bind(("127.0.0.1", port)) {
                Ok(l) => l,
                Err(e) => {
                    errln!("error: cannot listen on 127.0.0.1:{port}: {e}");
                    return exit::USAGE;
                }
            };
            errln!(
                "stepdbg dap: listening on {}",
                listener
                    .local_addr()
                    .map_or(format!("127.0.0.1:{port}"), |a| a.to_string())
            );
            let (stream, peer) = match listener.accept() {
                Ok(x) => x,
                Err(e) => {
                    errln!("error: accept: {e}");
                    return exit::FAILED;
                }
            };
            if !peer.ip().is_loopback() {
                errln!("error: refused a connection from {peer}: loopback only");
                return exit::USAGE;
            }
            let Ok(read_half) = stream.try_clone() else {
                return exit::FAILED;
            };
            let (rx, _reader) = spawn_reader(read_half);
            let mut out = stream;
            rt.block_on(serve(rx, &mut out, signals))
        }
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            errln!("error: {e}");
            exit::FAILED
        }
    }
}

/// Read frames on a thread of its own (reads block) and send them to the loop.
fn spawn_reader(
    input: impl std::io::Read + Send + 'static,
) -> (mpsc::UnboundedReceiver<Frame>, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = std::thread::spawn(move || {
        let mut r = BufReader::new(input);
        loop {
            let f = protocol::read_frame(&mut r);
            let closed = f == Frame::Closed;
            if tx.send(f).is_err() || closed {
                return;
            }
        }
    });
    (rx, handle)
}

/// The adapter's loop: until the client disconnects, the stream closes or a signal comes.
async fn serve(
    mut rx: mpsc::UnboundedReceiver<Frame>,
    out: &mut impl Write,
    mut signals: crate::shell::signals::Signals,
) -> std::io::Result<()> {
    let mut adapter = Adapter::new();
    let mut seq = protocol::Sequence::default();
    let mut watch: Option<crate::session::watch::FileWatch> = None;
    let mut listen: Option<crate::session::callback::CallbackServer> = None;
    let end = loop {
        send(out, &mut seq, adapter.take_output())?;
        if adapter.quit {
            break Ok(());
        }
        // Launched: watch what it loaded, serve the callbacks it asked for.
        if watch.is_none() && adapter.session().is_some() {
            watch = crate::session::watch::FileWatch::start_many(&adapter.watched(), false).ok();
        }
        if let Some(s) = adapter.server.take() {
            listen = Some(s);
        }
        let wake = adapter.session().map(crate::session::Session::wakeup);
        let busy = adapter.busy();
        tokio::select! {
            biased;
            _ = signals.received() => break Ok(()),
            frame = rx.recv() => match frame {
                Some(Frame::Message(m)) => adapter.handle(&m),
                Some(Frame::Bad(why)) => adapter.bad_frame(&why),
                Some(Frame::Closed) | None => break Ok(()),
            },
            () = changed(&mut watch) => adapter.file_changed(),
            () = notified(wake.as_deref()) => adapter.woken(),
            Some(req) = crate::tui::callback_request(&mut listen) => {
                let r = adapter.callback(&req.token, &req.action);
                req.answer(r);
            }
            _ = std::future::ready(()), if busy => {
                adapter.tick();
                tokio::task::yield_now().await;
            }
        }
    };
    // Accepted callbacks get their answers before the adapter goes.
    if let Some(s) = listen {
        s.shutdown();
    }
    end
}

fn send(
    out: &mut impl Write,
    seq: &mut protocol::Sequence,
    messages: Vec<Value>,
) -> std::io::Result<()> {
    for mut m in messages {
        m["seq"] = Value::from(seq.take());
        protocol::write_frame(out, &m)?;
    }
    Ok(())
}

async fn changed(watch: &mut Option<crate::session::watch::FileWatch>) {
    match watch {
        Some(w) => w.next_change().await,
        None => std::future::pending().await,
    }
}

async fn notified(wake: Option<&tokio::sync::Notify>) {
    match wake {
        Some(n) => n.notified().await,
        None => std::future::pending().await,
    }
}
