//! A TCP proxy between ctodb and the test server that loses one COMMIT: it reads the
//! client's protocol messages and, at the first simple-query `COMMIT`, cuts the client
//! off, either right after forwarding it (the server commits, the client never hears)
//! or before (the server never sees it and rolls back when it notices the client gone).
//! Every other byte, and every later connection, passes through untouched.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

/// Where the one COMMIT is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// forwarded to the server, then the client is cut off: it committed
    AfterCommit,
    /// the client is cut off instead of forwarding it: it did not commit
    BeforeCommit,
}

pub struct Proxy {
    pub port: u16,
    armed: Arc<AtomicBool>,
    cut: Arc<AtomicUsize>,
}

impl Proxy {
    /// A proxy on a free local port to the server at `server_port` on 127.0.0.1.
    pub fn start(server_port: u16, fault: Fault) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free local port");
        let port = listener.local_addr().unwrap().port();
        let armed = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(AtomicUsize::new(0));
        let (armed_in, cut_in) = (armed.clone(), cut.clone());
        // the thread ends with the test process: a proxy per test, never many
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", server_port)) else { continue };
                let (armed, cut) = (armed_in.clone(), cut_in.clone());
                thread::spawn(move || relay(client, server, fault, &armed, &cut));
            }
        });
        Proxy { port, armed, cut }
    }

    /// How many COMMITs were lost (0 or 1).
    pub fn commits_lost(&self) -> usize {
        self.cut.load(Ordering::SeqCst)
    }

    /// Whether the fault is still waiting for its COMMIT.
    pub fn armed(&self) -> bool {
        self.armed.load(Ordering::SeqCst)
    }
}

/// Copies one connection both ways, reading the client's side message by message.
fn relay(mut client: TcpStream, mut server: TcpStream, fault: Fault, armed: &AtomicBool, cut: &AtomicUsize) {
    let (Ok(mut from_server), Ok(to_client)) = (server.try_clone(), client.try_clone()) else { return };
    // server → client: once the client is gone, the server's replies are read and dropped
    // so that it can finish (an unread reply would make our close a reset)
    let downstream = thread::spawn(move || {
        let mut to_client = Some(to_client);
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from_server.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(out) = to_client.as_mut() {
                if out.write_all(&buf[..n]).is_err() {
                    to_client = None;
                }
            }
        }
        if let Some(out) = to_client {
            let _ = out.shutdown(Shutdown::Both);
        }
    });
    let lost = upstream(&mut client, &mut server, fault, armed, cut).unwrap_or(false);
    // a COMMIT that never reached the server leaves its session waiting in the
    // transaction, as after a network partition: the server side stays open until the
    // server ends that session
    if !(lost && fault == Fault::BeforeCommit) {
        let _ = server.shutdown(Shutdown::Write);
    }
    let _ = downstream.join();
}

/// client → server: startup messages (untyped), then typed messages, watched for COMMIT.
/// True when this connection lost its COMMIT.
fn upstream(
    client: &mut TcpStream,
    server: &mut TcpStream,
    fault: Fault,
    armed: &AtomicBool,
    cut: &AtomicUsize,
) -> std::io::Result<bool> {
    // SSLRequest and GSSENCRequest come before the startup message; a CancelRequest alone
    loop {
        let mut head = [0u8; 8];
        client.read_exact(&mut head)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let code = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        let mut rest = vec![0u8; len.saturating_sub(8)];
        client.read_exact(&mut rest)?;
        server.write_all(&head)?;
        server.write_all(&rest)?;
        if code == 80877102 {
            return Ok(false);
        }
        if !matches!(code, 80877103 | 80877104) {
            break;
        }
    }
    loop {
        let mut head = [0u8; 5];
        client.read_exact(&mut head)?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len.saturating_sub(4)];
        client.read_exact(&mut body)?;
        let text = String::from_utf8_lossy(body.strip_suffix(&[0]).unwrap_or(&body)).trim().to_uppercase();
        let commit = head[0] == b'Q' && text == "COMMIT";
        if commit && armed.swap(false, Ordering::SeqCst) {
            if fault == Fault::AfterCommit {
                server.write_all(&head)?;
                server.write_all(&body)?;
            }
            cut.fetch_add(1, Ordering::SeqCst);
            let _ = client.shutdown(Shutdown::Both);
            return Ok(true);
        }
        server.write_all(&head)?;
        server.write_all(&body)?;
    }
}
