//! Edit locks as leases: who may take, renew, use, release and break a ticket's lock.
//!
//! A lease belongs to one holder reaching Loket [`Via`] one channel: an agent's WebSocket session, or (for
//! a single scripted change or a short REST lock) the agent through REST. The lease is authoritative until the ticket actor commits
//! its end; an expiry is an event the actor processes, so every decision here is made against the
//! lease as it stands.
//!
//! With several instances the lease is a row in PostgreSQL (`db::leases`): the actor builds its
//! [`LockState`] from the live row, read in the transaction that acts on it, and decides with the rules
//! here; the row's fencing token ([`Lease::token`]) names the lease in every later statement.
//!
//! Besides its expiry (renewed by the holder's heartbeat), every lease has an idle deadline
//! ([`Lease::idle_at`]): an editor who leaves a tab open without editing loses the lock when it passes
//! (reason `idle`), so an abandoned tab cannot block colleagues for hours. Only activity pushes it (taking
//! the lock, the holder asking for it again, an update or a comment by the holder); heartbeats do not.

use chrono::Duration;
use loket_protocol::Timestamp;
use loket_protocol::ticket::{AgentRef, LockInfo};

/// How long leases last before they must be renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTerms {
    /// WebSocket sessions: renewed by every heartbeat, so it must be longer than the heartbeat interval.
    pub session: Duration,
    /// REST locks: renewed only by taking the lock again.
    pub rest: Duration,
    /// Any lock: how long it lasts without activity by its holder, whatever the heartbeat does.
    pub idle: Duration,
}

impl Default for LeaseTerms {
    fn default() -> Self {
        LeaseTerms {
            session: Duration::seconds(30),
            rest: Duration::seconds(120),
            idle: Duration::seconds(600),
        }
    }
}

impl LeaseTerms {
    /// The term of a lease taken `via` this channel.
    pub fn for_via(&self, via: Via) -> Duration {
        match via {
            Via::Session(_) | Via::Elsewhere => self.session,
            Via::Rest => self.rest,
        }
    }
}

/// Identifies one WebSocket session for the lifetime of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey(pub u64);

/// Through which channel an agent locks, releases or writes: what holds a lease, and what decides who
/// may change a locked ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    /// An agent's WebSocket session: its lease is renewed by its heartbeat and ends when it closes; it
    /// writes only while it holds the lease.
    Session(SessionKey),
    /// The agent through the REST API: a lease ends on expiry unless taken again; it writes while nobody
    /// else holds the lock.
    Rest,
    /// A WebSocket session on another instance (only ever a lease's holder, never a request's channel
    /// here: its session keys mean nothing in this process).
    Elsewhere,
}

/// A granted lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub holder: AgentRef,
    /// The channel holding it.
    pub via: Via,
    pub since: Timestamp,
    pub expires_at: Timestamp,
    /// The lease lapses at this time unless its holder is active before (by the database clock).
    pub idle_at: Timestamp,
    /// The fencing token the database gave it (0 for one planned, not yet taken).
    pub token: i64,
}

impl Lease {
    /// The lock as clients see it.
    pub fn info(&self) -> LockInfo {
        LockInfo {
            holder: self.holder.clone(),
            expires_at: self.expires_at,
            since: Some(self.since),
            idle_at: Some(self.idle_at),
        }
    }

    /// When the lease ends unless something happens first: its expiry or its idle deadline.
    pub fn ends_at(&self) -> Timestamp {
        self.expires_at.min(self.idle_at)
    }

    /// Why a lease that has ended at `now` ended: idle if its idle deadline came first.
    pub fn end_reason(&self) -> loket_protocol::ticket::UnlockReason {
        if self.idle_at <= self.expires_at {
            loket_protocol::ticket::UnlockReason::Idle
        } else {
            loket_protocol::ticket::UnlockReason::Expired
        }
    }

    fn owned_by(&self, agent: &AgentRef, via: Via) -> bool {
        self.holder.id == agent.id && self.via == via && via != Via::Elsewhere
    }
}

/// Outcome of a lock request that may go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockPlan {
    /// A new lease: record `lock_taken`, then install it.
    Take(Lease),
    /// The holder asked again through the same channel: extend without an audit entry.
    Renew(Lease),
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseRefusal {
    /// Someone else holds the lock.
    HeldBy(AgentRef),
    /// A WebSocket update from a session that does not hold the lock (`holder` is whoever does, if anyone).
    NotHolder(Option<AgentRef>),
    /// There is no lock to release or break.
    NotLocked,
}

/// The lock state of one ticket, owned by that ticket's actor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockState {
    lease: Option<Lease>,
}

impl LockState {
    /// The state with `lease` (as read from its row) or none.
    pub fn of(lease: Option<Lease>) -> LockState {
        LockState { lease }
    }

    pub fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    pub fn info(&self) -> Option<LockInfo> {
        self.lease.as_ref().map(Lease::info)
    }

    /// Decides a request by `agent` `via` a channel to take or renew the lock for `term`; either is
    /// activity, so the lease is idle only after `idle` more.
    pub fn plan_lock(
        &self,
        agent: &AgentRef,
        via: Via,
        now: Timestamp,
        term: Duration,
        idle: Duration,
    ) -> Result<LockPlan, LeaseRefusal> {
        match &self.lease {
            None => Ok(LockPlan::Take(Lease {
                holder: agent.clone(),
                via,
                since: now,
                expires_at: now + term,
                idle_at: now + idle,
                token: 0,
            })),
            Some(lease) if lease.owned_by(agent, via) => Ok(LockPlan::Renew(Lease {
                expires_at: (now + term).max(lease.expires_at),
                idle_at: (now + idle).max(lease.idle_at),
                ..lease.clone()
            })),
            Some(lease) => Err(LeaseRefusal::HeldBy(lease.holder.clone())),
        }
    }

    /// Decides whether `agent` may change the ticket's fields `via` a channel now.
    pub fn check_write(&self, agent: &AgentRef, via: Via) -> Result<(), LeaseRefusal> {
        match (via, &self.lease) {
            (Via::Session(_), Some(lease)) if lease.owned_by(agent, via) => Ok(()),
            (Via::Session(_) | Via::Elsewhere, lease) => {
                Err(LeaseRefusal::NotHolder(lease.as_ref().map(|l| l.holder.clone())))
            }
            (Via::Rest, None) => Ok(()),
            (Via::Rest, Some(lease)) if lease.holder.id == agent.id => Ok(()),
            (Via::Rest, Some(lease)) => Err(LeaseRefusal::HeldBy(lease.holder.clone())),
        }
    }

    /// Decides whether `agent` holds this lock for a change that needs it on every path (a merge needs
    /// both tickets' locks, over REST too): a session must own it, REST takes any lease of the agent's own.
    pub fn check_held(&self, agent: &AgentRef, via: Via) -> Result<(), LeaseRefusal> {
        match (via, &self.lease) {
            (Via::Rest, Some(lease)) if lease.holder.id == agent.id => Ok(()),
            (Via::Session(_), Some(lease)) if lease.owned_by(agent, via) => Ok(()),
            (_, lease) => Err(LeaseRefusal::NotHolder(lease.as_ref().map(|l| l.holder.clone()))),
        }
    }

    /// Decides a release by its holder. Over REST, an agent may release any lease of their own.
    pub fn plan_release(&self, agent: &AgentRef, via: Via) -> Result<&Lease, LeaseRefusal> {
        match &self.lease {
            None => Err(LeaseRefusal::NotLocked),
            Some(lease) if lease.owned_by(agent, via) => Ok(lease),
            Some(lease) if via == Via::Rest && lease.holder.id == agent.id => Ok(lease),
            Some(lease) => Err(LeaseRefusal::HeldBy(lease.holder.clone())),
        }
    }

    /// The lease held by `session`, if any: it ends when the session goes away.
    pub fn held_by_session(&self, session: SessionKey) -> Option<&Lease> {
        self.lease.as_ref().filter(|l| l.via == Via::Session(session))
    }

    /// Extends the lease if `session` holds it (a heartbeat: its idle deadline stays); returns the new
    /// expiry.
    pub fn renew_session(&mut self, session: SessionKey, now: Timestamp, term: Duration) -> Option<Timestamp> {
        let lease = self.lease.as_mut().filter(|l| l.via == Via::Session(session))?;
        lease.expires_at = lease.expires_at.max(now + term);
        Some(lease.expires_at)
    }

    /// The lease if it has run out or gone idle at `now`.
    pub fn expired(&self, now: Timestamp) -> Option<&Lease> {
        self.lease.as_ref().filter(|l| l.ends_at() <= now)
    }

    /// Moves the idle deadline of the lease with `token` (if it is the one held) after activity committed.
    pub fn active(&mut self, token: i64, idle_at: Timestamp) {
        if let Some(lease) = self.lease.as_mut().filter(|l| l.token == token) {
            lease.idle_at = lease.idle_at.max(idle_at);
        }
    }

    /// Installs a lease after its `lock_taken` entry committed (or after a renewal).
    pub fn install(&mut self, lease: Lease) {
        self.lease = Some(lease);
    }

    /// Ends the lease after its ending was committed.
    pub fn clear(&mut self) {
        self.lease = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use loket_protocol::AgentId;

    fn agent(id: i64) -> AgentRef {
        AgentRef {
            id: AgentId(id),
            name: format!("agent {id}"),
        }
    }

    fn t(secs: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    const TERM: i64 = 30;
    const IDLE: i64 = 600;

    fn idle() -> Duration {
        Duration::seconds(IDLE)
    }
    const S1: Via = Via::Session(SessionKey(1));
    const S2: Via = Via::Session(SessionKey(2));

    fn locked_by(a: &AgentRef, via: Via) -> LockState {
        let mut state = LockState::default();
        match state.plan_lock(a, via, t(0), Duration::seconds(TERM), idle()).unwrap() {
            LockPlan::Take(lease) => state.install(lease),
            other => panic!("expected a new lease, got {other:?}"),
        }
        state
    }

    #[test]
    fn a_free_ticket_can_be_taken_and_the_holder_renews() {
        let ana = agent(1);
        let mut state = locked_by(&ana, S1);
        assert_eq!(state.lease().unwrap().expires_at, t(TERM));
        match state
            .plan_lock(&ana, S1, t(10), Duration::seconds(TERM), idle())
            .unwrap()
        {
            LockPlan::Renew(lease) => {
                assert_eq!(lease.expires_at, t(10 + TERM));
                assert_eq!(lease.since, t(0));
                state.install(lease);
            }
            other => panic!("expected renewal, got {other:?}"),
        }
        assert_eq!(
            state.renew_session(SessionKey(1), t(20), Duration::seconds(TERM)),
            Some(t(20 + TERM))
        );
        assert_eq!(state.renew_session(SessionKey(2), t(20), Duration::seconds(TERM)), None);
    }

    #[test]
    fn others_are_refused_and_told_who_holds_it() {
        let (ana, ben) = (agent(1), agent(2));
        let state = locked_by(&ana, S1);
        assert_eq!(
            state.plan_lock(&ben, S2, t(1), Duration::seconds(TERM), idle()),
            Err(LeaseRefusal::HeldBy(ana.clone()))
        );
        // The same agent in another tab is another session: refused too, so two drafts never race.
        assert_eq!(
            state.plan_lock(&ana, S2, t(1), Duration::seconds(TERM), idle()),
            Err(LeaseRefusal::HeldBy(ana.clone()))
        );
    }

    #[test]
    fn a_merge_needs_the_lock_on_every_path() {
        let (ana, ben) = (agent(1), agent(2));
        let free = LockState::default();
        assert_eq!(free.check_held(&ana, Via::Rest), Err(LeaseRefusal::NotHolder(None)));
        assert_eq!(free.check_held(&ana, S1), Err(LeaseRefusal::NotHolder(None)));
        let state = locked_by(&ana, S1);
        assert_eq!(state.check_held(&ana, S1), Ok(()));
        assert_eq!(
            state.check_held(&ana, Via::Rest),
            Ok(()),
            "REST: any lease of the agent's own"
        );
        assert_eq!(
            state.check_held(&ana, S2),
            Err(LeaseRefusal::NotHolder(Some(ana.clone())))
        );
        assert_eq!(
            state.check_held(&ben, Via::Rest),
            Err(LeaseRefusal::NotHolder(Some(ana.clone())))
        );
    }

    #[test]
    fn only_the_holding_session_writes_over_websocket() {
        let (ana, ben) = (agent(1), agent(2));
        let state = locked_by(&ana, S1);
        assert_eq!(state.check_write(&ana, S1), Ok(()));
        assert_eq!(
            state.check_write(&ana, S2),
            Err(LeaseRefusal::NotHolder(Some(ana.clone())))
        );
        assert_eq!(
            state.check_write(&ben, S2),
            Err(LeaseRefusal::NotHolder(Some(ana.clone())))
        );
        assert_eq!(
            LockState::default().check_write(&ana, S1),
            Err(LeaseRefusal::NotHolder(None))
        );
    }

    #[test]
    fn rest_writes_while_free_or_held_by_the_same_agent() {
        let (ana, ben) = (agent(1), agent(2));
        assert_eq!(LockState::default().check_write(&ben, Via::Rest), Ok(()));
        let state = locked_by(&ana, S1);
        assert_eq!(state.check_write(&ana, Via::Rest), Ok(()));
        assert_eq!(state.check_write(&ben, Via::Rest), Err(LeaseRefusal::HeldBy(ana)));
    }

    #[test]
    fn release_is_for_the_holder_and_sessions_end_their_own_leases() {
        let (ana, ben) = (agent(1), agent(2));
        let state = locked_by(&ana, S1);
        assert!(state.plan_release(&ana, S1).is_ok());
        assert!(
            state.plan_release(&ana, Via::Rest).is_ok(),
            "an agent may release their own lock over REST"
        );
        assert_eq!(state.plan_release(&ben, S2), Err(LeaseRefusal::HeldBy(ana.clone())));
        assert_eq!(state.plan_release(&ana, S2), Err(LeaseRefusal::HeldBy(ana)));
        assert_eq!(
            LockState::default().plan_release(&ben, S2),
            Err(LeaseRefusal::NotLocked)
        );
        assert!(state.held_by_session(SessionKey(1)).is_some());
        assert!(state.held_by_session(SessionKey(2)).is_none());
    }

    #[test]
    fn a_lease_expires_at_its_end_unless_renewed() {
        let ana = agent(1);
        let mut state = locked_by(&ana, S1);
        assert!(state.expired(t(TERM - 1)).is_none());
        assert!(state.expired(t(TERM)).is_some());
        state.renew_session(SessionKey(1), t(TERM - 1), Duration::seconds(TERM));
        assert!(state.expired(t(TERM)).is_none());
        state.clear();
        assert!(state.lease().is_none());
        assert!(state.expired(t(1000)).is_none());
    }

    #[test]
    fn a_session_on_another_instance_holds_but_is_never_matched_here() {
        let (ana, ben) = (agent(1), agent(2));
        let mut elsewhere = locked_by(&ana, S1).lease().cloned().unwrap();
        elsewhere.via = Via::Elsewhere;
        let state = LockState::of(Some(elsewhere));
        // Not even the same agent's session here: the lease is its session's on the other instance.
        assert_eq!(
            state.plan_lock(&ana, S1, t(1), Duration::seconds(TERM), idle()),
            Err(LeaseRefusal::HeldBy(ana.clone()))
        );
        assert_eq!(
            state.check_write(&ben, S2),
            Err(LeaseRefusal::NotHolder(Some(ana.clone())))
        );
        assert_eq!(
            state.check_write(&ana, S1),
            Err(LeaseRefusal::NotHolder(Some(ana.clone())))
        );
        assert_eq!(state.plan_release(&ben, S2), Err(LeaseRefusal::HeldBy(ana.clone())));
        // Over REST the agent still may write and release their own lock, wherever it was taken.
        assert_eq!(state.check_write(&ana, Via::Rest), Ok(()));
        assert!(state.plan_release(&ana, Via::Rest).is_ok());
        assert_eq!(state.check_write(&ben, Via::Rest), Err(LeaseRefusal::HeldBy(ana)));
        assert!(state.held_by_session(SessionKey(1)).is_none());
    }

    #[test]
    fn heartbeats_do_not_keep_an_idle_lease_but_activity_does() {
        let ana = agent(1);
        let mut state = locked_by(&ana, S1);
        assert_eq!(state.lease().unwrap().idle_at, t(IDLE));
        // The heartbeat keeps the expiry ahead all along; the idle deadline stays where it was.
        for at in (0..IDLE).step_by(10) {
            state.renew_session(SessionKey(1), t(at), Duration::seconds(TERM));
        }
        assert!(state.expired(t(IDLE - 1)).is_none());
        let lapsed = state.expired(t(IDLE)).expect("idle at its deadline");
        assert_eq!(lapsed.end_reason(), loket_protocol::ticket::UnlockReason::Idle);
        // The holder asking again before then is activity: it moves the idle deadline, not `since`.
        let mut state = locked_by(&ana, S1);
        match state
            .plan_lock(&ana, S1, t(500), Duration::seconds(TERM), idle())
            .unwrap()
        {
            LockPlan::Renew(lease) => {
                assert_eq!((lease.idle_at, lease.since), (t(500 + IDLE), t(0)));
                state.install(lease);
            }
            other => panic!("expected renewal, got {other:?}"),
        }
        assert!(
            state.expired(t(520)).is_none(),
            "neither expired nor idle before its new expiry"
        );
    }

    #[test]
    fn activity_moves_only_the_lease_it_names_and_never_back() {
        let ana = agent(1);
        let mut state = locked_by(&ana, S1);
        let token = state.lease().unwrap().token;
        state.active(token + 1, t(900));
        assert_eq!(state.lease().unwrap().idle_at, t(IDLE), "another lease's activity");
        state.active(token, t(900));
        assert_eq!(state.lease().unwrap().idle_at, t(900));
        state.active(token, t(700));
        assert_eq!(state.lease().unwrap().idle_at, t(900), "an older answer arriving late");
    }

    #[test]
    fn a_lease_that_ran_out_first_ended_as_expired() {
        let ana = agent(1);
        let state = locked_by(&ana, S1);
        let lease = state.expired(t(TERM)).expect("expired without heartbeats");
        assert_eq!(lease.end_reason(), loket_protocol::ticket::UnlockReason::Expired);
        assert_eq!(lease.ends_at(), t(TERM));
    }
}
