//! Signing in and out, changing your own password, and the extractors that require a signed-in agent (or
//! an admin).

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web as aw};
use chrono::Utc;
use loket_protocol::api::{Agent, LoginRequest, LoginResponse, PasswordChange, Role};

use crate::error::WebError;
use crate::http::State;
use loket_core::AppError;
use loket_core::auth::{self, SESSION_COOKIE, SESSION_TTL};
use loket_core::db;

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/auth/login", aw::post().to(login))
        .route("/auth/logout", aw::post().to(logout))
        .route("/auth/me", aw::get().to(me))
        .route("/auth/password", aw::post().to(change_password));
}

/// The bearer token of a request: `Authorization: Bearer`, else the session cookie.
pub fn request_token(req: &HttpRequest) -> Option<String> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    header
        .or_else(|| req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()))
        .filter(|t| !t.is_empty())
}

/// A signed-in agent. Extracting it fails with 401 when the request has no valid session.
pub struct CurrentAgent(pub Agent);

impl FromRequest for CurrentAgent {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = request_token(req);
        let state = req.app_data::<State>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(AppError::Unauthorized.into());
            };
            let client = state.desk.pool.get().await?;
            db::agents::session_agent(&client, &auth::token_digest(&token))
                .await?
                .map(CurrentAgent)
                .ok_or(WebError(AppError::Unauthorized))
        })
    }
}

/// A signed-in admin; other agents get 403.
pub struct AdminAgent(pub Agent);

impl FromRequest for AdminAgent {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let agent = CurrentAgent::from_request(req, payload);
        Box::pin(async move {
            let CurrentAgent(agent) = agent.await?;
            if agent.role != Role::Admin {
                return Err(AppError::Forbidden("only admins may do that".into()).into());
            }
            Ok(AdminAgent(agent))
        })
    }
}

fn session_cookie(value: String, secure: bool, max_age: actix_web::cookie::time::Duration) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(max_age)
        .finish()
}

/// Failed sign-ins allowed per client address in [`LOGIN_WINDOW`] before it gets 429.
pub const LOGIN_FAILURES_ALLOWED: u32 = 10;
/// The window over which failed sign-ins are counted.
pub const LOGIN_WINDOW: std::time::Duration = std::time::Duration::from_secs(300);

async fn login(state: State, req: HttpRequest, body: aw::Json<LoginRequest>) -> Result<HttpResponse, WebError> {
    let LoginRequest { email, password } = body.into_inner();
    let client_key = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let throttled = !state
        .login_throttle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .allows(&client_key, Instant::now());
    if throttled {
        return Err(AppError::RateLimited("too many failed sign-ins; wait a few minutes".into()).into());
    }
    let found = {
        // Returned to the pool before hashing, so slow password checks never hold connections.
        let client = state.desk.pool.get().await?;
        db::agents::credentials(&client, email.trim()).await?
    };
    // Verify against a dummy hash for unknown emails, so the answer time does not reveal which part was wrong.
    let hash = found
        .as_ref()
        .map(|(_, hash)| hash.clone())
        .unwrap_or_else(|| auth::dummy_hash().to_owned());
    // At most one password check per CPU at a time: a flood of sign-ins queues here instead of starving
    // the blocking pool. The semaphore is never closed.
    let permit = state.password_checks.acquire().await.map_err(AppError::internal)?;
    let verified = aw::block(move || auth::verify_password(&password, &hash))
        .await
        .map_err(AppError::internal)?;
    drop(permit);
    let agent = match found {
        Some((agent, _)) if verified => agent,
        _ => {
            tracing::info!("failed sign-in attempt");
            state
                .login_throttle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .failed(&client_key, Instant::now());
            return Err(AppError::Unauthorized.into());
        }
    };
    state
        .login_throttle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .succeeded(&client_key);
    let client = state.desk.pool.get().await?;
    let token = auth::random_secret(32);
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let expires_at = Utc::now() + SESSION_TTL;
    // Said only to someone who knows the password, so it reveals nothing to a guesser.
    db::agents::create_session(&client, agent.id, &auth::token_digest(&token), expires_at, user_agent)
        .await?
        .ok_or(AppError::AccountDisabled)?;
    tracing::info!(agent = %agent.id, "agent signed in");
    let max_age = actix_web::cookie::time::Duration::seconds(SESSION_TTL.num_seconds());
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(token.clone(), state.cookie_secure, max_age))
        .json(LoginResponse { token, agent }))
}

async fn logout(state: State, req: HttpRequest, _agent: CurrentAgent) -> Result<HttpResponse, WebError> {
    if let Some(token) = request_token(&req) {
        let client = state.desk.pool.get().await?;
        let digest = auth::token_digest(&token);
        db::agents::delete_session(&client, &digest).await?;
        // Open WebSockets signed in with this token end too.
        state
            .desk
            .bus
            .do_send(loket_core::actors::bus::RevokeToken { token_digest: digest });
    }
    Ok(HttpResponse::NoContent()
        .cookie(session_cookie(
            String::new(),
            state.cookie_secure,
            actix_web::cookie::time::Duration::ZERO,
        ))
        .finish())
}

async fn me(CurrentAgent(agent): CurrentAgent) -> aw::Json<Agent> {
    aw::Json(agent)
}

/// The signed-in agent changes their own password, giving the current one. Their other sign-ins end; this
/// one stays. Wrong current passwords count as failed sign-ins from the address.
async fn change_password(
    state: State,
    req: HttpRequest,
    CurrentAgent(agent): CurrentAgent,
    body: aw::Json<PasswordChange>,
) -> Result<HttpResponse, WebError> {
    let client_key = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let throttled = !state
        .login_throttle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .allows(&client_key, Instant::now());
    if throttled {
        return Err(AppError::RateLimited("too many wrong passwords; wait a few minutes".into()).into());
    }
    // The extractor succeeded, so the request carries a token.
    let digest = request_token(&req).map(|t| auth::token_digest(&t)).unwrap_or_default();
    let permit = state.password_checks.acquire().await.map_err(AppError::internal)?;
    let result = state.desk.change_own_password(&agent, &digest, body.into_inner()).await;
    drop(permit);
    if let Err(AppError::Forbidden(_)) = &result {
        state
            .login_throttle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .failed(&client_key, Instant::now());
    }
    result?;
    Ok(HttpResponse::NoContent().finish())
}
