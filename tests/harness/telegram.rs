//! The fake Telegram Bot API for tests: `loket-fake-telegram` (shared with the load generator), started
//! with the kit's [`PATIENCE`] and able to point a server's configuration at itself.

use std::ops::Deref;

use loket_server::config::Config;

pub use loket_fake_telegram::{BOT_USERNAME, Sent, SentFile, TOKEN, TgUser};

use crate::PATIENCE;

/// The fake Bot API server, on a free port of 127.0.0.1 with the test [`TOKEN`]. Everything it records
/// and every way to talk to the bot is on [`loket_fake_telegram::FakeTelegram`].
pub struct FakeTelegram(loket_fake_telegram::FakeTelegram);

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        Self::start_with_patience(PATIENCE).await
    }

    /// A fake whose waits ([`loket_fake_telegram::FakeTelegram::next_message`] and the like) fail the test
    /// only after `patience`: for what may take an instance's death to happen.
    pub async fn start_with_patience(patience: std::time::Duration) -> FakeTelegram {
        FakeTelegram(loket_fake_telegram::FakeTelegram::start().with_patience(patience))
    }

    /// Points `config` at this fake with the test token.
    pub fn configure(&self, config: &mut Config) {
        config.telegram_bot_token = Some(self.0.token.clone());
        config.telegram_api_url = self.0.url();
    }
}

impl Deref for FakeTelegram {
    type Target = loket_fake_telegram::FakeTelegram;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
