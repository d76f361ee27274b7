//! A small blocking HTTP/1.1 client for the server's tests and its load
//! generator (`tessera bench serve`): one request per connection, bodies of
//! fixed length or chunked, server-sent events read as they arrive.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response whose body has not been read yet.
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    body: Box<dyn BufRead + Send>,
}

/// Decodes a chunked body (`Transfer-Encoding: chunked`).
struct Chunked<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.inner.read_line(&mut line)?;
            if line.trim().is_empty() {
                // The CRLF closing the previous chunk.
                line.clear();
                self.inner.read_line(&mut line)?;
            }
            let size = line.trim().split(';').next().unwrap_or("");
            self.left = usize::from_str_radix(size, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.left);
        let n = self.inner.read(&mut buf[..n])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.left -= n;
        Ok(n)
    }
}

/// Send one request to `address` (`host:port`) and read the status and
/// headers. `timeout` bounds each read.
pub fn send(
    address: &str,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    timeout: Duration,
) -> io::Result<HttpResponse> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_nodelay(true)?;
    let body = body.unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, format!("status line {line:?}"))
        })?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let body: Box<dyn BufRead + Send> =
        match (header("transfer-encoding"), header("content-length")) {
            (Some(te), _) if te.eq_ignore_ascii_case("chunked") => {
                Box::new(BufReader::new(Chunked {
                    inner: reader,
                    left: 0,
                    done: false,
                }))
            }
            (_, Some(len)) => Box::new(reader.take(len.parse().unwrap_or(0))),
            _ => Box::new(reader),
        };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

impl HttpResponse {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The whole body as text.
    pub fn text(mut self) -> io::Result<String> {
        let mut text = String::new();
        self.body.read_to_string(&mut text)?;
        Ok(text)
    }

    /// The whole body as JSON.
    pub fn json(self) -> io::Result<serde_json::Value> {
        let text = self.text()?;
        serde_json::from_str(&text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e}: {text}")))
    }

    /// Read server-sent events, calling `on_data` with each `data:` payload
    /// as it arrives; return `false` from it to stop reading (the connection
    /// is then dropped).
    pub fn events(mut self, mut on_data: impl FnMut(&str) -> bool) -> io::Result<()> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.body.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if let Some(data) = line.trim_end_matches(['\r', '\n']).strip_prefix("data:") {
                if !on_data(data.trim_start()) {
                    return Ok(());
                }
            }
        }
    }
}

/// `POST path` with a JSON body.
pub fn post_json(
    address: &str,
    path: &str,
    body: &serde_json::Value,
    timeout: Duration,
) -> io::Result<HttpResponse> {
    send(
        address,
        "POST",
        path,
        Some(body.to_string().as_bytes()),
        timeout,
    )
}

/// `GET path`.
pub fn get(address: &str, path: &str, timeout: Duration) -> io::Result<HttpResponse> {
    send(address, "GET", path, None, timeout)
}
