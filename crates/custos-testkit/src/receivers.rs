//! Real network receivers for what the server sends out: an SMTP listener that
//! speaks enough of RFC 5321 for a client to deliver mail, and an HTTP listener
//! that records webhook requests. Both listen on 127.0.0.1 with an ephemeral port.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A message an SMTP client delivered.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// Headers and body as sent, dot-unstuffed.
    pub data: String,
}

/// An SMTP listener on loopback that accepts every message.
pub struct SmtpSink {
    addr: SocketAddr,
    received: mpsc::UnboundedReceiver<ReceivedMail>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// Starts listening.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let addr = listener.local_addr().expect("SMTP sink address");
        let (tx, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _ = serve_smtp(stream, tx).await;
                });
            }
        });
        Self {
            addr,
            received,
            task,
        }
    }

    /// `smtp://127.0.0.1:PORT` (plain SMTP is allowed to loopback).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The next delivered message (waits up to 30 s).
    pub async fn next(&mut self) -> ReceivedMail {
        tokio::time::timeout(Duration::from_secs(30), self.received.recv())
            .await
            .expect("a message within 30 s")
            .expect("the SMTP sink is running")
    }

    /// A message delivered already, if any.
    pub fn try_next(&mut self) -> Option<ReceivedMail> {
        self.received.try_recv().ok()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_smtp(
    stream: tokio::net::TcpStream,
    tx: mpsc::UnboundedSender<ReceivedMail>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 custos-testkit ESMTP ready\r\n")
        .await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write
                .write_all(b"250-custos-testkit\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("HELO") {
            write.write_all(b"250 custos-testkit\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command["MAIL FROM:".len()..]);
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&command["RCPT TO:".len()..]));
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let _ = tx.send(ReceivedMail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
            });
            write.write_all(b"250 OK: queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 command not implemented\r\n").await?;
        }
    }
}

/// `<a@b> SIZE=…` → `a@b`.
fn address(rest: &str) -> String {
    let rest = rest.trim();
    match (rest.find('<'), rest.find('>')) {
        (Some(open), Some(close)) if open < close => rest[open + 1..close].to_owned(),
        _ => rest.split_whitespace().next().unwrap_or("").to_owned(),
    }
}

/// An HTTP request a webhook receiver got.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    /// `POST`, …
    pub method: String,
    /// The path and query.
    pub path: String,
    /// Headers, names lowercased.
    pub headers: HashMap<String, String>,
    /// The body.
    pub body: Vec<u8>,
}

/// A plain HTTP/1.1 listener on loopback that answers every request with `status`.
pub struct WebhookReceiver {
    addr: SocketAddr,
    received: mpsc::UnboundedReceiver<ReceivedRequest>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookReceiver {
    /// Starts listening; every request gets `status` back.
    pub async fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind webhook receiver");
        let addr = listener.local_addr().expect("receiver address");
        let (tx, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _ = serve_http(stream, tx, status).await;
                });
            }
        });
        Self {
            addr,
            received,
            task,
        }
    }

    /// `http://127.0.0.1:PORT/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The next request (waits up to 30 s).
    pub async fn next(&mut self) -> ReceivedRequest {
        tokio::time::timeout(Duration::from_secs(30), self.received.recv())
            .await
            .expect("a request within 30 s")
            .expect("the receiver is running")
    }

    /// A request received already, if any.
    pub fn try_next(&mut self) -> Option<ReceivedRequest> {
        self.received.try_recv().ok()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_http(
    stream: tokio::net::TcpStream,
    tx: mpsc::UnboundedSender<ReceivedRequest>,
    status: u16,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let _ = tx.send(ReceivedRequest {
            method,
            path,
            headers,
            body,
        });
        write
            .write_all(format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n").as_bytes())
            .await?;
    }
}
