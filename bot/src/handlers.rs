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
use crate::dialogue::{Dialogue, Draft, EditField, Input, MAX_FILE_BYTES, MAX_FILES, PendingFile, Reply};
use crate::ratelimit::{RateLimiter, Verdict};
use crate::store::{self, StoreError};
use crate::texts::{self, Lang, Step};
use loket_core::reporting::SubmissionKey;
use loket_protocol::ticket::{Author, Location, Status};

/// Public messages `/status` quotes, newest last.
const STATUS_REPLIES: usize = 3;
/// Longest quote of one message in `/status`, in characters.
const STATUS_QUOTE_CHARS: usize = 300;

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
        follow_up(ctx, &reporter, &msg, ticket, true).await?;
        return Ok(());
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
        None => match (file_of(&msg), msg.text(), msg.location()) {
            (Some(file), _, _) => Input::File(file),
            (None, Some(text), _) => Input::Text(text.to_string()),
            (None, None, Some(at)) => Input::Location {
                latitude: at.latitude,
                longitude: at.longitude,
            },
            (None, None, None) => Input::Other,
        },
    };
    // Outside a report, a message without Reply goes to the latest open ticket: never dropped.
    if command.is_none() && matches!(input, Input::Text(_) | Input::File(_) | Input::Location { .. }) {
        let state = store::dialogue(&ctx.pool, user_id(&user)).await?;
        let rating_comment = matches!((&state, &input), (Dialogue::RatingComment { .. }, Input::Text(_)));
        if !state.in_report() && !rating_comment {
            return unaddressed(ctx, &reporter, user_id(&user), &msg).await;
        }
    }
    converse(ctx, &reporter, user_id(&user), input, None).await
}

/// A message without Telegram's Reply, outside a report: added to the reporter's most recently active
/// open ticket, confirmed with that ticket's key and title and buttons to move it to another open ticket
/// or to start a new report with it. With no open ticket, offers the new report.
async fn unaddressed(ctx: &Ctx, reporter: &Reporter, telegram_user: i64, msg: &Message) -> Handled {
    let chat = ChatId(reporter.chat_id);
    let lang = reporter.language;
    let open = ctx.desk.reporter_open_tickets(reporter.id).await?;
    let text = msg
        .text()
        .or(msg.caption())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let Some(latest) = open.first() else {
        let Some(text) = text else {
            let hint = match msg.location() {
                Some(_) => texts::location_without_ticket(lang),
                None => texts::idle_hint(lang),
            };
            return say(ctx, chat, hint).await;
        };
        store::save_dialogue(&ctx.pool, telegram_user, &Dialogue::Held { text, ticket: None }).await?;
        let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
            texts::button_report_held(lang),
            Button::ReportHeld.encode(),
        )]]);
        ctx.bot
            .send_message(chat, texts::no_open_ticket(lang))
            .reply_markup(ReplyMarkup::InlineKeyboard(keyboard))
            .await?;
        return Ok(());
    };
    let Some(done) = follow_up(ctx, reporter, msg, latest.id, false).await? else {
        return Ok(());
    };
    if !done.commented {
        // Only a location: a field of the ticket, not a message to move; confirmed like a follow-up.
        return say_about(ctx, chat, follow_up_text(lang, &latest.id.key(), done), latest.id).await;
    }
    // Only text can be moved or become a report (a file stays where it went).
    let movable = if text.is_some() { open.len() } else { 0 };
    let mut rows: Vec<Vec<InlineKeyboardButton>> = open
        .iter()
        .take(movable)
        .skip(1)
        .map(|t| {
            vec![InlineKeyboardButton::callback(
                texts::button_move_to(&t.id.key(), &t.title),
                Button::MoveTo(t.id).encode(),
            )]
        })
        .collect();
    if text.is_some() {
        rows.push(vec![InlineKeyboardButton::callback(
            texts::button_report_held(lang),
            Button::ReportHeld.encode(),
        )]);
    }
    let held = Dialogue::Held {
        text: text.unwrap_or_default(),
        ticket: Some(latest.id.0),
    };
    store::save_dialogue(&ctx.pool, telegram_user, &held).await?;
    let mut confirmation = texts::routed(lang, &latest.id.key(), &latest.title, open.len() > 1);
    if done.located {
        confirmation = format!("{confirmation}\n{}", texts::location_saved(lang, &latest.id.key()));
    }
    let sent = ctx
        .bot
        .send_message(chat, confirmation)
        .reply_markup(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(rows)))
        .await?;
    store::remember_message(&ctx.pool, chat.0, sent.id.0, latest.id).await?;
    Ok(())
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
        Dialogue::Description { .. } | Dialogue::SeededTitle { .. } => !ctx.desk.report_categories().await?.is_empty(),
        _ => false,
    };
    let (next, reply) = state.step(input, has_categories);
    if let Reply::Submit { draft } = reply {
        return submit(ctx, reporter, telegram_user, draft, submission).await;
    }
    if let Reply::RatingComment { ticket, stars, comment } = &reply {
        let ticket = TicketId(*ticket);
        if comment.is_some() {
            match ctx
                .desk
                .reporter_rate(reporter.id, ticket, *stars, comment.as_deref())
                .await
            {
                Ok(_) => {}
                Err(AppError::Conflict(_)) => {
                    store::save_dialogue(&ctx.pool, telegram_user, &next).await?;
                    return say(ctx, chat, texts::cannot_rate(lang, &ticket.key())).await;
                }
                Err(AppError::Invalid(_)) => {
                    // Too long: ask again, keeping the rating.
                    return say(ctx, chat, texts::reprompt(lang, Step::RatingComment)).await;
                }
                Err(err) => return Err(err.into()),
            }
        }
        store::save_dialogue(&ctx.pool, telegram_user, &next).await?;
        return say(ctx, chat, texts::rating_done(lang, comment.is_some())).await;
    }
    store::save_dialogue(&ctx.pool, telegram_user, &next).await?;
    let shown = match reply {
        Reply::AskTitle
        | Reply::AskDescription
        | Reply::AskCategory
        | Reply::AskAttachments
        | Reply::Summary { .. }
        | Reply::AskEdit { .. } => prompt(ctx, chat, lang, &next, false).await?,
        Reply::Reprompt { step } => prompt(ctx, chat, lang, &step, true).await?,
        Reply::BadLocation { step } => {
            say(ctx, chat, texts::bad_location(lang)).await?;
            prompt(ctx, chat, lang, &step, false).await?
        }
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
        Reply::LocationAdded => say(ctx, chat, texts::location_added(lang)).await,
        Reply::RatingComment { .. } => Ok(()),
        Reply::AskTitle
        | Reply::AskEdit { .. }
        | Reply::BadLocation { .. }
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
    let (text, keyboard, at): (String, Option<InlineKeyboardMarkup>, Option<Step>) = match step {
        Dialogue::Idle | Dialogue::Held { .. } => (texts::idle_hint(lang).into(), None, None),
        Dialogue::RatingComment { .. } => (String::new(), None, Some(Step::RatingComment)),
        Dialogue::Title | Dialogue::SeededTitle { .. } => (texts::ask_title(lang).into(), None, Some(Step::Title)),
        Dialogue::Description { .. } => (texts::ask_description(lang).into(), None, Some(Step::Description)),
        Dialogue::Category { .. } => (
            texts::ask_category(lang).into(),
            Some(category_keyboard(ctx).await?),
            Some(Step::Category),
        ),
        Dialogue::Attachments { .. } => (texts::ask_attachments(lang).into(), None, Some(Step::Attachments)),
        Dialogue::Confirm { draft, .. } => (
            summary(lang, draft),
            Some(confirm_keyboard(lang, !ctx.desk.report_categories().await?.is_empty())),
            Some(Step::Summary),
        ),
        Dialogue::Edit { field, .. } => {
            let keyboard = match field {
                EditField::Category => Some(category_keyboard(ctx).await?),
                _ => None,
            };
            let at = match field {
                EditField::Title => Step::EditTitle,
                EditField::Description => Step::EditDescription,
                EditField::Category => Step::EditCategory,
                EditField::Location => Step::EditLocation,
                EditField::Files => Step::Attachments,
            };
            (texts::ask_edit(lang, *field).into(), keyboard, Some(at))
        }
    };
    let text = match (apologise, at) {
        (true, Some(at)) if text.is_empty() => texts::reprompt(lang, at),
        (true, Some(at)) => format!("{}\n\n{text}", texts::reprompt(lang, at)),
        _ => text,
    };
    let mut request = ctx.bot.send_message(chat, text);
    if let Some(keyboard) = keyboard {
        request = request.reply_markup(ReplyMarkup::InlineKeyboard(keyboard));
    }
    Ok(Some(request.await?.id))
}

/// The offered categories as buttons.
async fn category_keyboard(ctx: &Ctx) -> Result<InlineKeyboardMarkup, HandlerError> {
    let buttons: Vec<InlineKeyboardButton> = ctx
        .desk
        .report_categories()
        .await?
        .into_iter()
        .map(|c| InlineKeyboardButton::callback(c.name, Button::Category(c.id).encode()))
        .collect();
    let rows = buttons.chunks(CATEGORIES_PER_ROW).map(|r| r.to_vec());
    Ok(InlineKeyboardMarkup::new(rows))
}

fn summary(lang: Lang, draft: &Draft) -> String {
    let location = draft
        .location
        .and_then(|p| Location::new(p.latitude, p.longitude))
        .map(|l| l.display());
    texts::summary(
        lang,
        &draft.title,
        &draft.description,
        draft.category_name.as_deref(),
        draft.files.len(),
        location.as_deref(),
    )
}

/// Send and Cancel, then one button per field (the category only where there are categories).
fn confirm_keyboard(lang: Lang, has_categories: bool) -> InlineKeyboardMarkup {
    let edit = |field| InlineKeyboardButton::callback(texts::button_edit(lang, field), Button::Edit(field).encode());
    let mut second = vec![edit(EditField::Title), edit(EditField::Description)];
    let mut third = vec![edit(EditField::Location), edit(EditField::Files)];
    if has_categories {
        third.insert(0, edit(EditField::Category));
    } else {
        second.push(third.remove(0));
    }
    InlineKeyboardMarkup::new([
        vec![
            InlineKeyboardButton::callback(texts::button_send(lang), Button::Send.encode()),
            InlineKeyboardButton::callback(texts::button_cancel(lang), Button::Cancel.encode()),
        ],
        second,
        third,
    ])
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
    if let Some(point) = draft.location
        && ticket.location.is_none()
        && let Err(err) = ctx
            .desk
            .reporter_locate(reporter.id, ticket.id, point.latitude, point.longitude)
            .await
    {
        tracing::warn!(error = %err, ticket = %ticket.id, "cannot store a report's location");
    }
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

/// What a follow-up did to its ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FollowedUp {
    /// Its text or file became a comment.
    commented: bool,
    /// That comment reopened the resolved or closed ticket.
    reopened: bool,
    /// It carried a location, now stored on the ticket.
    located: bool,
}

/// A follow-up on `ticket`: its text (and photo or document) becomes a public comment, and a location is
/// stored on the ticket. A file over the size limit or the reporter's quota is refused with a word why;
/// its text still counts. A reply to a resolved or closed ticket reopens it (if the desk does). With
/// `confirm` the reporter is told what happened; otherwise only refusals are said, and the answer tells
/// the caller, `None` when nothing was recorded.
async fn follow_up(
    ctx: &Ctx,
    reporter: &Reporter,
    msg: &Message,
    ticket: TicketId,
    confirm: bool,
) -> Result<Option<FollowedUp>, HandlerError> {
    let lang = reporter.language;
    let chat = msg.chat.id;
    // A ticket merged as a duplicate: the follow-up lands on the ticket that carries the report now.
    let ticket = match ctx.desk.reporter_follow_up_target(reporter.id, ticket).await {
        Ok(target) => target,
        Err(AppError::NotFound(_)) => ticket,
        Err(err) => return Err(err.into()),
    };
    let key = ticket.key();
    let mut done = FollowedUp {
        commented: false,
        reopened: false,
        located: false,
    };
    if let Some(at) = msg.location() {
        match ctx
            .desk
            .reporter_locate(reporter.id, ticket, at.latitude, at.longitude)
            .await
        {
            Ok(_) => done.located = true,
            Err(AppError::Invalid(_)) => {
                say(ctx, chat, texts::bad_location(lang)).await?;
                return Ok(None);
            }
            Err(err) => {
                tracing::warn!(code = ?err.code(), error = %err, "the desk refused a location");
                say(ctx, chat, texts::comment_failed(lang, &key)).await?;
                return Ok(None);
            }
        }
    }
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
        (Some(text), _, _) => Some(text.to_string()),
        (None, Some(_), _) => Some(texts::photo_only(lang).to_string()),
        (None, None, Some(refusal)) => {
            say(ctx, chat, refusal.clone()).await?;
            None
        }
        (None, None, None) => None,
    };
    if let Some(body) = body {
        let replied = match ctx.desk.reporter_reply(reporter.id, ticket, &body).await {
            Ok(replied) => replied,
            Err(err) => {
                tracing::warn!(code = ?err.code(), error = %err, "the desk refused a follow-up");
                say(ctx, chat, texts::comment_failed(lang, &key)).await?;
                return Ok(None);
            }
        };
        done.commented = true;
        done.reopened = replied.reopened;
        if let Some(refusal) = refusal {
            say(ctx, chat, refusal).await?;
        }
        if let Some(file) = file
            && let Err(err) = attachments::store(ctx, reporter.id, ticket, Some(replied.comment.id), &file).await
        {
            tracing::warn!(error = %err, ticket = %ticket, "cannot store a follow-up attachment");
        }
    }
    if !done.commented && !done.located {
        if refusal_free(msg) {
            say(ctx, chat, texts::idle_hint(lang)).await?;
        }
        return Ok(None);
    }
    if confirm {
        say_about(ctx, chat, follow_up_text(lang, &key, done), ticket).await?;
    }
    Ok(Some(done))
}

/// Whether `msg` carried nothing a follow-up could have refused (no file): then it carried nothing usable.
fn refusal_free(msg: &Message) -> bool {
    file_of(msg).is_none()
}

/// The confirmation of a follow-up.
fn follow_up_text(lang: Lang, key: &str, done: FollowedUp) -> String {
    let mut parts = Vec::new();
    if done.reopened {
        parts.push(texts::reopened(lang, key));
    } else if done.commented {
        parts.push(texts::comment_added(lang, key));
    }
    if done.located {
        parts.push(texts::location_saved(lang, key));
    }
    parts.join("\n")
}

/// `/status <key>`: the status, what it means for the reporter, and the last public messages. Only the
/// reporter's own tickets exist for them.
async fn status(ctx: &Ctx, reporter: &Reporter, key: Option<&str>) -> Handled {
    let chat = ChatId(reporter.chat_id);
    let lang = reporter.language;
    let Some(id) = key.and_then(TicketId::parse_key) else {
        return say(ctx, chat, texts::status_usage(lang)).await;
    };
    let t = match ctx.desk.reporter_ticket(reporter.id, id).await {
        Ok(t) => t,
        Err(AppError::NotFound(_)) => return say(ctx, chat, texts::ticket_not_found(lang, &id.key())).await,
        Err(err) => return Err(err.into()),
    };
    let replies = ctx
        .desk
        .reporter_public_replies(reporter.id, id, STATUS_REPLIES)
        .await?;
    let awaiting = replies.last().is_some_and(|c| matches!(c.author, Author::Agent { .. }));
    let mut text = format!(
        "{}\n{}\n\n{}",
        texts::ticket_status(lang, &t.id.key(), &t.title, t.status),
        texts::status_expectation(lang, t.status, awaiting),
        texts::recent_replies(lang),
    );
    if replies.is_empty() {
        text.push('\n');
        text.push_str(texts::no_replies_yet(lang));
    }
    for reply in &replies {
        let who = match &reply.author {
            Author::Reporter { .. } => texts::you(lang),
            _ => texts::desk_name(lang),
        };
        let mut body: String = reply.body.chars().take(STATUS_QUOTE_CHARS).collect();
        if reply.body.chars().count() > STATUS_QUOTE_CHARS {
            body.push('\u{2026}');
        }
        let when = reply.created_at.format("%Y-%m-%d %H:%M UTC");
        text.push_str(&format!("\n\n{who} ({when}):\n{body}"));
    }
    say_about(ctx, chat, text, id).await
}

/// The 1 to 5 rating buttons under a "resolved" notice about `ticket`.
pub fn rating_keyboard(ticket: TicketId) -> InlineKeyboardMarkup {
    let buttons = loket_protocol::ticket::RATING_RANGE
        .map(|stars| InlineKeyboardButton::callback(stars.to_string(), Button::Rate { ticket, stars }.encode()));
    InlineKeyboardMarkup::new([buttons.collect::<Vec<_>>()])
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
        Button::Edit(field) => converse(ctx, &reporter, telegram_user, Input::Edit(field), None).await,
        Button::Rate { ticket, stars } => rate(ctx, &reporter, telegram_user, ticket, stars).await,
        Button::ReportHeld => match store::dialogue(&ctx.pool, telegram_user).await? {
            Dialogue::Held { ref text, ticket } if !text.is_empty() => {
                // It went to an open ticket first: agents there learn it was meant for a new report.
                if let Some(from) = ticket {
                    ctx.desk
                        .comment(TicketId(from), Author::System, texts::moved_to_new_report_note(), true)
                        .await?;
                }
                converse(ctx, &reporter, telegram_user, Input::ReportHeld, None).await
            }
            _ => say(ctx, chat, texts::stale_button(reporter.language)).await,
        },
        Button::MoveTo(to) => move_held(ctx, &reporter, telegram_user, to).await,
    }
}

/// A rating button: stores the rating (the reporter's own resolved or closed ticket only), then asks
/// for an optional comment unless a report is being written.
async fn rate(ctx: &Ctx, reporter: &Reporter, telegram_user: i64, ticket: TicketId, stars: u8) -> Handled {
    let chat = ChatId(reporter.chat_id);
    let lang = reporter.language;
    match ctx.desk.reporter_rate(reporter.id, ticket, stars, None).await {
        Ok(_) => {}
        Err(AppError::NotFound(_)) => return say(ctx, chat, texts::ticket_not_found(lang, &ticket.key())).await,
        Err(AppError::Conflict(_)) => return say(ctx, chat, texts::cannot_rate(lang, &ticket.key())).await,
        Err(err) => return Err(err.into()),
    }
    let ask_comment = !store::dialogue(&ctx.pool, telegram_user).await?.in_report();
    if ask_comment {
        let state = Dialogue::RatingComment {
            ticket: ticket.0,
            stars,
        };
        store::save_dialogue(&ctx.pool, telegram_user, &state).await?;
    }
    say(ctx, chat, texts::rated(lang, &ticket.key(), stars, ask_comment)).await
}

/// "Move to TKT-…": the held message goes to the reporter's open ticket `to` as well, and the ticket it
/// went to first gets a note for agents that it was meant elsewhere.
async fn move_held(ctx: &Ctx, reporter: &Reporter, telegram_user: i64, to: TicketId) -> Handled {
    let chat = ChatId(reporter.chat_id);
    let lang = reporter.language;
    let Dialogue::Held {
        text,
        ticket: Some(from),
    } = store::dialogue(&ctx.pool, telegram_user).await?
    else {
        return say(ctx, chat, texts::stale_button(lang)).await;
    };
    let target = match ctx.desk.reporter_ticket(reporter.id, to).await {
        Ok(t) if !matches!(t.status, Status::Resolved | Status::Closed) && t.id.0 != from && !text.is_empty() => t,
        Ok(_) | Err(AppError::NotFound(_)) => return say(ctx, chat, texts::stale_button(lang)).await,
        Err(err) => return Err(err.into()),
    };
    ctx.desk.reporter_reply(reporter.id, to, &text).await?;
    ctx.desk
        .comment(TicketId(from), Author::System, &texts::moved_note(&to.key()), true)
        .await?;
    store::save_dialogue(&ctx.pool, telegram_user, &Dialogue::Idle).await?;
    say_about(ctx, chat, texts::moved(lang, &to.key(), &target.title), to).await
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
