//! Presence: who is viewing which ticket and who is typing a reply there, per process, shared between
//! instances by `NOTIFY` (docs/architecture.md, "State: what lives where"; docs/protocol.md, "Presence").
//!
//! One [`Presence`] actor per process holds the table ([`crate::domain::presence`]) of every session
//! viewing a ticket: this process's, and the other instances' as they last announced them. Nothing is
//! stored in PostgreSQL nor written to the event log. WebSocket sessions [`Join`] with their access, say
//! what they [`View`] and when they [`Type`], and [`Leave`] when they close (their entry goes at once).
//! Whenever a ticket's set changes, every local session that may see its queue gets one
//! `ServerMessage::Presence` ([`PresenceFrame`]).
//!
//! Between instances ([`Presence::spawn_cluster`]): each local change is sent at once as a [`Note`] on
//! [`CHANNEL`] (in order, by one task), every instance re-announces all its sessions every
//! [`ANNOUNCE_EVERY`], and an entry another instance announced expires [`REMOTE_TTL`] after its last
//! announcement (an instance that died stops announcing). A reconnected `LISTEN` catches up by the next
//! announcements. Typing is re-announced at most every [`TYPING_REPUBLISH`] per session, however often
//! its client sends `Typing`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix::prelude::*;
use bytestring::ByteString;
use loket_protocol::queue::Access;
use loket_protocol::ticket::AgentRef;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{QueueId, TicketId};
use serde::{Deserialize, Serialize};

use crate::cluster::InstanceId;
use crate::db::Pool;
use crate::domain::lease::SessionKey;
use crate::domain::presence::{Entry, Shown, Table};
use crate::error::AppError;

/// The `LISTEN`/`NOTIFY` channel presence is announced on.
pub const CHANNEL: &str = "loket_presence";
/// How often each instance announces all its sessions' presence again.
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(10);
/// An entry another instance announced goes this long after its last announcement.
pub const REMOTE_TTL: Duration = Duration::from_secs(30);
/// A session's typing is announced to the other instances at most this often.
pub const TYPING_REPUBLISH: Duration = Duration::from_secs(2);
/// How often typing lapses and expired announcements are looked for.
const TICK: Duration = Duration::from_millis(250);
/// A note's payload stays under this (PostgreSQL refuses 8,000 bytes and more).
const NOTE_BYTES: usize = 7_000;
/// After a failed `LISTEN`, how long before trying again.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// A `Presence` frame for one session, serialised once for all.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct PresenceFrame(pub ByteString);

/// A session joins (after reading its access): it is told every ticket's set it may see, then every change.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Join {
    pub session: SessionKey,
    pub access: Access,
    pub recipient: Recipient<PresenceFrame>,
}

/// A session closed: its entry goes at once.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave {
    pub session: SessionKey,
}

/// A session now shows `ticket` (in `queue`, which its agent may see) or no ticket. Answers the
/// ticket's set as the session should be told it (the other sessions are told by the actor).
#[derive(Message)]
#[rtype(result = "Option<ServerMessage>")]
pub struct View {
    pub session: SessionKey,
    pub agent: AgentRef,
    pub ticket: Option<(TicketId, QueueId)>,
}

/// A session's agent typed on `ticket`; `invalid_request` unless the session views it.
#[derive(Message)]
#[rtype(result = "Result<(), AppError>")]
pub struct Type {
    pub session: SessionKey,
    pub ticket: TicketId,
}

/// What one instance tells the others: entries of its sessions (new, changed or re-announced) and
/// sessions that left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct Note {
    pub from: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<NoteEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<u64>,
}

/// One session's entry in a [`Note`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteEntry {
    pub session: u64,
    pub agent: AgentRef,
    pub ticket: TicketId,
    pub queue: QueueId,
    /// How much longer it types, in milliseconds (0: not typing).
    #[serde(default)]
    pub typing_ms: u64,
}

/// Starts announcing to, and hearing from, the other instances.
#[derive(Message)]
#[rtype(result = "()")]
struct Clustered {
    notes: tokio::sync::mpsc::UnboundedSender<String>,
}

struct Local {
    access: Access,
    recipient: Recipient<PresenceFrame>,
    /// When its typing was last announced to the other instances.
    typing_told: Option<Instant>,
}

/// The presence actor. Cheap to clone (an address).
#[derive(Clone)]
pub struct Presence {
    addr: Addr<PresenceActor>,
    instance: InstanceId,
}

impl Presence {
    /// This process's presence, as instance `instance` (`None`: a program without other instances).
    pub fn start(instance: Option<InstanceId>) -> Presence {
        let instance = instance.unwrap_or(InstanceId(0));
        let addr = PresenceActor {
            instance,
            table: Table::default(),
            sessions: HashMap::new(),
            notes: None,
        }
        .start();
        Presence { addr, instance }
    }

    pub fn addr(&self) -> &Addr<PresenceActor> {
        &self.addr
    }

    /// Shares presence with the other instances on `pool`'s database, for as long as the process runs:
    /// one task sends this instance's notes in order, another listens for the others'. Must run inside
    /// an actix system.
    pub fn spawn_cluster(&self, pool: Pool) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let sender_pool = pool.clone();
        actix::spawn(async move {
            while let Some(payload) = rx.recv().await {
                let sent = match sender_pool.get().await {
                    Ok(client) => crate::db::presence::notify(&client, CHANNEL, &payload).await,
                    Err(err) => Err(err.into()),
                };
                if let Err(err) = sent {
                    // The next announcement (at most ANNOUNCE_EVERY away) tells them.
                    tracing::debug!(error = %err, "could not announce presence to the other instances");
                }
            }
        });
        self.addr.do_send(Clustered { notes: tx });
        let (addr, me) = (self.addr.clone(), self.instance.0);
        actix::spawn(async move {
            loop {
                let mut listener = match pool.listen_notes(CHANNEL).await {
                    Ok(listener) => listener,
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot LISTEN for presence; trying again");
                        tokio::time::sleep(LISTEN_RETRY).await;
                        continue;
                    }
                };
                while let Some(payload) = listener.notes.recv().await {
                    match serde_json::from_str::<Note>(&payload) {
                        Ok(note) if note.from != me => addr.do_send(note),
                        Ok(_) => {}
                        Err(err) => tracing::debug!(error = %err, "a presence note that does not read; ignored"),
                    }
                }
                tracing::warn!("the presence LISTEN connection was lost; connecting again");
            }
        });
    }
}

type Key = (InstanceId, SessionKey);

/// See [`Presence`].
pub struct PresenceActor {
    instance: InstanceId,
    table: Table<Key>,
    sessions: HashMap<SessionKey, Local>,
    notes: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

impl Actor for PresenceActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(TICK, |act, _| {
            let now = Instant::now();
            let touched = act.table.expire(now);
            act.tell(touched, None, now);
        });
        ctx.run_interval(ANNOUNCE_EVERY, |act, _| act.announce_all());
    }
}

fn frame(ticket: TicketId, shown: Shown) -> ServerMessage {
    ServerMessage::Presence {
        ticket_id: ticket,
        queue: shown.queue,
        viewers: shown.viewers,
        typing: shown.typing,
    }
}

impl PresenceActor {
    /// Tells local sessions the sets of `touched` that changed (but not `except`'s change to its session).
    fn tell(&mut self, touched: Vec<TicketId>, except: Option<(SessionKey, TicketId)>, now: Instant) {
        for (ticket, shown) in self.table.changes(touched, now) {
            let queue = shown.queue;
            let json = match serde_json::to_string(&frame(ticket, shown)) {
                Ok(json) => ByteString::from(json),
                Err(err) => {
                    tracing::error!(error = %err, "cannot serialise presence");
                    continue;
                }
            };
            for (key, local) in &self.sessions {
                if except == Some((*key, ticket)) || !local.access.admits(queue) {
                    continue;
                }
                // Best effort: a session that stopped reading misses presence (the bus ends it).
                let _ = local.recipient.try_send(PresenceFrame(json.clone()));
            }
        }
    }

    fn note_entry(&self, session: SessionKey, entry: &Entry, now: Instant) -> NoteEntry {
        let typing_ms = entry
            .typing_until
            .map(|until| until.saturating_duration_since(now).as_millis() as u64)
            .unwrap_or(0);
        NoteEntry {
            session: session.0,
            agent: entry.agent.clone(),
            ticket: entry.ticket,
            queue: entry.queue,
            typing_ms,
        }
    }

    /// Sends `entries` and `gone` to the other instances, in notes under [`NOTE_BYTES`].
    fn publish(&self, entries: Vec<NoteEntry>, gone: Vec<u64>) {
        let Some(notes) = &self.notes else { return };
        let from = self.instance.0;
        let mut note = Note {
            from,
            entries: vec![],
            gone,
        };
        let mut size = 64 + note.gone.len() * 21;
        for entry in entries {
            let this = serde_json::to_string(&entry).map(|s| s.len()).unwrap_or(NOTE_BYTES);
            if size + this > NOTE_BYTES && !note.entries.is_empty() {
                let full = std::mem::replace(
                    &mut note,
                    Note {
                        from,
                        entries: vec![],
                        gone: vec![],
                    },
                );
                send_note(notes, &full);
                size = 64;
            }
            size += this + 1;
            note.entries.push(entry);
        }
        if !note.entries.is_empty() || !note.gone.is_empty() {
            send_note(notes, &note);
        }
    }

    fn announce_all(&self) {
        let now = Instant::now();
        let entries = self
            .table
            .entries()
            .filter(|((instance, _), _)| *instance == self.instance)
            .map(|((_, session), entry)| self.note_entry(session, entry, now))
            .collect();
        self.publish(entries, vec![]);
    }

    /// Announces local session `session`'s entry as it is now (or that it has none).
    fn announce(&self, session: SessionKey, now: Instant) {
        match self.table.get((self.instance, session)) {
            Some(entry) => self.publish(vec![self.note_entry(session, entry, now)], vec![]),
            None => self.publish(vec![], vec![session.0]),
        }
    }
}

fn send_note(notes: &tokio::sync::mpsc::UnboundedSender<String>, note: &Note) {
    match serde_json::to_string(note) {
        Ok(json) => {
            let _ = notes.send(json);
        }
        Err(err) => tracing::error!(error = %err, "cannot serialise a presence note"),
    }
}

impl Handler<Join> for PresenceActor {
    type Result = ();

    fn handle(&mut self, msg: Join, _: &mut Self::Context) {
        let now = Instant::now();
        let viewed: Vec<TicketId> = {
            let mut tickets: Vec<TicketId> = self.table.entries().map(|(_, e)| e.ticket).collect();
            tickets.sort();
            tickets.dedup();
            tickets
        };
        for ticket in viewed {
            if let Some(shown) = self.table.current(ticket, now)
                && msg.access.admits(shown.queue)
                && let Ok(json) = serde_json::to_string(&frame(ticket, shown))
            {
                let _ = msg.recipient.try_send(PresenceFrame(json.into()));
            }
        }
        self.sessions.insert(
            msg.session,
            Local {
                access: msg.access,
                recipient: msg.recipient,
                typing_told: None,
            },
        );
    }
}

impl Handler<Leave> for PresenceActor {
    type Result = ();

    fn handle(&mut self, msg: Leave, _: &mut Self::Context) {
        self.sessions.remove(&msg.session);
        let touched = self.table.set((self.instance, msg.session), None);
        if !touched.is_empty() {
            self.announce(msg.session, Instant::now());
        }
        self.tell(touched, None, Instant::now());
    }
}

impl Handler<View> for PresenceActor {
    type Result = MessageResult<View>;

    fn handle(&mut self, msg: View, _: &mut Self::Context) -> Self::Result {
        let now = Instant::now();
        let key = (self.instance, msg.session);
        let entry = msg.ticket.map(|(ticket, queue)| Entry {
            agent: msg.agent,
            ticket,
            queue,
            typing_until: None,
            expires: None,
        });
        let viewed = msg.ticket.map(|(ticket, _)| ticket);
        if self.table.get(key) != entry.as_ref() {
            let touched = self.table.set(key, entry);
            if let Some(local) = self.sessions.get_mut(&msg.session) {
                local.typing_told = None;
            }
            self.announce(msg.session, now);
            self.tell(touched, viewed.map(|t| (msg.session, t)), now);
        }
        // Viewing the same ticket again (the client reconnected, say) changes nothing: only the answer.
        MessageResult(viewed.and_then(|t| self.table.current(t, now).map(|shown| frame(t, shown))))
    }
}

impl Handler<Type> for PresenceActor {
    type Result = Result<(), AppError>;

    fn handle(&mut self, msg: Type, _: &mut Self::Context) -> Self::Result {
        let now = Instant::now();
        let started = self
            .table
            .typing((self.instance, msg.session), msg.ticket, now)
            .map_err(|_| AppError::invalid("send Viewing for this ticket before Typing"))?;
        let due = self.sessions.get_mut(&msg.session).is_none_or(|local| {
            let due = started
                || local
                    .typing_told
                    .is_none_or(|at| now.duration_since(at) >= TYPING_REPUBLISH);
            if due {
                local.typing_told = Some(now);
            }
            due
        });
        if due {
            self.announce(msg.session, now);
        }
        if started {
            self.tell(vec![msg.ticket], None, now);
        }
        Ok(())
    }
}

impl Handler<Note> for PresenceActor {
    type Result = ();

    fn handle(&mut self, note: Note, _: &mut Self::Context) {
        let now = Instant::now();
        let from = InstanceId(note.from);
        let mut touched = Vec::new();
        for entry in note.entries {
            let typing_until = (entry.typing_ms > 0).then(|| now + Duration::from_millis(entry.typing_ms));
            touched.extend(self.table.set(
                (from, SessionKey(entry.session)),
                Some(Entry {
                    agent: entry.agent,
                    ticket: entry.ticket,
                    queue: entry.queue,
                    typing_until,
                    expires: Some(now + REMOTE_TTL),
                }),
            ));
        }
        for session in note.gone {
            touched.extend(self.table.set((from, SessionKey(session)), None));
        }
        touched.sort();
        touched.dedup();
        self.tell(touched, None, now);
    }
}

impl Handler<Clustered> for PresenceActor {
    type Result = ();

    fn handle(&mut self, msg: Clustered, _: &mut Self::Context) {
        self.notes = Some(msg.notes);
        self.announce_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_read_back_and_stay_small() {
        let note = Note {
            from: 5,
            entries: vec![NoteEntry {
                session: 3,
                agent: AgentRef {
                    id: loket_protocol::AgentId(2),
                    name: "Sari".into(),
                },
                ticket: TicketId(9),
                queue: QueueId(1),
                typing_ms: 4_000,
            }],
            gone: vec![4],
        };
        let json = serde_json::to_string(&note).unwrap();
        assert_eq!(serde_json::from_str::<Note>(&json).unwrap(), note);
        let bare: Note = serde_json::from_str(r#"{"from": 5}"#).unwrap();
        assert!(bare.entries.is_empty() && bare.gone.is_empty());
    }
}
