//! The bot actor: sets up the Bot API client, takes part in leading the bot across instances, handles
//! recorded updates, and stops cleanly.
//!
//! Every instance running the bot handles updates from the inbox (`inbox`). One instance at a time — the
//! holder of the [`BOT_LEASE`] — is the bot's *leader*: only it talks to Telegram about updates (polling
//! `getUpdates`, or registering the webhook with `setWebhook`) and only it delivers the notification
//! outbox, so Telegram's sending limits are counted in one place for the whole cluster. When the leader
//! dies, another instance takes the lease within `LEADER_LEASE + LEADER_RENEW` (20 s) and carries on.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix::prelude::*;
use loket_core::Desk;
use loket_core::cluster::{Cluster, Leadership, LeaseName, Term};
use teloxide::Bot;
use teloxide::payloads::{GetUpdatesSetters, SetMyCommandsSetters, SetWebhookSetters};
use teloxide::requests::Requester;
use teloxide::types::BotCommand;
use tokio::sync::watch;

use crate::handlers::Ctx;
use crate::ratelimit::RateLimiter;
use crate::texts::{self, Lang};
use crate::{delivery, inbox, store};

/// The lease whose holder leads the bot: polls Telegram (or registers the webhook) and delivers the outbox.
pub const BOT_LEASE: LeaseName = LeaseName("telegram");
/// How long `getUpdates` may hold the request open when nothing is waiting, in seconds.
const LONG_POLL_SECS: u32 = 10;
/// Pause after a failed Bot API or database call in the polling loop.
const RETRY_PAUSE: Duration = Duration::from_secs(2);
/// How long a stop waits for the update being handled and the send in flight to finish.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How Telegram hands the bot its updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateMode {
    /// The leader long-polls `getUpdates` (the default).
    Polling,
    /// Telegram POSTs each update to `url` (any instance, behind a balancer) with `secret` in the
    /// `X-Telegram-Bot-Api-Secret-Token` header; the leader registers it with `setWebhook`.
    Webhook {
        /// `TELEGRAM_WEBHOOK_URL`.
        url: reqwest::Url,
        /// `TELEGRAM_WEBHOOK_SECRET`.
        secret: String,
    },
}

/// What the bot needs from the configuration.
#[derive(Debug, Clone)]
pub struct BotSettings {
    /// `TELEGRAM_BOT_TOKEN`.
    pub token: String,
    /// `TELEGRAM_API_URL`, e.g. `https://api.telegram.org`.
    pub api_url: String,
    /// Polling, or a webhook.
    pub mode: UpdateMode,
}

/// Stop polling and delivering; resolves once the work in flight finished.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// The bot. Its work runs in one task spawned when the actor starts.
pub struct BotActor {
    settings: BotSettings,
    desk: Desk,
    cluster: Cluster,
    invite_link_base: Arc<OnceLock<String>>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl BotActor {
    /// A bot for `settings` on `cluster`'s instance; once Telegram says who the bot is,
    /// `invite_link_base` becomes `https://t.me/<username>?start=`.
    pub fn new(
        settings: BotSettings,
        desk: Desk,
        cluster: Cluster,
        invite_link_base: Arc<OnceLock<String>>,
    ) -> BotActor {
        BotActor {
            settings,
            desk,
            cluster,
            invite_link_base,
            stop: watch::channel(false).0,
            task: None,
        }
    }
}

impl Actor for BotActor {
    type Context = Context<Self>;

    fn started(&mut self, _: &mut Self::Context) {
        let work = run(
            self.settings.clone(),
            self.desk.clone(),
            self.cluster.clone(),
            self.invite_link_base.clone(),
            self.stop.subscribe(),
        );
        self.task = Some(actix::spawn(work));
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        let _ = self.stop.send(true);
    }
}

impl Handler<Shutdown> for BotActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Shutdown, _: &mut Self::Context) -> Self::Result {
        let _ = self.stop.send(true);
        let task = self.task.take();
        let finish = async move {
            if let Some(mut task) = task
                && tokio::time::timeout(STOP_GRACE, &mut task).await.is_err()
            {
                tracing::warn!("the bot did not stop in time; aborting it");
                task.abort();
            }
        };
        Box::pin(finish.into_actor(self).map(|_, _, ctx| ctx.stop()))
    }
}

/// The Bot API client for `token` at `api_url`.
pub fn client(token: &str, api_url: &str) -> Result<Bot, String> {
    let url = reqwest::Url::parse(api_url).map_err(|e| format!("TELEGRAM_API_URL: {e}"))?;
    Ok(Bot::new(token).set_api_url(url))
}

async fn run(
    settings: BotSettings,
    desk: Desk,
    cluster: Cluster,
    invite_link_base: Arc<OnceLock<String>>,
    mut stop: watch::Receiver<bool>,
) {
    let bot = match client(&settings.token, &settings.api_url) {
        Ok(bot) => bot,
        Err(err) => {
            tracing::error!(error = %err, "the Telegram bot cannot start");
            return;
        }
    };
    let me = loop {
        tokio::select! {
            me = bot.get_me() => match me {
                Ok(me) => break me,
                Err(err) => tracing::warn!(error = %err, "cannot reach the Telegram Bot API; retrying"),
            },
            _ = stop.changed() => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY_PAUSE) => {}
            _ = stop.changed() => return,
        }
    };
    let username = me.username().to_string();
    let _ = invite_link_base.set(format!("https://t.me/{username}?start="));
    tracing::info!(bot = %username, "Telegram bot started");
    let pool = desk.pool.clone();
    let ctx = Arc::new(Ctx {
        bot: bot.clone(),
        pool,
        desk,
        limiter: Mutex::new(RateLimiter::default()),
    });
    let leadership = cluster.leadership(BOT_LEASE);
    tokio::join!(
        inbox::run(ctx.clone(), cluster.id(), stop.clone()),
        lead(ctx, &cluster, &leadership, &settings.mode, stop)
    );
    leadership.release();
}

/// Whenever this instance holds the bot's lease: leads until it loses it or the bot stops.
async fn lead(
    ctx: Arc<Ctx>,
    cluster: &Cluster,
    leadership: &Leadership,
    mode: &UpdateMode,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let term = tokio::select! {
            term = leadership.acquired() => term,
            _ = stop.changed() => return,
        };
        tracing::info!(token = term.token, "this instance leads the Telegram bot");
        let leading = async {
            if !start_leading(&ctx, mode, leadership, term, &stop).await {
                return;
            }
            let claimant = loket_core::db::outbox::Claimant {
                instance: cluster.id(),
                lease: BOT_LEASE,
                term,
            };
            let deliver = delivery::run(
                ctx.bot.clone(),
                ctx.pool.clone(),
                ctx.desk.outbox().clone(),
                claimant,
                leadership,
                stop.clone(),
            );
            match mode {
                UpdateMode::Polling => {
                    // Polling can stop mid-request; delivery stops only between sends.
                    let poll = async {
                        tokio::select! {
                            _ = poll(&ctx, stop.clone()) => {}
                            _ = leadership.lost(term) => {}
                        }
                    };
                    tokio::join!(poll, deliver);
                }
                UpdateMode::Webhook { .. } => deliver.await,
            }
        };
        leading.await;
        if !*stop.borrow() {
            tracing::warn!(token = term.token, "this instance no longer leads the Telegram bot");
        }
    }
}

/// What a new leader does first: the command menu, and telling Telegram how updates reach the bot. False
/// if the term or the bot ended meanwhile.
async fn start_leading(
    ctx: &Ctx,
    mode: &UpdateMode,
    leadership: &Leadership,
    term: Term,
    stop: &watch::Receiver<bool>,
) -> bool {
    register_commands(&ctx.bot).await;
    loop {
        if *stop.borrow() || !leadership.holds(term) {
            return false;
        }
        let result = match mode {
            // Telegram refuses getUpdates while a webhook is set (the bot may have run in webhook mode).
            UpdateMode::Polling => ctx.bot.delete_webhook().await.map(|_| ()),
            UpdateMode::Webhook { url, secret } => ctx
                .bot
                .set_webhook(url.clone())
                .secret_token(secret.clone())
                .await
                .map(|_| ()),
        };
        match result {
            Ok(()) => {
                if let UpdateMode::Webhook { url, .. } = mode {
                    tracing::info!(url = %url, "Telegram delivers updates to the webhook");
                }
                return true;
            }
            Err(err) => tracing::warn!(error = %err, "cannot tell Telegram how to deliver updates; retrying"),
        }
        let mut stopping = stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(RETRY_PAUSE) => {}
            _ = leadership.lost(term) => return false,
            _ = stopping.changed() => return false,
        }
    }
}

/// Registers the command menu, in English by default and in Indonesian for Indonesian users.
async fn register_commands(bot: &Bot) {
    for lang in [Lang::En, Lang::Id] {
        let commands = texts::command_menu(lang).map(|(command, what)| BotCommand::new(command, what));
        let mut request = bot.set_my_commands(commands);
        if lang != Lang::En {
            request = request.language_code(lang.code());
        }
        if let Err(err) = request.await {
            tracing::warn!(error = %err, "cannot register the command menu");
        }
    }
}

/// Long-polls updates and records them in the inbox, with the next offset in the same transaction (so an
/// update is confirmed to Telegram only once it is durable), then wakes this instance's handler.
async fn poll(ctx: &Ctx, mut stop: watch::Receiver<bool>) {
    let mut offset = loop {
        match store::offset(&ctx.pool).await {
            Ok(offset) => break offset,
            Err(err) => tracing::warn!(error = %err, "cannot read the update offset; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY_PAUSE) => {}
            _ = stop.changed() => return,
        }
    };
    while !*stop.borrow() {
        let request = ctx
            .bot
            .get_updates()
            .offset(i32::try_from(offset).unwrap_or(i32::MAX))
            .timeout(LONG_POLL_SECS);
        let updates = tokio::select! {
            updates = request => updates,
            _ = stop.changed() => break,
        };
        let recorded = match updates {
            Ok(updates) if updates.is_empty() => continue,
            Ok(updates) => store::record_polled(&ctx.pool, &updates).await,
            Err(err) => {
                tracing::warn!(error = %err, "getUpdates failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(RETRY_PAUSE) => {}
                    _ = stop.changed() => break,
                }
                continue;
            }
        };
        match recorded {
            Ok(next) => {
                offset = next;
                ctx.desk.inbox().pending();
            }
            Err(err) => {
                // Not confirmed: Telegram sends them again with the next getUpdates.
                tracing::warn!(error = %err, "cannot record updates; asking again");
                tokio::select! {
                    _ = tokio::time::sleep(RETRY_PAUSE) => {}
                    _ = stop.changed() => break,
                }
            }
        }
    }
}

/// Ports Telegram delivers webhooks to.
pub const WEBHOOK_PORTS: [u16; 4] = [443, 80, 88, 8443];

/// Reads `TELEGRAM_WEBHOOK_URL`: an `https://` URL on one of the [`WEBHOOK_PORTS`] (Telegram delivers to
/// nothing else), or plain `http://` to this machine (for a Bot API of one's own, or tests). No fragment.
pub fn webhook_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("needs a host".into()),
    };
    match url.scheme() {
        "https" => {
            let port = url.port_or_known_default().unwrap_or(443);
            if !WEBHOOK_PORTS.contains(&port) {
                return Err(format!(
                    "Telegram delivers webhooks only to ports 443, 80, 88 and 8443, not {port}"
                ));
            }
        }
        "http" if loopback => {}
        "http" => return Err("must be https:// (Telegram delivers webhooks over HTTPS only)".into()),
        other => return Err(format!("must be https://, not {other}://")),
    }
    Ok(url)
}

/// Checks `TELEGRAM_WEBHOOK_SECRET` against Telegram's rule: 1 to 256 characters, each `A`–`Z`, `a`–`z`,
/// `0`–`9`, `_` or `-`.
pub fn check_webhook_secret(secret: &str) -> Result<(), String> {
    if secret.is_empty() || secret.len() > 256 {
        return Err("must be 1 to 256 characters long".into());
    }
    if !secret
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err("may only hold the letters A-Z and a-z, the digits 0-9, '_' and '-'".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_https_on_telegrams_ports_or_local() {
        assert!(webhook_url("https://desk.example.org/telegram/webhook").is_ok());
        assert!(webhook_url("https://desk.example.org:8443/telegram/webhook").is_ok());
        assert!(webhook_url("http://127.0.0.1:8081/telegram/webhook").is_ok());
        assert!(webhook_url("http://localhost:9/telegram/webhook").is_ok());
        assert!(
            webhook_url("http://desk.example.org/telegram/webhook")
                .unwrap_err()
                .contains("https")
        );
        assert!(
            webhook_url("https://desk.example.org:8080/x")
                .unwrap_err()
                .contains("8443")
        );
        assert!(webhook_url("ftp://desk.example.org/x").is_err());
        assert!(webhook_url("https://desk.example.org/x#y").is_err());
        assert!(webhook_url("desk.example.org/x").is_err());
    }

    #[test]
    fn webhook_secrets_follow_telegrams_rule() {
        assert!(check_webhook_secret("abc_DEF-123").is_ok());
        assert!(check_webhook_secret(&"a".repeat(256)).is_ok());
        assert!(check_webhook_secret(&"a".repeat(257)).is_err());
        assert!(check_webhook_secret("").is_err());
        assert!(check_webhook_secret("with space").is_err());
        assert!(check_webhook_secret("sécret").is_err());
        assert!(check_webhook_secret("a:b").is_err());
    }
}
