//! The HTTP/1.1 server under `castor serve`: GET and HEAD on loopback,
//! each connection on a thread of its own, so a slow page never stalls
//! the others.
//!
//! Small on purpose, and strict where a browser page could abuse a
//! development server: request headers are bounded (a client cannot fill
//! memory), and only requests naming `localhost` or an IP address in
//! `Host` are answered, so a DNS-rebinding page on another domain cannot
//! read drafts from 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The request line and headers together, at most. Browsers send a few
/// kilobytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Connections served at once; more are answered 503 and closed.
const MAX_CONNECTIONS: usize = 64;
/// How long a kept-alive connection may stay silent.
const IDLE: Duration = Duration::from_secs(30);

/// A request as the site needs it.
pub struct Request {
    pub method: String,
    /// The path and query, as sent.
    pub target: String,
}

/// What to send back.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }
}

/// Answers every connection of `listener` with `handle`, until the
/// process ends.
pub fn serve(listener: TcpListener, handle: impl Fn(&Request) -> Response + Send + Sync + 'static) {
    let handle = Arc::new(handle);
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        // Small responses go out at once, not after the peer's delayed
        // acknowledgement (about 40 ms per kept-alive request otherwise).
        let _ = stream.set_nodelay(true);
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            let _ = write_response(
                &mut stream,
                &Response::text(503, "too many connections\n"),
                false,
                true,
            );
            continue;
        }
        let (handle, open) = (Arc::clone(&handle), Arc::clone(&open));
        std::thread::spawn(move || {
            let _ = connection(stream, &*handle);
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Serves the requests of one connection, kept alive while the client
/// asks for it.
fn connection(stream: TcpStream, handle: &dyn Fn(&Request) -> Response) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IDLE))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let head = match read_head(&mut reader) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(status) => {
                let message = match status {
                    431 => "request headers too large\n",
                    _ => "bad request\n",
                };
                return write_response(&mut writer, &Response::text(status, message), false, true);
            }
        };
        // A body is never needed: only GET and HEAD are served, and a
        // connection whose body is not read cannot carry another request.
        let close = head.close || head.has_body;
        let response = if !allowed_host(head.host.as_deref()) {
            Response::text(
                403,
                "castor serve answers only requests for localhost or an IP address\n",
            )
        } else {
            handle(&head.request)
        };
        write_response(&mut writer, &response, head.request.method == "HEAD", close)?;
        if close {
            return Ok(());
        }
    }
}

struct Head {
    request: Request,
    host: Option<String>,
    close: bool,
    has_body: bool,
}

/// Reads a request line and its headers; `None` when the client closed
/// the connection between requests; an error status when they are
/// malformed or too large.
fn read_head(reader: &mut impl BufRead) -> Result<Option<Head>, u16> {
    let mut budget = MAX_HEADER_BYTES;
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        let read = reader
            .by_ref()
            .take(budget as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|_| 400u16)?;
        if read == 0 {
            return if lines.is_empty() { Ok(None) } else { Err(400) };
        }
        if read > budget {
            return Err(431);
        }
        budget -= read;
        let line = String::from_utf8(line).map_err(|_| 400u16)?;
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            if lines.is_empty() {
                continue; // A stray CRLF between requests is allowed.
            }
            break;
        }
        lines.push(line);
    }
    let mut parts = lines[0].split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if !version.starts_with("HTTP/1.") {
        return Err(400);
    }
    let mut head = Head {
        request: Request {
            method: method.to_string(),
            target: target.to_string(),
        },
        host: None,
        close: version == "HTTP/1.0",
        has_body: false,
    };
    for line in &lines[1..] {
        let (name, value) = line.split_once(':').ok_or(400u16)?;
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "host" => head.host = Some(value.to_string()),
            "connection" if value.eq_ignore_ascii_case("close") => head.close = true,
            "connection" if value.eq_ignore_ascii_case("keep-alive") => head.close = false,
            "content-length" => head.has_body = value != "0",
            "transfer-encoding" => head.has_body = true,
            _ => {}
        }
    }
    Ok(Some(head))
}

/// `localhost` or an IP address, with or without a port: the names a
/// browser on this machine (or, with `--interface`, the network) uses.
/// Any other name came through DNS, which a hostile page controls.
fn allowed_host(host: Option<&str>) -> bool {
    let Some(host) = host else { return false };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok()
}

fn write_response(
    stream: &mut TcpStream,
    response: &Response,
    head_only: bool,
    close: bool,
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\n",
        response.status,
        reason(response.status),
        response.body.len()
    );
    // A value with a line break (a redirect to a decoded `%0A` path) would
    // start a header of the client's choosing: it is left out.
    for (name, value) in response
        .headers
        .iter()
        .filter(|(_, v)| !v.contains(['\r', '\n']))
    {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&response.body);
    }
    stream.write_all(&bytes)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_only_localhost_and_addresses() {
        for good in [
            "localhost",
            "localhost:1111",
            "127.0.0.1:1111",
            "[::1]:1111",
            "192.168.1.5",
        ] {
            assert!(allowed_host(Some(good)), "{good}");
        }
        for bad in [
            "evil.example",
            "evil.example:1111",
            "localhost.evil.example",
            "",
        ] {
            assert!(!allowed_host(Some(bad)), "{bad}");
        }
        assert!(!allowed_host(None));
    }

    #[test]
    fn bounds_the_headers() {
        let big = format!(
            "GET / HTTP/1.1\r\nHost: localhost\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEADER_BYTES)
        );
        assert_eq!(read_head(&mut big.as_bytes()).err(), Some(431));
        let fine = "GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n";
        let head = read_head(&mut fine.as_bytes()).unwrap().unwrap();
        assert_eq!(head.request.target, "/a");
        assert!(!head.close);
    }
}
