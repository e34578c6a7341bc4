//! Signing in and out, changing your own password, and the extractors that require a signed-in agent (or
//! an admin).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web as aw};
use chrono::Utc;
use loket_protocol::ApiError;
use loket_protocol::api::{Agent, LoginRequest, LoginResponse, PasswordChange, PublicName, Role};

use crate::error::WebError;
use crate::http::State;
use loket_core::AppError;
use loket_core::auth::{self, SESSION_COOKIE, SESSION_TTL};
use loket_core::db;
use loket_core::domain::throttle::{AttemptKeys, TrustedProxies, Verdict};

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/auth/login", aw::post().to(login))
        .route("/auth/logout", aw::post().to(logout))
        .route("/auth/me", aw::get().to(me))
        .route("/auth/password", aw::post().to(change_password))
        .route("/auth/public-name", aw::get().to(public_name))
        .route("/auth/public-name", aw::put().to(set_public_name));
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

/// How often counts of sign-in windows that have passed are deleted.
pub const SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// Deletes passed sign-in windows every [`SWEEP_INTERVAL`] until the pool is closed (or the actix system
/// stops). Every instance may sweep; the statement is idempotent.
pub fn spawn_sweeper(pool: loket_core::db::Pool, window: std::time::Duration) {
    actix_web::rt::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if pool.is_closed() {
                break;
            }
            let swept = async {
                let client = pool.get().await?;
                db::throttle::sweep(&client, window).await
            };
            // A failure was logged where it became an AppError; the next sweep tries again.
            if let Ok(rows) = swept.await
                && rows > 0
            {
                tracing::debug!(rows, "swept passed sign-in windows");
            }
        }
    });
}

/// The address a request comes from: the peer, or what trusted proxies say in `X-Forwarded-For`.
pub fn client_address(req: &HttpRequest, trusted: &TrustedProxies) -> IpAddr {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok());
    trusted.client_address(peer, forwarded)
}

#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the token is also set as the HttpOnly `loket_session` cookie", body = LoginResponse),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 429, description = "Too many attempts; wait a few minutes", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Signs in. The attempt is counted against its account and its address before the password is checked
/// (see `loket_core::domain::throttle`); over either limit it is refused with 429 unchecked.
pub(crate) async fn login(
    state: State,
    req: HttpRequest,
    body: aw::Json<LoginRequest>,
) -> Result<HttpResponse, WebError> {
    let LoginRequest { email, password } = body.into_inner();
    let client_ip = client_address(&req, &state.trusted_proxies);
    let keys = AttemptKeys::new(&email, client_ip);
    let (counted, found) = {
        // Returned to the pool before hashing, so slow password checks never hold connections.
        let client = state.desk.pool.get().await?;
        let counted = db::throttle::count_attempt(&client, &keys, state.sign_in_limits.window).await?;
        if let Verdict::Refuse(scope) = state.sign_in_limits.verdict(counted.counts) {
            tracing::info!(scope = scope.as_str(), client = %client_ip, "sign-in refused: too many attempts");
            return Err(AppError::RateLimited("too many sign-in attempts; wait a few minutes".into()).into());
        }
        (counted, db::agents::credentials(&client, email.trim()).await?)
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
            tracing::info!(client = %client_ip, "failed sign-in attempt");
            return Err(AppError::Unauthorized.into());
        }
    };
    let client = state.desk.pool.get().await?;
    db::throttle::succeeded(&client, &keys, &counted).await?;
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

/// Signs out: the session ends, its WebSockets close and the cookie is cleared.
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "auth", security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn logout(state: State, req: HttpRequest, _agent: CurrentAgent) -> Result<HttpResponse, WebError> {
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

/// The signed-in agent.
#[utoipa::path(
    get, path = "/api/auth/me", tag = "auth", security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in agent", body = Agent),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn me(CurrentAgent(agent): CurrentAgent) -> aw::Json<Agent> {
    aw::Json(agent)
}

#[utoipa::path(
    post, path = "/api/auth/password", tag = "auth", security(("session_cookie" = []), ("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; the agent's other sign-ins ended"),
        (status = 403, description = "The current password is wrong", body = ApiError),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 429, description = "Too many attempts; wait a few minutes", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// The signed-in agent changes their own password, giving the current one. Their other sign-ins end; this
/// one stays. Wrong current passwords count as failed sign-ins from the address.
pub(crate) async fn change_password(
    state: State,
    req: HttpRequest,
    CurrentAgent(agent): CurrentAgent,
    body: aw::Json<PasswordChange>,
) -> Result<HttpResponse, WebError> {
    // Counted like a sign-in, against the agent's own account and the address, before any check.
    let keys = AttemptKeys::new(&agent.email, client_address(&req, &state.trusted_proxies));
    let counted = {
        let client = state.desk.pool.get().await?;
        let counted = db::throttle::count_attempt(&client, &keys, state.sign_in_limits.window).await?;
        if let Verdict::Refuse(_) = state.sign_in_limits.verdict(counted.counts) {
            return Err(AppError::RateLimited("too many wrong passwords; wait a few minutes".into()).into());
        }
        counted
    };
    // The extractor succeeded, so the request carries a token.
    let digest = request_token(&req).map(|t| auth::token_digest(&t)).unwrap_or_default();
    let permit = state.password_checks.acquire().await.map_err(AppError::internal)?;
    let result = state.desk.change_own_password(&agent, &digest, body.into_inner()).await;
    drop(permit);
    if result.is_ok() {
        let client = state.desk.pool.get().await?;
        db::throttle::succeeded(&client, &keys, &counted).await?;
    }
    result?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get, path = "/api/auth/public-name", tag = "auth", security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The name reporters see when this agent replies (`null`: the desk's name)", body = PublicName),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable", body = ApiError),
    )
)]
/// The signed-in agent's public name: what reporters see when they reply.
pub(crate) async fn public_name(state: State, CurrentAgent(agent): CurrentAgent) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.public_name(&agent).await?))
}

#[utoipa::path(
    put, path = "/api/auth/public-name", tag = "auth", security(("session_cookie" = []), ("bearer" = [])),
    request_body = PublicName,
    responses(
        (status = 200, description = "Set (or cleared with `null`); audited as `public_name_changed`", body = PublicName),
        (status = 400, description = "Empty, longer than 60 characters, several lines or an email address", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// The signed-in agent sets the name reporters see when they reply (on Telegram), or clears it with
/// `null`: reporters then see the desk's neutral name, never the account's name or email.
pub(crate) async fn set_public_name(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    body: aw::Json<PublicName>,
) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.set_public_name(&agent, body.into_inner()).await?))
}
