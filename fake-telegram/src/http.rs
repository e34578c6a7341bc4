//! Just enough HTTP/1.1 for teloxide's client: keep-alive connections, one request at a time, bodies by
//! `Content-Length` or chunked, answers with a `Content-Length`. And a client for the webhook: one POST
//! per connection, to a plain `http://` URL.

use std::time::Instant;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// One request as read off the socket.
pub struct Request {
    pub method: String,
    /// The request target, percent-decoded (teloxide sends a file path's `/` as `%2F`), e.g.
    /// `/bot<token>/sendMessage` or `/file/bot<token>/photos/1.jpg`.
    pub path: String,
    pub body: Vec<u8>,
    /// When the whole request had been read.
    pub at: Instant,
    /// The client asked to close the connection after the answer.
    pub close: bool,
}

/// An answer to send back.
pub struct Response {
    /// Status line text, e.g. `200 OK`.
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Serves one connection until the client closes it (or sends something that is not HTTP), answering
/// each request with `answer`. `malformed` is called once for a request that could not be read.
pub async fn serve<A, F>(stream: TcpStream, answer: A, malformed: impl Fn())
where
    A: Fn(Request) -> F,
    F: Future<Output = Response>,
{
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let request = match read_request(&mut reader).await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(_) => {
                malformed();
                return;
            }
        };
        let close = request.close;
        let response = answer(request).await;
        let head = format!(
            "HTTP/1.1 {}\r\ncontent-type: {}\r\ncontent-length: {}\r\n\r\n",
            response.status,
            response.content_type,
            response.body.len()
        );
        if write.write_all(head.as_bytes()).await.is_err() || write.write_all(&response.body).await.is_err() {
            return;
        }
        if close {
            return;
        }
    }
}

/// How long a webhook POST may take before it counts as failed.
const POST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// POSTs `body` (JSON) to `url` (`http://host:port/path`) on a fresh connection, with `secret` in
/// `X-Telegram-Bot-Api-Secret-Token` if given. Answers the response's status code.
pub async fn post(url: &str, secret: Option<&str>, body: &str) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("the fake posts only to http:// URLs, not {url}"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let exchange = async {
        let mut stream = TcpStream::connect(authority).await.map_err(|e| e.to_string())?;
        let secret_header = secret.map_or(String::new(), |s| format!("x-telegram-bot-api-secret-token: {s}\r\n"));
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\n{secret_header}content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.map_err(|e| e.to_string())?;
        stream.write_all(body.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).await.map_err(|e| e.to_string())?;
        let code = status
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("not an HTTP answer: {status:?}"))?;
        // Read the rest, so the server is not cut off mid-answer.
        let _ = reader.read_to_end(&mut Vec::new()).await;
        Ok(code)
    };
    tokio::time::timeout(POST_TIMEOUT, exchange)
        .await
        .map_err(|_| "the webhook did not answer in time".to_string())?
}

/// Reads one request; `None` at a clean end of the connection.
async fn read_request<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Option<Request>, String> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let method = words.next().ok_or("no request method")?.to_owned();
    let path = percent_decode(words.next().ok_or("no request target")?)?;
    let mut length = 0usize;
    let mut chunked = false;
    let mut close = false;
    loop {
        line.clear();
        if reader.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
            return Err("connection closed in the headers".into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().map_err(|_| "bad content-length")?;
            } else if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
                close = true;
            }
        }
    }
    let body = if chunked {
        read_chunked(reader).await?
    } else {
        if length > MAX_BODY {
            return Err("body too large".into());
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await.map_err(|e| e.to_string())?;
        body
    };
    Ok(Some(Request {
        method,
        path,
        body,
        at: Instant::now(),
        close,
    }))
}

async fn read_chunked<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).await.map_err(|e| e.to_string())?;
        let size_text = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        if body.len() + size > MAX_BODY {
            return Err("body too large".into());
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).await.map_err(|e| e.to_string())?;
        // The CRLF after the chunk (after the last, empty one: the end of the trailers).
        line.clear();
        reader.read_line(&mut line).await.map_err(|e| e.to_string())?;
        if size == 0 {
            return Ok(body);
        }
    }
}

/// `text` with every `%XX` replaced by the byte it stands for.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or("a cut-off percent escape")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "a bad percent escape")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a request target that is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_targets_are_percent_decoded() {
        assert_eq!(
            percent_decode("/file/bot1:x/photos%2Fa-1.jpg").as_deref(),
            Ok("/file/bot1:x/photos/a-1.jpg")
        );
        assert_eq!(percent_decode("/plain").as_deref(), Ok("/plain"));
        assert!(percent_decode("/cut%2").is_err());
        assert!(percent_decode("/bad%zz").is_err());
    }
}
