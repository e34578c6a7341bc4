//! One open ticket: the ticket itself, its conversation and history, and the edit session.
//!
//! The edit session is a small state machine. `Viewing` → (Edit) `Locking` → (lock granted) `Editing`.
//! While editing, the agent's [`Draft`] is theirs alone: remote events change the ticket shown beside it,
//! never the draft. A save names the version the draft was based on; a `version_conflict` keeps the
//! draft and records the current ticket so the page can show what changed. If the lock is lost (broken
//! by an admin, or taken by someone after a disconnect), the draft is kept too. So it is when the lock
//! lapses because the agent made no edits for the server's idle time ([`LockState::Lapsed`]): the page
//! warns in the last minute ([`Editing::idle_at`]) and does not take the lock back by itself; the agent
//! takes it again (or saves, which does), and the save is version-checked like any other.

use crate::state::board::apply_to_ticket;
use loket_protocol::api::{Role, TicketDetail};
use loket_protocol::lifecycle;
use loket_protocol::ticket::{
    AgentRef, Attachment, Comment, Field, LockInfo, Notification, Priority, Status, Ticket, TicketChanges, TicketEvent,
    UnlockReason,
};
use loket_protocol::ws::ServerMessage;
use loket_protocol::{AgentId, ApiError, CategoryId, ErrorCode, QueueId, TicketId, Timestamp};
use std::rc::Rc;
use yew::Reducible;

/// The editable fields of a ticket, as the agent is changing them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub title: String,
    pub body: String,
    pub status: Status,
    pub priority: Priority,
    pub assignee_id: Option<AgentId>,
    pub category_id: Option<CategoryId>,
    pub queue_id: QueueId,
}

/// A change the agent makes to one field of their draft.
#[derive(Debug, Clone, PartialEq)]
pub enum DraftEdit {
    Title(String),
    Body(String),
    Status(Status),
    Priority(Priority),
    Assignee(Option<AgentId>),
    Category(Option<CategoryId>),
    Queue(QueueId),
}

impl Draft {
    /// The draft that changes nothing.
    pub fn of(ticket: &Ticket) -> Draft {
        Draft {
            title: ticket.title.clone(),
            body: ticket.body.clone(),
            status: ticket.status,
            priority: ticket.priority,
            assignee_id: ticket.assignee.as_ref().map(|a| a.id),
            category_id: ticket.category.as_ref().map(|c| c.id),
            queue_id: ticket.queue,
        }
    }

    pub fn apply(&mut self, edit: DraftEdit) {
        match edit {
            DraftEdit::Title(v) => self.title = v,
            DraftEdit::Body(v) => self.body = v,
            DraftEdit::Status(v) => self.status = v,
            DraftEdit::Priority(v) => self.priority = v,
            DraftEdit::Assignee(v) => self.assignee_id = v,
            DraftEdit::Category(v) => self.category_id = v,
            DraftEdit::Queue(v) => self.queue_id = v,
        }
    }

    fn same(&self, other: &Draft, field: Field) -> bool {
        match field {
            Field::Title => self.title == other.title,
            Field::Body => self.body == other.body,
            Field::Status => self.status == other.status,
            Field::Priority => self.priority == other.priority,
            Field::Assignee => self.assignee_id == other.assignee_id,
            Field::Category => self.category_id == other.category_id,
            Field::Queue => self.queue_id == other.queue_id,
        }
    }

    /// The fields in which `self` and `other` differ.
    pub fn changed_fields(&self, other: &Draft) -> Vec<Field> {
        Field::ALL.into_iter().filter(|f| !self.same(other, *f)).collect()
    }

    /// The wire change that turns `base` into `self` (only the fields that differ).
    pub fn changes_since(&self, base: &Draft) -> TicketChanges {
        let mut changes = TicketChanges::default();
        for field in self.changed_fields(base) {
            match field {
                Field::Title => changes.title = Some(self.title.clone()),
                Field::Body => changes.body = Some(self.body.clone()),
                Field::Status => changes.status = Some(self.status),
                Field::Priority => changes.priority = Some(self.priority),
                Field::Assignee => changes.assignee_id = Some(self.assignee_id),
                Field::Category => changes.category_id = Some(self.category_id),
                Field::Queue => changes.queue_id = Some(self.queue_id),
            }
        }
        changes
    }

    /// Three-way merge after someone else changed the ticket from `old` to `new`: the fields this draft
    /// changed keep the agent's value, every other field takes the new value.
    pub fn rebase(&self, old: &Draft, new: &Draft) -> Draft {
        let mut merged = new.clone();
        for field in self.changed_fields(old) {
            match field {
                Field::Title => merged.title = self.title.clone(),
                Field::Body => merged.body = self.body.clone(),
                Field::Status => merged.status = self.status,
                Field::Priority => merged.priority = self.priority,
                Field::Assignee => merged.assignee_id = self.assignee_id,
                Field::Category => merged.category_id = self.category_id,
                Field::Queue => merged.queue_id = self.queue_id,
            }
        }
        merged
    }
}

/// Whether this page's connection holds the ticket's lock.
#[derive(Debug, Clone, PartialEq)]
pub enum LockState {
    /// The lock is ours; the page renews it while it is open.
    Held,
    /// We should hold it but lost it to a disconnect; the page is taking it back.
    Retaking { attempts: u32 },
    /// It lapsed: no edits for the idle time. The draft stays; the agent takes the lock again (or saves).
    Lapsed,
    /// Someone else took or broke it. The draft stays; saving tries to take the lock again.
    Lost {
        by: Option<AgentRef>,
        message: Option<String>,
    },
}

/// A save that met a newer version of the ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The ticket as it is now on the server.
    pub theirs: Ticket,
}

/// An edit session in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Editing {
    /// The values the draft started from, at `base_version`.
    pub base: Draft,
    pub base_version: i64,
    pub draft: Draft,
    pub lock: LockState,
    /// The draft being saved, while a save is in flight.
    pub saving: Option<Draft>,
    pub conflict: Option<Conflict>,
    /// The last save's error, other than a conflict.
    pub error: Option<String>,
    /// When the server lets the lock lapse unless the agent edits (from the lock's Ack and our updates).
    pub idle_at: Option<Timestamp>,
}

impl Editing {
    fn start(ticket: &Ticket) -> Editing {
        let base = Draft::of(ticket);
        Editing {
            draft: base.clone(),
            base,
            base_version: ticket.version,
            lock: LockState::Held,
            saving: None,
            conflict: None,
            error: None,
            idle_at: None,
        }
    }

    /// True when the draft differs from what it was based on.
    pub fn dirty(&self) -> bool {
        self.draft != self.base
    }

    /// What Save would send.
    pub fn changes(&self) -> TicketChanges {
        self.draft.changes_since(&self.base)
    }

    /// The statuses the status menu offers `role`, in lifecycle order: the ticket's status as the draft
    /// started from it (keeping it), those the lifecycle lets `role` move it to from there, and the draft's
    /// own choice if it is neither (kept on top of someone else's change), so the menu always shows what
    /// Save would send.
    pub fn status_choices(&self, role: Role) -> Vec<Status> {
        let from = self.base.status;
        let next = lifecycle::next_statuses(from, role);
        Status::ALL
            .into_iter()
            .filter(|to| *to == from || *to == self.draft.status || next.contains(to))
            .collect()
    }
}

/// What the page is doing with the lock.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Viewing,
    /// Edit was pressed; waiting for the lock.
    Locking,
    Editing(Box<Editing>),
}

/// A one-line message for the agent at the top of the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Flash {
    Info(String),
    Error(String),
}

/// Everything the ticket page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketPage {
    pub id: TicketId,
    pub me: AgentRef,
    pub ticket: Option<Ticket>,
    pub comments: Vec<Comment>,
    pub attachments: Vec<Attachment>,
    pub events: Vec<TicketEvent>,
    pub notifications: Vec<Notification>,
    pub load_error: Option<ApiError>,
    pub mode: Mode,
    pub flash: Option<Flash>,
    /// Bumped on every server message about this ticket; the page re-fetches history when it moves.
    pub revision: u64,
    /// A merge into another ticket is in flight: a lock of this agent's on this ticket is the merge's.
    pub merging: bool,
}

/// What can happen on the ticket page.
#[derive(Debug, Clone)]
pub enum TicketAction {
    Loaded(Box<TicketDetail>),
    LoadFailed(ApiError),
    EventsLoaded(Vec<TicketEvent>),
    Server {
        msg: Rc<ServerMessage>,
        at: Timestamp,
    },
    /// The agent pressed Edit (a `LockTicket` is on its way).
    EditRequested,
    /// A `LockTicket` (take or renewal) was granted; the lock lapses at `idle_at` unless the agent edits.
    LockGranted {
        idle_at: Option<Timestamp>,
    },
    LockRefused(ApiError),
    /// The connection came back: re-take a lock we held.
    Reconnected,
    Edit(DraftEdit),
    SaveStarted {
        sent: Draft,
    },
    SaveAcked {
        version: i64,
    },
    SaveFailed(ApiError),
    /// "Assign to me" was refused (nothing changed).
    AssignRefused(ApiError),
    /// After a conflict: keep the agent's changes on top of the current ticket.
    KeepDraft,
    /// After a conflict: drop the draft and take the current ticket.
    DiscardDraft,
    /// The agent released the lock (an `UnlockTicket` is on its way).
    Released,
    /// "Merge into…" confirmed: the locks are being taken and the merge sent.
    MergeStarted,
    /// The merge is over: into this ticket (the locks given back), or refused (`None`; nothing changed).
    MergeEnded {
        into: Option<TicketId>,
    },
    DismissFlash,
}

impl TicketPage {
    pub fn new(id: TicketId, me: AgentRef) -> TicketPage {
        TicketPage {
            id,
            me,
            ticket: None,
            comments: Vec::new(),
            attachments: Vec::new(),
            events: Vec::new(),
            notifications: Vec::new(),
            load_error: None,
            mode: Mode::Viewing,
            flash: None,
            revision: 0,
            merging: false,
        }
    }

    /// The edit session, if any.
    pub fn editing(&self) -> Option<&Editing> {
        match &self.mode {
            Mode::Editing(editing) => Some(editing.as_ref()),
            _ => None,
        }
    }

    /// The lock as the server last told us, when someone other than this page holds it.
    pub fn foreign_lock(&self) -> Option<&LockInfo> {
        let lock = self.ticket.as_ref()?.lock.as_ref()?;
        let ours =
            lock.holder.id == self.me.id && (self.merging || matches!(self.mode, Mode::Editing(_) | Mode::Locking));
        (!ours).then_some(lock)
    }

    /// True when the ticket moved on since the draft was started (a save will conflict).
    pub fn draft_is_stale(&self) -> bool {
        match (&self.mode, &self.ticket) {
            (Mode::Editing(editing), Some(ticket)) => ticket.version > editing.base_version,
            _ => false,
        }
    }

    pub fn apply(&mut self, action: TicketAction) {
        match action {
            TicketAction::Loaded(detail) => self.loaded(*detail),
            TicketAction::LoadFailed(error) => {
                if self.ticket.is_none() {
                    self.load_error = Some(error);
                } else {
                    self.flash = Some(Flash::Error(error.message));
                }
            }
            TicketAction::EventsLoaded(events) => self.events = events,
            TicketAction::Server { msg, at } => self.server(&msg, at),
            TicketAction::EditRequested => {
                if self.mode == Mode::Viewing {
                    self.mode = Mode::Locking;
                    self.flash = None;
                }
            }
            TicketAction::LockGranted { idle_at } => match &mut self.mode {
                Mode::Locking => {
                    if let Some(ticket) = &self.ticket {
                        let mut editing = Editing::start(ticket);
                        editing.idle_at = idle_at;
                        self.mode = Mode::Editing(Box::new(editing));
                    }
                }
                Mode::Editing(editing) => {
                    editing.lock = LockState::Held;
                    editing.idle_at = idle_at.or(editing.idle_at);
                }
                Mode::Viewing => {}
            },
            TicketAction::LockRefused(error) => self.lock_refused(error),
            TicketAction::AssignRefused(error) => {
                let key = self.ticket.as_ref().map(|t| t.key.clone()).unwrap_or_default();
                self.flash = Some(Flash::Error(crate::take::refusal_text(&error, &key)));
            }
            TicketAction::Reconnected => {
                if let Mode::Editing(editing) = &mut self.mode
                    && !matches!(editing.lock, LockState::Lost { .. } | LockState::Lapsed)
                {
                    editing.lock = LockState::Retaking { attempts: 0 };
                }
                if self.mode == Mode::Locking {
                    self.mode = Mode::Viewing;
                }
            }
            TicketAction::Edit(edit) => {
                if let Mode::Editing(editing) = &mut self.mode {
                    editing.draft.apply(edit);
                    editing.error = None;
                }
            }
            TicketAction::SaveStarted { sent } => {
                if let Mode::Editing(editing) = &mut self.mode {
                    editing.saving = Some(sent);
                    editing.error = None;
                }
            }
            TicketAction::SaveAcked { version } => {
                if let Mode::Editing(editing) = &mut self.mode
                    && let Some(sent) = editing.saving.take()
                {
                    editing.base = sent;
                    editing.base_version = version;
                    editing.conflict = None;
                    self.flash = Some(Flash::Info("Saved.".to_string()));
                }
            }
            TicketAction::SaveFailed(error) => self.save_failed(error),
            TicketAction::KeepDraft => {
                if let Mode::Editing(editing) = &mut self.mode
                    && let Some(conflict) = editing.conflict.take()
                {
                    let theirs = Draft::of(&conflict.theirs);
                    editing.draft = editing.draft.rebase(&editing.base, &theirs);
                    editing.base = theirs;
                    editing.base_version = conflict.theirs.version;
                }
            }
            TicketAction::DiscardDraft => {
                if let Mode::Editing(editing) = &mut self.mode
                    && let Some(conflict) = editing.conflict.take()
                {
                    editing.base = Draft::of(&conflict.theirs);
                    editing.draft = editing.base.clone();
                    editing.base_version = conflict.theirs.version;
                }
            }
            TicketAction::Released => self.mode = Mode::Viewing,
            TicketAction::MergeStarted => {
                self.merging = true;
                self.flash = None;
            }
            TicketAction::MergeEnded { into } => {
                self.merging = false;
                if let Some(into) = into {
                    // Merged: the duplicate is closed, and both locks were given back.
                    self.mode = Mode::Viewing;
                    self.flash = Some(Flash::Info(format!(
                        "Merged into {}: its page now carries this ticket's comments, files and reporter.",
                        into.key()
                    )));
                }
            }
            TicketAction::DismissFlash => self.flash = None,
        }
    }

    fn loaded(&mut self, detail: TicketDetail) {
        let fresh = detail.ticket;
        let keep_ours = self.ticket.as_ref().is_some_and(|held| held.version > fresh.version);
        if !keep_ours {
            self.ticket = Some(fresh);
        }
        if self.ticket.as_ref().is_some_and(|t| t.merged_into.is_some()) {
            // A merged duplicate keeps nothing: what it had is the survivor's now.
            self.comments.clear();
            self.attachments.clear();
        }
        for comment in detail.comments {
            if !self.comments.iter().any(|c| c.id == comment.id) {
                self.comments.push(comment);
            }
        }
        self.comments.sort_by_key(|c| (c.created_at, c.id));
        // Attachments are never removed: one that arrived live survives a reload that started before it.
        for attachment in detail.attachments {
            self.add_attachment(attachment);
        }
        self.events = detail.events;
        self.notifications = detail.notifications;
        self.load_error = None;
    }

    fn server(&mut self, msg: &ServerMessage, at: Timestamp) {
        if msg.ticket_id() != Some(self.id) {
            return;
        }
        self.revision += 1;
        match msg {
            ServerMessage::CommentAdded { comment, .. } => {
                if !self.comments.iter().any(|c| c.id == comment.id) {
                    self.comments.push(comment.clone());
                }
                if let Some(ticket) = &mut self.ticket {
                    apply_to_ticket(ticket, msg, at);
                }
            }
            ServerMessage::AttachmentAdded { attachment, .. } => self.add_attachment(attachment.clone()),
            ServerMessage::TicketCreated { ticket, .. } if self.ticket.is_none() => self.ticket = Some(ticket.clone()),
            other => {
                if let Some(ticket) = &mut self.ticket {
                    let was_merged = ticket.merged_into.is_some();
                    apply_to_ticket(ticket, other, at);
                    if !was_merged && ticket.merged_into.is_some() {
                        // Merged: its comments and files moved to the survivor with it.
                        self.comments.clear();
                        self.attachments.clear();
                    }
                }
            }
        }
        let Mode::Editing(editing) = &mut self.mode else { return };
        match msg {
            ServerMessage::TicketLocked { holder, .. } if holder.id != self.me.id => {
                editing.lock = LockState::Lost {
                    by: Some(holder.clone()),
                    message: None,
                };
            }
            ServerMessage::TicketUnlocked {
                reason: UnlockReason::Broken,
                by,
                message,
                ..
            } => {
                editing.lock = LockState::Lost {
                    by: by.clone(),
                    message: message.clone(),
                };
            }
            // We made no edits for the idle time: the draft stays, and the agent decides to take it again.
            ServerMessage::TicketUnlocked {
                reason: UnlockReason::Idle,
                ..
            } if editing.lock == LockState::Held => {
                editing.lock = LockState::Lapsed;
                editing.idle_at = None;
            }
            // Our lease ended without anyone taking it (a disconnect, an expiry): take it back.
            ServerMessage::TicketUnlocked { .. } if editing.lock == LockState::Held => {
                editing.lock = LockState::Retaking { attempts: 0 };
            }
            // Our own update moved the idle deadline; the broadcast carries it.
            ServerMessage::TicketUpdated { ticket, .. }
                if ticket
                    .lock
                    .as_ref()
                    .is_some_and(|l| l.holder.id == self.me.id && l.idle_at.is_some())
                    && editing.lock == LockState::Held =>
            {
                editing.idle_at = ticket.lock.as_ref().and_then(|l| l.idle_at);
                if ticket.version == editing.base_version {
                    let fresh = Draft::of(ticket);
                    if editing.draft == editing.base {
                        editing.draft = fresh.clone();
                    }
                    editing.base = fresh;
                }
            }
            ServerMessage::TicketUpdated { ticket, .. } if ticket.version == editing.base_version => {
                // The server's view of the version we are based on (e.g. our own save, normalised).
                let fresh = Draft::of(ticket);
                if editing.draft == editing.base {
                    editing.draft = fresh.clone();
                }
                editing.base = fresh;
            }
            _ => {}
        }
    }

    /// Adds `attachment` to the list (once, in id order) and to its comment's files.
    fn add_attachment(&mut self, attachment: Attachment) {
        if let Some(comment_id) = attachment.comment_id
            && let Some(comment) = self.comments.iter_mut().find(|c| c.id == comment_id)
            && !comment.attachments.contains(&attachment.id)
        {
            comment.attachments.push(attachment.id);
            comment.attachments.sort();
        }
        match self.attachments.binary_search_by_key(&attachment.id, |a| a.id) {
            Ok(_) => {}
            Err(at) => self.attachments.insert(at, attachment),
        }
    }

    fn lock_refused(&mut self, error: ApiError) {
        match &mut self.mode {
            Mode::Locking => {
                self.mode = Mode::Viewing;
                self.flash = Some(Flash::Error(match (&error.code, &error.holder) {
                    (ErrorCode::TicketLocked, Some(holder)) if holder.id == self.me.id => {
                        "You are already editing this ticket in another window.".to_string()
                    }
                    (ErrorCode::TicketLocked, Some(holder)) => format!("{} is editing this ticket.", holder.name),
                    _ => error.message,
                }));
            }
            Mode::Editing(editing) => {
                editing.lock = match (error.code, error.holder) {
                    // Our own previous connection still holds it until the server notices it is gone.
                    (ErrorCode::TicketLocked, Some(holder)) if holder.id == self.me.id => {
                        let attempts = match editing.lock {
                            LockState::Retaking { attempts } => attempts + 1,
                            _ => 1,
                        };
                        LockState::Retaking { attempts }
                    }
                    (ErrorCode::TicketLocked, holder) => LockState::Lost {
                        by: holder,
                        message: None,
                    },
                    (ErrorCode::Unavailable, _) => LockState::Retaking { attempts: 0 },
                    (_, _) => LockState::Lost {
                        by: None,
                        message: Some(error.message),
                    },
                };
            }
            Mode::Viewing => {}
        }
    }

    fn save_failed(&mut self, error: ApiError) {
        let Mode::Editing(editing) = &mut self.mode else { return };
        editing.saving = None;
        match error.code {
            ErrorCode::VersionConflict => {
                if let Some(theirs) = error.ticket {
                    let newer = self.ticket.as_ref().is_none_or(|held| theirs.version >= held.version);
                    if newer {
                        let lock = self.ticket.as_ref().and_then(|t| t.lock.clone());
                        let mut current = (*theirs).clone();
                        if current.lock.is_none() {
                            current.lock = lock;
                        }
                        self.ticket = Some(current);
                    }
                    editing.conflict = Some(Conflict { theirs: *theirs });
                } else {
                    editing.error = Some(error.message);
                }
            }
            ErrorCode::TicketLocked => {
                editing.error = Some(match &error.holder {
                    Some(holder) => format!("Not saved: {} holds the lock now.", holder.name),
                    None => "Not saved: someone else holds the lock now.".to_string(),
                });
                editing.lock = LockState::Lost {
                    by: error.holder,
                    message: None,
                };
            }
            ErrorCode::NotLockHolder => {
                editing.error = Some("Not saved: this window no longer holds the lock.".to_string());
                if !matches!(editing.lock, LockState::Lost { .. }) {
                    editing.lock = LockState::Retaking { attempts: 0 };
                }
            }
            _ => editing.error = Some(format!("Not saved: {}", error.message)),
        }
    }
}

impl Reducible for TicketPage {
    type Action = TicketAction;

    fn reduce(self: Rc<Self>, action: TicketAction) -> Rc<Self> {
        let mut this = self;
        Rc::make_mut(&mut this).apply(action);
        this
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::{agent, at, ticket};
    use loket_protocol::ticket::Author;
    use loket_protocol::{AttachmentId, CommentId};

    fn detail(ticket: Ticket) -> Box<TicketDetail> {
        Box::new(TicketDetail {
            ticket,
            comments: vec![],
            attachments: vec![],
            events: vec![],
            notifications: vec![],
        })
    }

    fn page() -> TicketPage {
        let mut page = TicketPage::new(TicketId(1), agent(2, "Budi"));
        page.apply(TicketAction::Loaded(detail(ticket(1))));
        page
    }

    fn editing_page() -> TicketPage {
        let mut page = page();
        page.apply(TicketAction::EditRequested);
        assert_eq!(page.mode, Mode::Locking);
        page.apply(TicketAction::LockGranted { idle_at: None });
        page
    }

    fn server(page: &mut TicketPage, msg: ServerMessage) {
        page.apply(TicketAction::Server {
            msg: Rc::new(msg),
            at: at(60),
        });
    }

    fn comment(id: i64, body: &str) -> Comment {
        Comment {
            id: CommentId(id),
            ticket_id: TicketId(1),
            author: Author::Agent {
                id: AgentId(1),
                name: "Ayu".into(),
            },
            body: body.into(),
            internal: false,
            created_at: at(id),
            attachments: vec![],
        }
    }

    fn locked_error(holder: AgentRef) -> ApiError {
        ApiError {
            holder: Some(holder),
            ..ApiError::new(ErrorCode::TicketLocked, "locked")
        }
    }

    #[test]
    fn a_merges_own_lock_is_not_someone_elses_and_a_done_merge_ends_the_edit() {
        let mut page = page();
        page.apply(TicketAction::MergeStarted);
        if let Some(t) = &mut page.ticket {
            t.lock = Some(LockInfo {
                holder: agent(2, "Budi"),
                expires_at: at(90),
                since: Some(at(1)),
                idle_at: None,
            });
        }
        assert!(page.foreign_lock().is_none(), "the merge's own lock");
        page.apply(TicketAction::MergeEnded { into: None });
        assert!(
            page.foreign_lock().is_some(),
            "after the merge, a lock of Budi's is another window's"
        );
        assert_eq!(page.flash, None, "a refusal is shown in the dialog");

        let mut page = editing_page();
        page.apply(TicketAction::MergeStarted);
        page.apply(TicketAction::MergeEnded { into: None });
        assert!(page.editing().is_some(), "refused: still editing, the lock kept");
        page.apply(TicketAction::MergeStarted);
        page.apply(TicketAction::MergeEnded {
            into: Some(TicketId(41)),
        });
        assert_eq!(page.mode, Mode::Viewing);
        assert!(matches!(&page.flash, Some(Flash::Info(text)) if text.starts_with("Merged into TKT-0041")));

        // The duplicate's update moves its conversation away with it.
        page.apply(TicketAction::Server {
            msg: Rc::new(ServerMessage::CommentAdded {
                ticket_id: TicketId(1),
                comment: comment(5, "Sudah tiga malam gelap"),
                queue: QueueId::ORIGINAL,
                sla: None,
                position: 3,
                sla: None,
            }),
            at: at(5),
        });
        assert_eq!(page.comments.len(), 1);
        let mut merged = ticket(1);
        merged.status = Status::Closed;
        merged.merged_into = Some(TicketId(41));
        merged.version = 2;
        server(
            &mut page,
            ServerMessage::TicketUpdated {
                ticket: merged,
                previous: None,
                position: 4,
            },
        );
        assert!(page.comments.is_empty(), "the comments are the survivor's now");
    }

    #[test]
    fn edit_starts_from_the_current_ticket_once_the_lock_is_granted() {
        let page = editing_page();
        let editing = page.editing().expect("editing");
        assert_eq!(editing.lock, LockState::Held);
        assert_eq!(editing.base_version, 1);
        assert!(!editing.dirty());
        assert!(editing.changes().is_empty());
    }

    #[test]
    fn the_status_menu_offers_only_what_the_lifecycle_allows() {
        let mut page = editing_page();
        let choices = |page: &TicketPage, role| page.editing().unwrap().status_choices(role);
        // A new ticket: an agent may only open it; an admin may also close it.
        assert_eq!(choices(&page, Role::Agent), vec![Status::New, Status::Open]);
        assert_eq!(
            choices(&page, Role::Admin),
            vec![Status::New, Status::Open, Status::Closed]
        );
        // Choosing one keeps the menu: it follows the status the draft started from.
        page.apply(TicketAction::Edit(DraftEdit::Status(Status::Open)));
        assert_eq!(choices(&page, Role::Agent), vec![Status::New, Status::Open]);
        // Saved: the ticket is open now, and the menu moves on with it (no shortcut to resolved).
        let sent = page.editing().unwrap().draft.clone();
        page.apply(TicketAction::SaveStarted { sent });
        page.apply(TicketAction::SaveAcked { version: 2 });
        assert_eq!(choices(&page, Role::Agent), vec![Status::Open, Status::Pending]);
        assert_eq!(
            choices(&page, Role::Admin),
            vec![Status::Open, Status::Pending, Status::Closed]
        );
        for role in [Role::Agent, Role::Admin] {
            assert!(!choices(&page, role).contains(&Status::Resolved), "{role:?}");
        }
    }

    #[test]
    fn a_draft_status_kept_on_top_of_theirs_stays_in_the_menu() {
        let mut page = editing_page();
        page.apply(TicketAction::Edit(DraftEdit::Status(Status::Open)));
        page.apply(TicketAction::SaveStarted {
            sent: page.editing().unwrap().draft.clone(),
        });
        page.apply(TicketAction::SaveAcked { version: 2 });
        page.apply(TicketAction::Edit(DraftEdit::Status(Status::Pending)));
        page.apply(TicketAction::SaveStarted {
            sent: page.editing().unwrap().draft.clone(),
        });
        // Meanwhile someone else resolved it: pending is no move from resolved.
        let mut theirs = ticket(1);
        theirs.version = 3;
        theirs.status = Status::Resolved;
        page.apply(TicketAction::SaveFailed(ApiError {
            ticket: Some(Box::new(theirs)),
            ..ApiError::new(ErrorCode::VersionConflict, "changed")
        }));
        page.apply(TicketAction::KeepDraft);
        let editing = page.editing().unwrap();
        assert_eq!(editing.draft.status, Status::Pending);
        assert_eq!(
            editing.status_choices(Role::Agent),
            vec![Status::Open, Status::Pending, Status::Resolved, Status::Closed],
            "resolved's own moves, plus the draft's choice so the menu shows what Save sends"
        );
    }

    #[test]
    fn a_refused_assign_to_me_says_why_and_leaves_the_page_viewing() {
        let mut page = page();
        page.apply(TicketAction::AssignRefused(locked_error(agent(1, "Ayu"))));
        assert_eq!(page.mode, Mode::Viewing);
        assert_eq!(
            page.flash,
            Some(Flash::Error("TKT-0001 is being edited by Ayu.".into()))
        );
    }

    #[test]
    fn a_refused_lock_says_who_holds_it() {
        let mut page = page();
        page.apply(TicketAction::EditRequested);
        page.apply(TicketAction::LockRefused(locked_error(agent(1, "Ayu"))));
        assert_eq!(page.mode, Mode::Viewing);
        assert_eq!(page.flash, Some(Flash::Error("Ayu is editing this ticket.".into())));
    }

    #[test]
    fn changes_contain_only_edited_fields_and_null_clears() {
        let mut page = editing_page();
        page.apply(TicketAction::Edit(DraftEdit::Status(Status::Open)));
        page.apply(TicketAction::Edit(DraftEdit::Category(None)));
        let changes = page.editing().unwrap().changes();
        assert_eq!(changes.status, Some(Status::Open));
        assert_eq!(changes.title, None);
        assert_eq!(changes.category_id, None, "category was already empty");
        page.apply(TicketAction::Edit(DraftEdit::Assignee(Some(AgentId(2)))));
        page.apply(TicketAction::Edit(DraftEdit::Assignee(None)));
        assert_eq!(page.editing().unwrap().changes().assignee_id, None);
    }

    #[test]
    fn remote_events_never_touch_the_draft() {
        let mut page = editing_page();
        page.apply(TicketAction::Edit(DraftEdit::Title("My better title".into())));
        let mut theirs = ticket(1);
        theirs.version = 2;
        theirs.title = "Their title".into();
        server(
            &mut page,
            ServerMessage::TicketUpdated {
                ticket: theirs,
                previous: None,
                position: 0,
            },
        );
        assert_eq!(page.ticket.as_ref().unwrap().title, "Their title");
        assert_eq!(page.editing().unwrap().draft.title, "My better title");
        assert!(page.draft_is_stale());
        server(
            &mut page,
            ServerMessage::CommentAdded {
                ticket_id: TicketId(1),
                queue: loket_protocol::QueueId::ORIGINAL,
                comment: comment(5, "hi"),
                position: 0,
                sla: None,
            },
        );
        assert_eq!(page.editing().unwrap().draft.title, "My better title");
        assert_eq!(page.comments.len(), 1);
    }

    #[test]
    fn a_save_rebases_the_draft_on_the_new_version() {
        let mut page = editing_page();
        page.apply(TicketAction::Edit(DraftEdit::Status(Status::Open)));
        let sent = page.editing().unwrap().draft.clone();
        page.apply(TicketAction::SaveStarted { sent });
        page.apply(TicketAction::SaveAcked { version: 2 });
        let editing = page.editing().unwrap();
        assert_eq!(editing.base_version, 2);
        assert!(!editing.dirty());
        assert_eq!(editing.lock, LockState::Held, "saving keeps the lock");
    }

    #[test]
    fn a_conflict_keeps_the_draft_and_can_be_merged() {
        let mut page = editing_page();
        page.apply(TicketAction::Edit(DraftEdit::Priority(Priority::Urgent)));
        page.apply(TicketAction::Edit(DraftEdit::Title("Printer jam, floor 2".into())));
        let sent = page.editing().unwrap().draft.clone();
        page.apply(TicketAction::SaveStarted { sent });
        let mut theirs = ticket(1);
        theirs.version = 3;
        theirs.status = Status::Pending;
        theirs.title = "Their title".into();
        let error = ApiError {
            ticket: Some(Box::new(theirs.clone())),
            ..ApiError::new(ErrorCode::VersionConflict, "changed")
        };
        page.apply(TicketAction::SaveFailed(error));
        let editing = page.editing().unwrap();
        assert_eq!(editing.conflict.as_ref().unwrap().theirs.version, 3);
        assert_eq!(editing.draft.priority, Priority::Urgent, "draft intact");
        assert_eq!(editing.draft.title, "Printer jam, floor 2");
        assert_eq!(page.ticket.as_ref().unwrap().status, Status::Pending);

        page.apply(TicketAction::KeepDraft);
        let editing = page.editing().unwrap();
        assert_eq!(editing.conflict, None);
        assert_eq!(editing.base_version, 3);
        // Their status change survives, the agent's own edits win where they edited.
        assert_eq!(editing.draft.status, Status::Pending);
        assert_eq!(editing.draft.priority, Priority::Urgent);
        assert_eq!(editing.draft.title, "Printer jam, floor 2");
        let changes = editing.changes();
        assert_eq!(changes.status, None);
        assert_eq!(changes.priority, Some(Priority::Urgent));
    }

    #[test]
    fn discarding_after_a_conflict_takes_theirs() {
        let mut page = editing_page();
        page.apply(TicketAction::Edit(DraftEdit::Priority(Priority::Low)));
        page.apply(TicketAction::SaveStarted {
            sent: page.editing().unwrap().draft.clone(),
        });
        let mut theirs = ticket(1);
        theirs.version = 2;
        theirs.priority = Priority::High;
        page.apply(TicketAction::SaveFailed(ApiError {
            ticket: Some(Box::new(theirs)),
            ..ApiError::new(ErrorCode::VersionConflict, "changed")
        }));
        page.apply(TicketAction::DiscardDraft);
        let editing = page.editing().unwrap();
        assert_eq!(editing.draft.priority, Priority::High);
        assert!(!editing.dirty());
    }

    #[test]
    fn a_broken_lock_keeps_the_draft() {
        let mut page = editing_page();
        page.apply(TicketAction::Edit(DraftEdit::Body("half-written".into())));
        server(
            &mut page,
            ServerMessage::TicketUnlocked {
                ticket_id: TicketId(1),
                queue: loket_protocol::QueueId::ORIGINAL,
                reason: UnlockReason::Broken,
                by: Some(agent(1, "Ayu")),
                message: Some("needed urgently".into()),
                position: 0,
            },
        );
        let editing = page.editing().unwrap();
        assert_eq!(
            editing.lock,
            LockState::Lost {
                by: Some(agent(1, "Ayu")),
                message: Some("needed urgently".into())
            }
        );
        assert_eq!(editing.draft.body, "half-written");
        // Someone else taking it also counts as lost.
        server(
            &mut page,
            ServerMessage::TicketLocked {
                ticket_id: TicketId(1),
                queue: loket_protocol::QueueId::ORIGINAL,
                holder: agent(1, "Ayu"),
                expires_at: at(90),
                since: None,
                position: 0,
            },
        );
        assert!(matches!(
            page.editing().unwrap().lock,
            LockState::Lost { by: Some(_), .. }
        ));
        assert_eq!(page.foreign_lock().map(|l| l.holder.name.as_str()), Some("Ayu"));
    }

    #[test]
    fn an_idle_lapse_keeps_the_draft_and_waits_for_the_agent() {
        let mut page = page();
        page.apply(TicketAction::EditRequested);
        page.apply(TicketAction::LockGranted { idle_at: Some(at(600)) });
        assert_eq!(page.editing().unwrap().idle_at, Some(at(600)));
        page.apply(TicketAction::Edit(DraftEdit::Title("Half typed".into())));
        // "Keep editing" (a renewal) moves the deadline.
        page.apply(TicketAction::LockGranted { idle_at: Some(at(900)) });
        assert_eq!(page.editing().unwrap().idle_at, Some(at(900)));
        server(
            &mut page,
            ServerMessage::TicketUnlocked {
                ticket_id: TicketId(1),
                queue: loket_protocol::QueueId::ORIGINAL,
                reason: UnlockReason::Idle,
                by: None,
                message: None,
                position: 3,
            },
        );
        let editing = page.editing().expect("still editing");
        assert_eq!(editing.lock, LockState::Lapsed);
        assert_eq!(editing.draft.title, "Half typed");
        // Not taken back by itself, not even after a reconnect: the agent decides.
        page.apply(TicketAction::Reconnected);
        assert_eq!(page.editing().unwrap().lock, LockState::Lapsed);
        page.apply(TicketAction::LockGranted {
            idle_at: Some(at(1500)),
        });
        let editing = page.editing().unwrap();
        assert_eq!(
            (editing.lock.clone(), editing.draft.title.as_str()),
            (LockState::Held, "Half typed")
        );
    }

    #[test]
    fn after_a_reconnect_the_lock_is_retaken() {
        let mut page = editing_page();
        page.apply(TicketAction::Reconnected);
        assert_eq!(page.editing().unwrap().lock, LockState::Retaking { attempts: 0 });
        // Our old connection still holds it for a moment: keep trying.
        page.apply(TicketAction::LockRefused(locked_error(agent(2, "Budi"))));
        assert_eq!(page.editing().unwrap().lock, LockState::Retaking { attempts: 1 });
        page.apply(TicketAction::LockGranted { idle_at: None });
        assert_eq!(page.editing().unwrap().lock, LockState::Held);
        // A lapsed lease (disconnect) is also taken back.
        server(
            &mut page,
            ServerMessage::TicketUnlocked {
                ticket_id: TicketId(1),
                queue: loket_protocol::QueueId::ORIGINAL,
                reason: UnlockReason::Disconnected,
                by: None,
                message: None,
                position: 0,
            },
        );
        assert_eq!(page.editing().unwrap().lock, LockState::Retaking { attempts: 0 });
    }

    #[test]
    fn messages_about_other_tickets_are_ignored() {
        let mut page = page();
        server(
            &mut page,
            ServerMessage::CommentAdded {
                ticket_id: TicketId(9),
                queue: loket_protocol::QueueId::ORIGINAL,
                comment: comment(1, "x"),
                position: 0,
                sla: None,
            },
        );
        assert!(page.comments.is_empty());
        assert_eq!(page.revision, 0);
    }

    #[test]
    fn reloading_merges_comments_and_keeps_newer_tickets() {
        let mut page = page();
        server(
            &mut page,
            ServerMessage::CommentAdded {
                ticket_id: TicketId(1),
                queue: loket_protocol::QueueId::ORIGINAL,
                comment: comment(2, "live"),
                position: 0,
                sla: None,
            },
        );
        let mut newer = ticket(1);
        newer.version = 4;
        server(
            &mut page,
            ServerMessage::TicketUpdated {
                ticket: newer,
                previous: None,
                position: 0,
            },
        );
        let mut stale = TicketDetail {
            ticket: ticket(1),
            comments: vec![comment(1, "first"), comment(2, "live")],
            attachments: vec![],
            events: vec![],
            notifications: vec![],
        };
        stale.ticket.version = 3;
        page.apply(TicketAction::Loaded(Box::new(stale)));
        assert_eq!(page.ticket.as_ref().unwrap().version, 4);
        let ids: Vec<i64> = page.comments.iter().map(|c| c.id.0).collect();
        assert_eq!(ids, vec![1, 2]);
    }

    fn attachment(id: i64, comment: Option<i64>) -> Attachment {
        Attachment {
            id: AttachmentId(id),
            ticket_id: TicketId(1),
            file_name: format!("photo-{id}.jpg"),
            content_type: "image/jpeg".into(),
            size_bytes: 28,
            url: format!("/api/attachments/{id}"),
            created_at: at(id),
            comment_id: comment.map(CommentId),
        }
    }

    #[test]
    fn live_attachments_join_the_list_and_their_comment_once() {
        let mut page = page();
        server(
            &mut page,
            ServerMessage::CommentAdded {
                ticket_id: TicketId(1),
                queue: loket_protocol::QueueId::ORIGINAL,
                comment: comment(4, "Now it is worse"),
                position: 0,
                sla: None,
            },
        );
        let added = |id, comment| ServerMessage::AttachmentAdded {
            ticket_id: TicketId(1),
            queue: loket_protocol::QueueId::ORIGINAL,
            attachment: attachment(id, comment),
            position: 0,
        };
        server(&mut page, added(8, Some(4)));
        server(&mut page, added(7, None));
        server(&mut page, added(8, Some(4)));
        let ids: Vec<i64> = page.attachments.iter().map(|a| a.id.0).collect();
        assert_eq!(ids, vec![7, 8], "in id order, each once");
        assert_eq!(page.comments[0].attachments, vec![AttachmentId(8)]);
        assert_eq!(page.revision, 4, "the history is fetched again");

        // A reload that started before the live event does not lose it.
        let mut stale = detail(ticket(1));
        stale.attachments = vec![attachment(7, None)];
        page.apply(TicketAction::Loaded(stale));
        assert_eq!(page.attachments.len(), 2);

        // Another ticket's file is not ours.
        server(
            &mut page,
            ServerMessage::AttachmentAdded {
                ticket_id: TicketId(9),
                queue: loket_protocol::QueueId::ORIGINAL,
                attachment: Attachment {
                    ticket_id: TicketId(9),
                    ..attachment(10, None)
                },
                position: 0,
            },
        );
        assert_eq!(page.attachments.len(), 2);
    }

    #[test]
    fn my_lock_is_not_foreign_while_editing_but_is_from_another_window() {
        let mut page = editing_page();
        server(
            &mut page,
            ServerMessage::TicketLocked {
                ticket_id: TicketId(1),
                queue: loket_protocol::QueueId::ORIGINAL,
                holder: agent(2, "Budi"),
                expires_at: at(90),
                since: None,
                position: 0,
            },
        );
        assert!(page.foreign_lock().is_none());
        page.apply(TicketAction::Released);
        assert!(page.foreign_lock().is_some(), "a lock of mine this page does not hold");
    }
}
