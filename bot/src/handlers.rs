//! What the bot does with each update: commands, the `/report` dialogue, buttons and follow-ups.
//!
//! The rules live in [`dialogue`](crate::dialogue), [`commands`](crate::commands) and
//! [`ratelimit`](crate::ratelimit); this module asks the core's desk for reporters, categories and
//! tickets, keeps the bot's own state through [`store`](crate::store), and talks to Telegram.

use std::sync::Mutex;
use std::time::Instant;

use loket_core::db::Pool;
use loket_core::reporting::{NewReporter, Registration, Reporter, ReporterTicket};
use loket_core::{AppError, Desk};
use loket_protocol::TicketId;
use loket_protocol::api::NewTicket;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, MaybeInaccessibleMessage, MessageId, ReplyMarkup, UpdateKind, User,
};

use crate::attachments;
use crate::buttons::Button;
use crate::commands::Command;
use crate::dialogue::{Dialogue, Draft, Input, MAX_FILE_BYTES, MAX_FILES, PendingFile, Reply};
use crate::ratelimit::{RateLimiter, Verdict};
use crate::store::{self, StoreError};
use crate::texts::{self, Lang};
use loket_core::reporting::SubmissionKey;

/// Tickets per `/mytickets` page.
pub const TICKETS_PER_PAGE: i64 = 6;
/// Longest text accepted as a bare invite code (without `/start`).
const MAX_CODE_CHARS: usize = 64;
/// Category buttons per keyboard row.
const CATEGORIES_PER_ROW: usize = 2;

/// Everything a handler needs. Shared by all updates.
pub struct Ctx {
    pub bot: Bot,
    pub pool: Pool,
    pub desk: Desk,
    pub limiter: Mutex<RateLimiter>,
}

/// Why handling an update failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("desk: {0}")]
    Desk(#[from] AppError),
    #[error("telegram: {0}")]
    Telegram(#[from] teloxide::RequestError),
}

type Handled = Result<(), HandlerError>;

/// Handles one update; failures are logged and the user is told to try again.
pub async fn handle(ctx: &Ctx, update: Update) {
    let chat = update.chat().map(|c| c.id);
    let lang = update
        .from()
        .and_then(|u| u.language_code.as_deref())
        .map(Lang::from_code)
        .unwrap_or_default();
    let result = match update.kind {
        UpdateKind::Message(message) => on_message(ctx, message).await,
        UpdateKind::CallbackQuery(query) => on_callback(ctx, query).await,
        _ => Ok(()),
    };
    if let Err(err) = result {
        tracing::warn!(error = %err, "cannot handle a Telegram update");
        if let Some(chat) = chat {
            let _ = ctx.bot.send_message(chat, texts::try_later(lang)).await;
        }
    }
}

fn user_lang(user: &User) -> Lang {
    Lang::from_code(user.language_code.as_deref().unwrap_or(""))
}

fn user_id(user: &User) -> i64 {
    user.id.0 as i64
}

/// Whether the rate limit lets this message through (telling the sender to slow down once per flood).
async fn admitted(ctx: &Ctx, user: &User, chat: ChatId, lang: Lang) -> Result<bool, HandlerError> {
    // The lock is never held across an await.
    let verdict = ctx
        .limiter
        .lock()
        .map(|mut l| l.check(user_id(user), Instant::now()))
        .unwrap_or(Verdict::Allow);
    match verdict {
        Verdict::Allow => Ok(true),
        Verdict::Warn => {
            ctx.bot.send_message(chat, texts::slow_down(lang)).await?;
            Ok(false)
        }
        Verdict::Drop => Ok(false),
    }
}

async fn on_message(ctx: &Ctx, msg: Message) -> Handled {
    if !msg.chat.is_private() {
        return Ok(());
    }
    let Some(user) = msg.from.clone() else {
        return Ok(());
    };
    let chat = msg.chat.id;
    let reporter = ctx.desk.reporter_by_telegram(user_id(&user)).await?;
    let lang = reporter.as_ref().map_or_else(|| user_lang(&user), |r| r.language);
    if !admitted(ctx, &user, chat, lang).await? {
        return Ok(());
    }
    let command = msg.text().and_then(Command::parse);
    let Some(reporter) = reporter else {
        return unregistered(ctx, &msg, &user, command).await;
    };
    if command.is_none()
        && let Some(replied) = msg.reply_to_message()
        && let Some(ticket) = store::message_ticket(&ctx.pool, chat.0, replied.id.0).await?
    {
        return follow_up(ctx, &reporter, &msg, ticket).await;
    }
    let input = match command {
        Some(Command::Start { .. }) => return say(ctx, chat, texts::already_registered(lang)).await,
        Some(Command::Help) | Some(Command::Unknown) => return say(ctx, chat, texts::help(lang)).await,
        Some(Command::Lang { code }) => return language(ctx, &reporter, code.as_deref()).await,
        Some(Command::MyTickets) => return send_page(ctx, &reporter, 0, None).await,
        Some(Command::Status { key }) => return status(ctx, &reporter, key.as_deref()).await,
        Some(Command::Report) => Input::Start,
        Some(Command::Cancel) => Input::Cancel,
        Some(Command::Done) => Input::Done,
        Some(Command::Skip) => Input::Skip,
        None => match (file_of(&msg), msg.text()) {
            (Some(file), _) => Input::File(file),
            (None, Some(text)) => Input::Text(text.to_string()),
            (None, None) => Input::Other,
        },
    };
    converse(ctx, &reporter, user_id(&user), input, None).await
}

/// Someone not registered: `/start <code>`, or a bare code, registers; anything else is told to.
async fn unregistered(ctx: &Ctx, msg: &Message, user: &User, command: Option<Command>) -> Handled {
    let lang = user_lang(user);
    let code = match command {
        Some(Command::Start { code: Some(code) }) => code,
        Some(Command::Start { code: None }) => return say(ctx, msg.chat.id, texts::ask_code(lang)).await,
        None => match msg.text().map(str::trim) {
            Some(text)
                if !text.is_empty()
                    && text.chars().count() <= MAX_CODE_CHARS
                    && !text.contains(char::is_whitespace) =>
            {
                text.to_string()
            }
            _ => return say(ctx, msg.chat.id, texts::register_first(lang)).await,
        },
        Some(_) => return say(ctx, msg.chat.id, texts::register_first(lang)).await,
    };
    let name = user.full_name();
    let registration = NewReporter {
        telegram_user_id: user_id(user),
        chat_id: msg.chat.id.0,
        name: &name,
        language: lang,
        code: &code,
    };
    let text = match ctx.desk.register_reporter(registration).await? {
        Registration::Registered(reporter) => {
            tracing::info!(reporter = %reporter.id, "reporter registered");
            texts::welcome(lang, &reporter.name)
        }
        Registration::AlreadyRegistered => texts::already_registered(lang).to_string(),
        Registration::Refused(why) => texts::code_refused(lang, why).to_string(),
    };
    say(ctx, msg.chat.id, text).await
}

/// The photo (largest size) or document in `msg`, as a file to fetch later.
fn file_of(msg: &Message) -> Option<PendingFile> {
    if let Some(photo) = msg
        .photo()
        .and_then(|sizes| sizes.iter().max_by_key(|p| p.width * p.height))
    {
        return Some(PendingFile {
            file_id: photo.file.id.0.clone(),
            file_name: format!("photo-{}.jpg", photo.file.unique_id.0),
            content_type: "image/jpeg".into(),
            size: photo.file.size,
        });
    }
    msg.document().map(|doc| PendingFile {
        file_id: doc.file.id.0.clone(),
        file_name: doc.file_name.clone().unwrap_or_else(|| "document".into()),
        content_type: doc
            .mime_type
            .as_ref()
            .map_or_else(|| "application/octet-stream".into(), |m| m.to_string()),
        size: doc.file.size,
    })
}

/// Feeds `input` to the reporter's dialogue, saves the new state and answers. `submission` names the
/// press of Send that `input` may be, so that handling it twice files one ticket.
async fn converse(
    ctx: &Ctx,
    reporter: &Reporter,
    telegram_user: i64,
    input: Input,
    submission: Option<SubmissionKey>,
) -> Handled {
    let chat = ChatId(reporter.chat_id);
    let lang = reporter.language;
    let state = store::dialogue(&ctx.pool, telegram_user).await?;
    let has_categories = match state {
        Dialogue::Description { .. } => !ctx.desk.report_categories().await?.is_empty(),
        _ => false,
    };
    let (next, reply) = state.step(input, has_categories);
    if let Reply::Submit { draft } = reply {
        return submit(ctx, reporter, telegram_user, draft, submission).await;
    }
    store::save_dialogue(&ctx.pool, telegram_user, &next).await?;
    let shown = match reply {
        Reply::AskTitle
        | Reply::AskDescription
        | Reply::AskCategory
        | Reply::AskAttachments
        | Reply::Summary { .. } => prompt(ctx, chat, lang, &next, false).await?,
        Reply::Reprompt { step } => prompt(ctx, chat, lang, &step, true).await?,
        Reply::Resume { step } => prompt(ctx, chat, lang, &step, false).await?,
        Reply::StaleSummary { step } => {
            say(ctx, chat, texts::stale_summary(lang)).await?;
            prompt(ctx, chat, lang, &step, false).await?
        }
        other => return answer(ctx, chat, lang, other).await,
    };
    // A summary was shown: from now on only its Send button files the report.
    if let (Dialogue::Confirm { .. }, Some(message)) = (&next, shown) {
        store::save_dialogue(&ctx.pool, telegram_user, &next.with_summary(message.0)).await?;
    }
    Ok(())
}

/// Says what a step's reply asks for, when it is not a prompt.
async fn answer(ctx: &Ctx, chat: ChatId, lang: Lang, reply: Reply) -> Handled {
    match reply {
        Reply::ConfirmRestart { title } => {
            let keyboard = InlineKeyboardMarkup::new([[
                InlineKeyboardButton::callback(texts::button_restart(lang), Button::Restart.encode()),
                InlineKeyboardButton::callback(texts::button_keep_draft(lang), Button::KeepDraft.encode()),
            ]]);
            ctx.bot
                .send_message(chat, texts::confirm_restart(lang, &title))
                .reply_markup(ReplyMarkup::InlineKeyboard(keyboard))
                .await?;
            Ok(())
        }
        Reply::FileAdded { count } => say(ctx, chat, texts::file_added(lang, count)).await,
        Reply::FileTooBig => say(ctx, chat, texts::file_too_big(lang, MAX_FILE_BYTES / (1024 * 1024))).await,
        Reply::TooManyFiles => say(ctx, chat, texts::too_many_files(lang, MAX_FILES)).await,
        Reply::Cancelled => say(ctx, chat, texts::cancelled(lang)).await,
        Reply::NothingToCancel => say(ctx, chat, texts::nothing_to_cancel(lang)).await,
        Reply::NotInDialogue => say(ctx, chat, texts::idle_hint(lang)).await,
        Reply::AskTitle
        | Reply::AskDescription
        | Reply::AskCategory
        | Reply::AskAttachments
        | Reply::Summary { .. }
        | Reply::Reprompt { .. }
        | Reply::Resume { .. }
        | Reply::StaleSummary { .. }
        | Reply::Submit { .. } => Ok(()),
    }
}

/// Asks for what `step` needs; `apologise`: first say the last input did not fit. Answers the message sent.
async fn prompt(
    ctx: &Ctx,
    chat: ChatId,
    lang: Lang,
    step: &Dialogue,
    apologise: bool,
) -> Result<Option<MessageId>, HandlerError> {
    let (text, keyboard): (String, Option<InlineKeyboardMarkup>) = match step {
        Dialogue::Idle => (texts::idle_hint(lang).into(), None),
        Dialogue::Title => (texts::ask_title(lang).into(), None),
        Dialogue::Description { .. } => (texts::ask_description(lang).into(), None),
        Dialogue::Category { .. } => {
            let buttons: Vec<InlineKeyboardButton> = ctx
                .desk
                .report_categories()
                .await?
                .into_iter()
                .map(|c| InlineKeyboardButton::callback(c.name, Button::Category(c.id).encode()))
                .collect();
            let rows = buttons.chunks(CATEGORIES_PER_ROW).map(|r| r.to_vec());
            (texts::ask_category(lang).into(), Some(InlineKeyboardMarkup::new(rows)))
        }
        Dialogue::Attachments { .. } => (texts::ask_attachments(lang).into(), None),
        Dialogue::Confirm { draft, .. } => (summary(lang, draft), Some(confirm_keyboard(lang))),
    };
    let text = if apologise { texts::reprompt(lang, &text) } else { text };
    let mut request = ctx.bot.send_message(chat, text);
    if let Some(keyboard) = keyboard {
        request = request.reply_markup(ReplyMarkup::InlineKeyboard(keyboard));
    }
    Ok(Some(request.await?.id))
}

fn summary(lang: Lang, draft: &Draft) -> String {
    texts::summary(
        lang,
        &draft.title,
        &draft.description,
        draft.category_name.as_deref(),
        draft.files.len(),
    )
}

fn confirm_keyboard(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(texts::button_send(lang), Button::Send.encode()),
        InlineKeyboardButton::callback(texts::button_cancel(lang), Button::Cancel.encode()),
    ]])
}

/// Files the ticket, fetches its files, answers with the key. On failure the summary stays, to press again.
///
/// If the process dies after the ticket was filed but before the dialogue and the update offset were
/// saved, Telegram delivers the same press again: `submission` then finds the ticket filed the first
/// time, and files already recorded on it are skipped.
async fn submit(
    ctx: &Ctx,
    reporter: &Reporter,
    telegram_user: i64,
    draft: Draft,
    submission: Option<SubmissionKey>,
) -> Handled {
    let chat = ChatId(reporter.chat_id);
    let lang = reporter.language;
    let new = NewTicket {
        title: draft.title.clone(),
        body: draft.description.clone(),
        priority: Default::default(),
        category_id: draft.category_id.map(loket_protocol::CategoryId),
    };
    let ticket = match ctx.desk.file_report(reporter.id, new, submission).await {
        Ok(ticket) => ticket,
        Err(err) => {
            tracing::warn!(code = ?err.code(), error = %err, "the desk refused a report");
            return say(ctx, chat, texts::filing_failed(lang)).await;
        }
    };
    // The ticket exists: from here on a repeated Send must not file it again.
    store::save_dialogue(&ctx.pool, telegram_user, &Dialogue::Idle).await?;
    let mut over_quota = false;
    for file in &draft.files {
        match ctx.desk.reporter_may_add_file(reporter.id, ticket.id).await {
            Ok(true) => {}
            Ok(false) => {
                over_quota = true;
                break;
            }
            Err(err) => tracing::warn!(error = %err, ticket = %ticket.id, "cannot check the file quota"),
        }
        if let Err(err) = attachments::store(ctx, reporter.id, ticket.id, None, file).await {
            tracing::warn!(error = %err, ticket = %ticket.id, "cannot store an attachment");
        }
    }
    say_about(ctx, chat, texts::filed(lang, &ticket.key), ticket.id).await?;
    if over_quota {
        say(ctx, chat, texts::follow_up_files_quota(lang, &ticket.key)).await?;
    }
    Ok(())
}

/// A reply to a bot message about `ticket`: its text (and photo or document) becomes a public comment.
/// A file over the size limit or the reporter's quota is refused with a word why; its text still counts.
async fn follow_up(ctx: &Ctx, reporter: &Reporter, msg: &Message, ticket: TicketId) -> Handled {
    let lang = reporter.language;
    let key = ticket.key();
    let text = msg.text().or(msg.caption()).filter(|t| !t.trim().is_empty());
    let mut file = file_of(msg);
    let refusal = match &file {
        Some(f) if f.size > MAX_FILE_BYTES => Some(texts::follow_up_file_too_big(
            lang,
            &key,
            MAX_FILE_BYTES / (1024 * 1024),
        )),
        Some(_) if !ctx.desk.reporter_may_add_file(reporter.id, ticket).await? => {
            Some(texts::follow_up_files_quota(lang, &key))
        }
        _ => None,
    };
    if refusal.is_some() {
        file = None;
    }
    let body = match (text, &file, &refusal) {
        (Some(text), _, _) => text.to_string(),
        (None, Some(_), _) => texts::photo_only(lang).to_string(),
        (None, None, Some(refusal)) => return say(ctx, msg.chat.id, refusal.clone()).await,
        (None, None, None) => return say(ctx, msg.chat.id, texts::idle_hint(lang)).await,
    };
    let comment = match ctx.desk.reporter_comment(reporter.id, ticket, &body).await {
        Ok(comment) => comment,
        Err(err) => {
            tracing::warn!(code = ?err.code(), error = %err, "the desk refused a follow-up");
            return say(ctx, msg.chat.id, texts::comment_failed(lang, &key)).await;
        }
    };
    if let Some(refusal) = refusal {
        say(ctx, msg.chat.id, refusal).await?;
    }
    if let Some(file) = file
        && let Err(err) = attachments::store(ctx, reporter.id, ticket, Some(comment.id), &file).await
    {
        tracing::warn!(error = %err, ticket = %ticket, "cannot store a follow-up attachment");
    }
    say_about(ctx, msg.chat.id, texts::comment_added(lang, &key), ticket).await
}

/// `/status <key>`: only the reporter's own tickets exist for them.
async fn status(ctx: &Ctx, reporter: &Reporter, key: Option<&str>) -> Handled {
    let chat = ChatId(reporter.chat_id);
    let lang = reporter.language;
    let Some(id) = key.and_then(TicketId::parse_key) else {
        return say(ctx, chat, texts::status_usage(lang)).await;
    };
    match ctx.desk.reporter_ticket(reporter.id, id).await {
        Ok(t) => {
            say_about(
                ctx,
                chat,
                texts::ticket_status(lang, &t.id.key(), &t.title, t.status),
                id,
            )
            .await
        }
        Err(AppError::NotFound(_)) => say(ctx, chat, texts::ticket_not_found(lang, &id.key())).await,
        Err(err) => Err(err.into()),
    }
}

/// `/lang [en|id]`: switch, or offer the choice.
async fn language(ctx: &Ctx, reporter: &Reporter, code: Option<&str>) -> Handled {
    let chosen = code.map(str::to_ascii_lowercase).and_then(|c| {
        texts::LANGUAGE_BUTTONS
            .iter()
            .find(|(l, _)| l.code() == c)
            .map(|(l, _)| *l)
    });
    match chosen {
        Some(lang) => {
            ctx.desk.set_reporter_language(reporter.id, lang).await?;
            say(ctx, ChatId(reporter.chat_id), texts::language_set(lang)).await
        }
        None => {
            let buttons = texts::LANGUAGE_BUTTONS
                .iter()
                .map(|(l, name)| InlineKeyboardButton::callback(*name, Button::Lang(*l).encode()));
            ctx.bot
                .send_message(ChatId(reporter.chat_id), texts::choose_language(reporter.language))
                .reply_markup(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new([buttons])))
                .await?;
            Ok(())
        }
    }
}

/// A `/mytickets` page: the text and its Previous / Next buttons.
pub fn page_view(lang: Lang, page: i64, total: i64, lines: &[ReporterTicket]) -> (String, InlineKeyboardMarkup) {
    let pages = ((total + TICKETS_PER_PAGE - 1) / TICKETS_PER_PAGE).max(1);
    let mut text = texts::tickets_heading(lang, page + 1, pages, total);
    for t in lines {
        text.push('\n');
        text.push_str(&texts::ticket_line(lang, &t.id.key(), &t.title, t.status));
    }
    let mut row = Vec::new();
    if page > 0 {
        row.push(InlineKeyboardButton::callback(
            texts::button_previous(lang),
            Button::Page(page - 1).encode(),
        ));
    }
    if (page + 1) * TICKETS_PER_PAGE < total {
        row.push(InlineKeyboardButton::callback(
            texts::button_next(lang),
            Button::Page(page + 1).encode(),
        ));
    }
    (text, InlineKeyboardMarkup::new([row]))
}

/// Sends page `page` of the reporter's tickets, or edits `message` in place to show it.
async fn send_page(ctx: &Ctx, reporter: &Reporter, page: i64, message: Option<MessageId>) -> Handled {
    let chat = ChatId(reporter.chat_id);
    let lang = reporter.language;
    // A page past the end (tickets gone since the buttons were drawn) shows the last one.
    let found = ctx.desk.reporter_tickets(reporter.id, page, TICKETS_PER_PAGE).await?;
    if found.total == 0 {
        return say(ctx, chat, texts::no_tickets(lang)).await;
    }
    let (text, keyboard) = page_view(lang, found.page, found.total, &found.tickets);
    match message {
        Some(id) => {
            ctx.bot.edit_message_text(chat, id, text).reply_markup(keyboard).await?;
        }
        None => {
            ctx.bot
                .send_message(chat, text)
                .reply_markup(ReplyMarkup::InlineKeyboard(keyboard))
                .await?;
        }
    }
    Ok(())
}

async fn on_callback(ctx: &Ctx, query: CallbackQuery) -> Handled {
    // Stop the button's spinner whatever happens next.
    let _ = ctx.bot.answer_callback_query(query.id.clone()).await;
    let Some(reporter) = ctx.desk.reporter_by_telegram(user_id(&query.from)).await? else {
        return Ok(());
    };
    let chat = ChatId(reporter.chat_id);
    if !admitted(ctx, &query.from, chat, reporter.language).await? {
        return Ok(());
    }
    let message = query.message.as_ref().map(MaybeInaccessibleMessage::id);
    let Some(button) = query.data.as_deref().and_then(Button::decode) else {
        return Ok(());
    };
    let telegram_user = user_id(&query.from);
    let submission = match message {
        Some(message) => SubmissionKey::telegram_summary(chat.0, message.0),
        None => SubmissionKey::telegram_callback(&query.id.0),
    };
    match button {
        Button::Page(page) => send_page(ctx, &reporter, page, message).await,
        Button::Lang(lang) => language(ctx, &reporter, Some(lang.code())).await,
        Button::Category(id) => {
            // A stale button for a category that is gone is input that does not fit: re-prompted.
            let input = match ctx.desk.report_category(id).await {
                Ok(category) => Input::Category {
                    id: category.id.0,
                    name: category.name,
                },
                Err(AppError::NotFound(_)) => Input::Other,
                Err(err) => return Err(err.into()),
            };
            converse(ctx, &reporter, telegram_user, input, None).await
        }
        Button::Send => {
            let input = Input::Send {
                message: message.map(|m| m.0),
            };
            converse(ctx, &reporter, telegram_user, input, Some(submission)).await
        }
        Button::Cancel => converse(ctx, &reporter, telegram_user, Input::Cancel, None).await,
        Button::Restart => converse(ctx, &reporter, telegram_user, Input::Restart, None).await,
        Button::KeepDraft => converse(ctx, &reporter, telegram_user, Input::KeepDraft, None).await,
    }
}

async fn say(ctx: &Ctx, chat: ChatId, text: impl Into<String>) -> Handled {
    ctx.bot.send_message(chat, text.into()).await?;
    Ok(())
}

/// Sends a message about `ticket` and remembers it, so a reply to it reaches the ticket.
async fn say_about(ctx: &Ctx, chat: ChatId, text: impl Into<String>, ticket: TicketId) -> Handled {
    let sent = ctx.bot.send_message(chat, text.into()).await?;
    store::remember_message(&ctx.pool, chat.0, sent.id.0, ticket).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_protocol::ticket::Status;

    fn lines(n: i64) -> Vec<ReporterTicket> {
        (1..=n)
            .map(|i| ReporterTicket {
                id: TicketId(i),
                title: format!("t{i}"),
                status: Status::New,
            })
            .collect()
    }

    fn buttons(markup: &InlineKeyboardMarkup) -> Vec<String> {
        markup
            .inline_keyboard
            .iter()
            .flatten()
            .map(|b| b.text.clone())
            .collect()
    }

    #[test]
    fn pages_offer_previous_and_next_only_where_they_lead() {
        let (text, keyboard) = page_view(Lang::En, 0, 13, &lines(6));
        assert!(text.contains("page 1 of 3"), "{text}");
        assert_eq!(buttons(&keyboard), ["Next \u{25b6}"]);
        let (_, keyboard) = page_view(Lang::En, 1, 13, &lines(6));
        assert_eq!(buttons(&keyboard).len(), 2);
        let (text, keyboard) = page_view(Lang::En, 2, 13, &lines(1));
        assert!(text.contains("page 3 of 3"));
        assert_eq!(buttons(&keyboard), ["\u{25c0} Previous"]);
        let (_, keyboard) = page_view(Lang::En, 0, 6, &lines(6));
        assert!(buttons(&keyboard).is_empty());
    }
}
