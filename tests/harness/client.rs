//! Clients as agents use Loket: JSON over HTTP with a bearer token, and the WebSocket protocol.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use loket_protocol::api::{Agent, LoginResponse};
use loket_protocol::ws::ServerMessage;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::PATIENCE;

/// A signed-in agent.
#[derive(Clone)]
pub struct AgentClient {
    pub base: String,
    pub token: String,
    pub agent: Agent,
    http: reqwest::Client,
}

/// An HTTP answer: status and JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl AgentClient {
    /// Signs in with email and password.
    pub async fn login(base: &str, email: &str, password: &str) -> Result<AgentClient, Reply> {
        Self::login_with(reqwest::Client::new(), base, email, password).await
    }

    /// Signs in through `http` (say, one that sends its own User-Agent).
    pub async fn login_with(
        http: reqwest::Client,
        base: &str,
        email: &str,
        password: &str,
    ) -> Result<AgentClient, Reply> {
        let reply = send(
            &http,
            Method::POST,
            &format!("{base}/api/auth/login"),
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
        if reply.status != StatusCode::OK {
            return Err(reply);
        }
        let login: LoginResponse = serde_json::from_value(reply.body).expect("login response");
        Ok(AgentClient {
            base: base.to_string(),
            token: login.token,
            agent: login.agent,
            http,
        })
    }

    /// The same sign-in, used against another server (say, another instance on the same database).
    pub fn on(&self, base: &str) -> AgentClient {
        AgentClient {
            base: base.to_string(),
            ..self.clone()
        }
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        send(
            &self.http,
            method,
            &format!("{}{path}", self.base),
            Some(&self.token),
            body,
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(body)).await
    }

    /// A POST with one extra request header.
    pub async fn post_with(&self, path: &str, body: Value, (name, value): (&str, &str)) -> Reply {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header(name, value)
            .json(&body)
            .send()
            .await
            .expect("HTTP request");
        json_reply(response).await
    }

    /// Uploads `bytes` as a file named `name` of type `content_type` to ticket `ticket` from the reply
    /// composer (`POST /api/tickets/{id}/attachments`).
    pub async fn upload(&self, ticket: i64, name: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
        let response = self
            .http
            .post(format!("{}/api/tickets/{ticket}/attachments", self.base))
            .query(&[("name", name)])
            .bearer_auth(&self.token)
            .header("Content-Type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("HTTP request");
        json_reply(response).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str, body: Option<Value>) -> Reply {
        self.request(Method::DELETE, path, body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(body)).await
    }

    fn ws_request(&self) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        let url = format!("{}/ws", self.base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().expect("ws request");
        request.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", self.token).parse().expect("header"),
        );
        request
    }

    /// Opens a WebSocket and waits for its `Welcome`.
    pub async fn ws(&self) -> WsClient {
        self.ws_with_request_id().await.0
    }

    /// Opens a WebSocket and waits for its `Welcome`; also returns the upgrade's `X-Request-Id`.
    pub async fn ws_with_request_id(&self) -> (WsClient, String) {
        let (stream, response) = tokio_tungstenite::connect_async(self.ws_request())
            .await
            .expect("WebSocket connects");
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (self.welcomed(stream).await, request_id)
    }

    /// Opens a WebSocket whose socket buffers at most about `receive_buffer` bytes the client has not read
    /// (for tests of a client that stops reading), and waits for its `Welcome`.
    pub async fn ws_with_receive_buffer(&self, receive_buffer: u32) -> WsClient {
        let addr: std::net::SocketAddr = self
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("the base URL is http://IP:PORT");
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket.set_recv_buffer_size(receive_buffer).expect("SO_RCVBUF");
        let tcp = socket.connect(addr).await.expect("connect");
        let (stream, _) = tokio_tungstenite::client_async(self.ws_request(), MaybeTlsStream::Plain(tcp))
            .await
            .expect("WebSocket handshake");
        self.welcomed(stream).await
    }

    async fn welcomed(&self, stream: WebSocketStream<MaybeTlsStream<TcpStream>>) -> WsClient {
        let mut client = WsClient::from_stream(stream);
        match client.recv().await {
            ServerMessage::Welcome {
                agent,
                position,
                access,
                ..
            } => {
                assert_eq!(agent.id, self.agent.id);
                client.welcome_position = position;
                client.welcome_access = access;
            }
            other => panic!("expected Welcome, got {other:?}"),
        }
        client
    }
}

/// The status and the JSON body of `response` (`null` when it is not JSON).
async fn json_reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let bytes = response.bytes().await.expect("HTTP body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, body }
}

pub async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("HTTP request");
    let status = response.status();
    let bytes = response.bytes().await.expect("HTTP body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Reply { status, body }
}

/// One WebSocket connection, speaking Loket's protocol.
pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The `position` of this connection's `Welcome` (0 until it arrived).
    pub welcome_position: u64,
    /// The `access` of this connection's `Welcome`: which queues' tickets it shows.
    pub welcome_access: loket_protocol::queue::Access,
    next_id: u64,
    /// Messages that arrived while waiting for an answer, kept for the next read: the Ack and the
    /// broadcast of a change may come in either order, and neither may be lost.
    backlog: VecDeque<ServerMessage>,
}

/// What arrived instead of a message.
#[derive(Debug)]
pub enum WsEnd {
    Closed(Option<CloseFrame<'static>>),
    Error(String),
}

impl WsClient {
    /// Wraps a connection opened elsewhere (e.g. with handshake headers of a test's choosing).
    pub fn from_stream(stream: WebSocketStream<MaybeTlsStream<TcpStream>>) -> WsClient {
        WsClient {
            stream,
            welcome_position: 0,
            welcome_access: Default::default(),
            next_id: 0,
            backlog: VecDeque::new(),
        }
    }

    /// Sends `message` (a JSON object) with a fresh `request_id`, returned.
    pub async fn request(&mut self, mut message: Value) -> String {
        self.next_id += 1;
        let id = format!("r{}", self.next_id);
        message["request_id"] = json!(id);
        self.send_json(&message).await;
        id
    }

    pub async fn send_json(&mut self, message: &Value) {
        self.send_text(message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.stream.send(Message::Text(text)).await.expect("send a frame");
    }

    /// The next server message, skipping pings. Fails the test if none arrives within `PATIENCE`.
    pub async fn recv(&mut self) -> ServerMessage {
        match self.next_message(PATIENCE).await {
            Ok(Some(message)) => message,
            Ok(None) => panic!("no message within {PATIENCE:?}"),
            Err(end) => panic!("connection ended: {end:?}"),
        }
    }

    /// The next server message within `wait`, `Ok(None)` if none came, or how the connection ended.
    pub async fn next_message(&mut self, wait: Duration) -> Result<Option<ServerMessage>, WsEnd> {
        if let Some(message) = self.backlog.pop_front() {
            return Ok(Some(message));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return Ok(None),
                Ok(None) => return Err(WsEnd::Closed(None)),
                Ok(Some(Err(e))) => return Err(WsEnd::Error(e.to_string())),
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Message::Text(text) => {
                    return Ok(Some(
                        serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad server frame {text}: {e}")),
                    ));
                }
                Message::Close(frame) => return Err(WsEnd::Closed(frame)),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
                Message::Binary(_) => panic!("the server sent a binary frame"),
            }
        }
    }

    /// Skips messages until one matches `pick`; fails the test if none does within `PATIENCE`.
    pub async fn recv_until<T>(&mut self, what: &str, pick: impl FnMut(&ServerMessage) -> Option<T>) -> T {
        self.recv_until_within(PATIENCE, what, pick).await
    }

    /// [`recv_until`](Self::recv_until) with a deadline of `patience` instead of `PATIENCE`.
    pub async fn recv_until_within<T>(
        &mut self,
        patience: Duration,
        what: &str,
        mut pick: impl FnMut(&ServerMessage) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_message(left).await {
                Ok(Some(message)) => {
                    if let Some(found) = pick(&message) {
                        return found;
                    }
                }
                Ok(None) => panic!("waited {patience:?} for {what}"),
                Err(end) => panic!("connection ended while waiting for {what}: {end:?}"),
            }
        }
    }

    /// Waits for the Ack or Error answering `request_id` and returns it; everything else that arrives
    /// meanwhile stays queued, in order, for the next read.
    pub async fn answer(&mut self, request_id: &str) -> ServerMessage {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut passed = VecDeque::new();
        let found = loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_message(left).await {
                Ok(Some(message)) => match &message {
                    ServerMessage::Ack { request_id: rid, .. } if rid == request_id => break message,
                    ServerMessage::Error {
                        request_id: Some(rid), ..
                    } if rid == request_id => break message,
                    _ => passed.push_back(message),
                },
                Ok(None) => panic!("waited {PATIENCE:?} for the answer to {request_id}"),
                Err(end) => panic!("connection ended while waiting for the answer to {request_id}: {end:?}"),
            }
        };
        passed.append(&mut self.backlog);
        self.backlog = passed;
        found
    }

    /// Sends `message` and returns everything that arrived before its Ack or Error, in order, and that
    /// answer.
    pub async fn call_collecting(&mut self, message: Value) -> (Vec<ServerMessage>, ServerMessage) {
        let id = self.request(message).await;
        let mut before = Vec::new();
        let answer = loop {
            let message = self.recv().await;
            match &message {
                ServerMessage::Ack { request_id: rid, .. } if *rid == id => break message,
                ServerMessage::Error {
                    request_id: Some(rid), ..
                } if *rid == id => break message,
                _ => before.push(message),
            }
        };
        (before, answer)
    }

    /// Sends `message` and returns its Ack, failing the test on an Error.
    pub async fn call(&mut self, message: Value) -> ServerMessage {
        let id = self.request(message.clone()).await;
        match self.answer(&id).await {
            ack @ ServerMessage::Ack { .. } => ack,
            other => panic!("{message} failed: {other:?}"),
        }
    }

    /// Sends `message` and returns the Error frame it was refused with, failing the test on success.
    pub async fn refused(&mut self, message: Value) -> (loket_protocol::ErrorCode, ServerMessage) {
        let id = self.request(message.clone()).await;
        match self.answer(&id).await {
            error @ ServerMessage::Error { .. } => {
                let ServerMessage::Error { code, .. } = error else {
                    unreachable!("matched above")
                };
                (code, error)
            }
            other => panic!("{message} should have been refused, got {other:?}"),
        }
    }

    /// Closes the connection cleanly.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
        // Drain until the server's close arrives, so the close is complete on both sides.
        let _ = tokio::time::timeout(PATIENCE, async { while let Some(Ok(_)) = self.stream.next().await {} }).await;
    }

    /// Waits for the server to close the connection (skipping any messages before it) and returns its
    /// close frame; fails the test if it stays open for `PATIENCE` or ends without one.
    pub async fn closed(&mut self) -> CloseFrame<'static> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_message(left).await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("the server did not close the connection within {PATIENCE:?}"),
                Err(WsEnd::Closed(Some(frame))) => return frame,
                Err(end) => panic!("the connection ended without a close frame: {end:?}"),
            }
        }
    }

    /// Drops the TCP connection without a close handshake (a silent drop, like a lost network).
    pub fn abandon(self) {
        drop(self.stream);
    }
}

/// A tungstenite error, for tests that expect the connection to end.
pub type WsError = tungstenite::Error;
