//! The bot actor: sets up the Bot API client, polls updates, delivers the outbox, and stops cleanly.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix::prelude::*;
use futures_util::future::join_all;
use teloxide::Bot;
use teloxide::payloads::{GetUpdatesSetters, SetMyCommandsSetters};
use teloxide::requests::Requester;
use teloxide::types::{BotCommand, Update};
use tokio::sync::watch;

use crate::handlers::{self, Ctx};
use crate::ratelimit::RateLimiter;
use crate::texts::{self, Lang};
use crate::{delivery, store};
use loket_core::Desk;

/// How long `getUpdates` may hold the request open when nothing is waiting, in seconds.
const LONG_POLL_SECS: u32 = 10;
/// Pause after a failed Bot API or database call in the polling loop.
const RETRY_PAUSE: Duration = Duration::from_secs(2);
/// How long a stop waits for the update being handled and the send in flight to finish.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// What the bot needs from the configuration.
#[derive(Debug, Clone)]
pub struct BotSettings {
    /// `TELEGRAM_BOT_TOKEN`.
    pub token: String,
    /// `TELEGRAM_API_URL`, e.g. `https://api.telegram.org`.
    pub api_url: String,
    /// `LOKET_DATA_DIR`: attachments go under it.
    pub data_dir: PathBuf,
}

/// Stop polling and delivering; resolves once the work in flight finished.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// The bot. Its work runs in one task spawned when the actor starts.
pub struct BotActor {
    settings: BotSettings,
    desk: Desk,
    invite_link_base: Arc<OnceLock<String>>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl BotActor {
    /// A bot for `settings`; once Telegram says who the bot is, `invite_link_base` becomes
    /// `https://t.me/<username>?start=`.
    pub fn new(settings: BotSettings, desk: Desk, invite_link_base: Arc<OnceLock<String>>) -> BotActor {
        BotActor {
            settings,
            desk,
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
    register_commands(&bot).await;
    let pool = desk.pool.clone();
    let outbox = desk.outbox().clone();
    let ctx = Arc::new(Ctx {
        bot: bot.clone(),
        pool: pool.clone(),
        desk,
        data_dir: settings.data_dir,
        limiter: Mutex::new(RateLimiter::default()),
    });
    tokio::join!(poll(ctx, stop.clone()), delivery::run(bot, pool, outbox, stop));
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

/// Long-polls updates and handles them: one user's updates in order, different users' concurrently.
/// Handled updates are confirmed to Telegram by the next offset, which is stored first, so a restart
/// neither loses nor repeats an update.
async fn poll(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
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
        let updates = match updates {
            Ok(updates) => updates,
            Err(err) => {
                tracing::warn!(error = %err, "getUpdates failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(RETRY_PAUSE) => {}
                    _ = stop.changed() => break,
                }
                continue;
            }
        };
        let Some(last) = updates.iter().map(|u| i64::from(u.id.0)).max() else {
            continue;
        };
        let mut by_user: Vec<(Option<u64>, Vec<Update>)> = Vec::new();
        for update in updates {
            let user = update.from().map(|u| u.id.0);
            match by_user.iter_mut().find(|(u, _)| *u == user) {
                Some((_, list)) => list.push(update),
                None => by_user.push((user, vec![update])),
            }
        }
        join_all(by_user.into_iter().map(|(_, list)| {
            let ctx = ctx.clone();
            async move {
                for update in list {
                    handlers::handle(&ctx, update).await;
                }
            }
        }))
        .await;
        offset = last + 1;
        if let Err(err) = store::save_offset(&ctx.pool, offset).await {
            tracing::warn!(error = %err, "cannot store the update offset");
        }
    }
}
