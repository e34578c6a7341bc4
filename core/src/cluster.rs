//! Several instances on one database: the instance registry (who runs, by heartbeat on the database
//! clock), cleaning up once after an instance that died, and leases one instance at a time holds (the
//! Telegram bot's leader).
//!
//! Each `loket serve` picks a random [`InstanceId`], registers it in `instances` and heartbeats every
//! [`HEARTBEAT_INTERVAL`]. An instance silent for [`DEAD_AFTER`] (or one that stopped gracefully) is dead.
//! Its state in the database — locks its process held, a notification it was sending, Telegram updates it
//! was handling, leases it held — is cleaned up by exactly one survivor: the clean-up begins by claiming
//! the dead instance's row (`cleaned_at`) in the same transaction that does the cleaning, so two survivors
//! never both do it and a survivor dying half-way leaves nothing half-done. A gracefully stopping instance
//! cleans up after itself. At start an instance cleans up after the dead (never after a live one).
//!
//! What each step does is a [`CleanupStep`]; [`Cluster::new`] installs the built-in ones ([`builtin_steps`]).
//! Edit locks are rows (`db::leases`): a dead instance's sessions' leases end as `disconnected`, recorded
//! in each ticket's history and logged as `TicketUnlocked` in the same transaction as the claim, so they
//! are audited and broadcast once (every instance's event reader delivers the log to its sessions). Locks
//! recorded in the history before leases were rows are still closed as expired. REST leases outlive
//! their instance (they belong to no process) and run out by the database clock.
//!
//! A [`Leadership`] holds a named lease in `cluster_leases`: taken and renewed by one statement, expiring by
//! the database clock after [`LEADER_LEASE`], renewed every [`LEADER_RENEW`]. Its holder also counts it
//! lapsed by its own monotonic clock a little before the database would, so a process paused past its
//! lease stops acting as leader before anyone else starts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::db::{self, Pool, cluster as q, outbox};
use crate::error::AppError;

/// An instance that has not heartbeated for this long is dead.
pub const DEAD_AFTER: Duration = Duration::from_secs(30);
/// How often an instance heartbeats, and looks for dead instances to clean up after.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// Dead instances stay on record this long after they were cleaned up after, for operators.
pub const KEEP_DEAD: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a leader's lease lasts without renewal (database clock).
pub const LEADER_LEASE: Duration = Duration::from_secs(15);
/// How often the leader renews its lease, and how often the others try to take it. Another instance takes
/// over at most `LEADER_LEASE + LEADER_RENEW` after a leader died.
pub const LEADER_RENEW: Duration = Duration::from_secs(5);
/// The holder counts its lease lapsed this much before it would expire by its own clock.
pub const LEASE_MARGIN: Duration = Duration::from_secs(2);

/// One `loket serve` process, as the other instances know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(pub i64);

impl InstanceId {
    /// A fresh random id (positive, so it reads well in logs).
    pub fn random() -> InstanceId {
        InstanceId(rand::random::<i64>() & i64::MAX)
    }
}

impl std::fmt::Display for InstanceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What operators see of an instance.
#[derive(Debug, Clone)]
pub struct InstanceInfo {
    /// The machine's name.
    pub host: String,
    /// The process id on that machine.
    pub pid: i32,
    /// The address it listens on.
    pub bind: String,
    /// The Loket release.
    pub version: String,
}

impl InstanceInfo {
    /// This process, listening on `bind`.
    pub fn this_process(bind: &str) -> InstanceInfo {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown".into());
        InstanceInfo {
            host,
            pid: i32::try_from(std::process::id()).unwrap_or(i32::MAX),
            bind: bind.to_string(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// An instance that is dead.
#[derive(Debug, Clone)]
pub struct DeadInstance {
    pub id: InstanceId,
    pub host: String,
    pub pid: i32,
    pub bind: String,
    pub started_at: DateTime<Utc>,
    /// When it stopped, or its last heartbeat.
    pub last_seen_at: DateTime<Utc>,
    /// It stopped gracefully (rather than going silent).
    pub stopped: bool,
    /// Who cleaned up after it, if anyone has.
    pub cleaned_by: Option<InstanceId>,
    pub cleaned_at: Option<DateTime<Utc>>,
}

/// One part of cleaning up after a dead instance. Runs inside the transaction that claimed the clean-up.
#[async_trait::async_trait(?Send)]
pub trait CleanupStep: Send + Sync {
    /// What it cleans, for the log (e.g. `locks_closed`).
    fn name(&self) -> &'static str;
    /// Cleans up what `dead` left; answers how many things it cleaned.
    async fn clean(&self, tx: &db::Transaction<'_>, dead: InstanceId) -> Result<u64, AppError>;
}

/// The built-in steps: a dead instance's sessions' leases end as `disconnected` (recorded and logged);
/// locks it took before leases were rows are recorded as expired ([`q::LOCK_ORPHANED`]); the
/// notification it was sending becomes `failed` ([`outbox::INTERRUPTED`]: Telegram may have shown it, so
/// it is never sent twice); Telegram updates it was handling go back to be handled by another instance
/// (as after a restart, handling may repeat what it had done); the leases it held end now.
pub fn builtin_steps() -> Vec<Box<dyn CleanupStep>> {
    vec![
        Box::new(EndSessionLeases),
        Box::new(CloseLocks),
        Box::new(InterruptDeliveries),
        Box::new(ReleaseUpdates),
        Box::new(EndLeases),
    ]
}

struct EndSessionLeases;
/// Locks of a dead instance recorded only in the history (taken before leases were rows).
struct CloseLocks;
struct InterruptDeliveries;
struct ReleaseUpdates;
struct EndLeases;

#[async_trait::async_trait(?Send)]
impl CleanupStep for EndSessionLeases {
    fn name(&self) -> &'static str {
        "session_leases_ended"
    }
    async fn clean(&self, tx: &db::Transaction<'_>, dead: InstanceId) -> Result<u64, AppError> {
        Ok(db::leases::end_sessions_of(tx, dead).await?.len() as u64)
    }
}

#[async_trait::async_trait(?Send)]
impl CleanupStep for CloseLocks {
    fn name(&self) -> &'static str {
        "locks_closed"
    }
    async fn clean(&self, tx: &db::Transaction<'_>, dead: InstanceId) -> Result<u64, AppError> {
        q::close_locks_of(tx, dead).await
    }
}

#[async_trait::async_trait(?Send)]
impl CleanupStep for InterruptDeliveries {
    fn name(&self) -> &'static str {
        "deliveries_interrupted"
    }
    async fn clean(&self, tx: &db::Transaction<'_>, dead: InstanceId) -> Result<u64, AppError> {
        outbox::interrupt_claims_of(tx, dead, outbox::INTERRUPTED).await
    }
}

#[async_trait::async_trait(?Send)]
impl CleanupStep for ReleaseUpdates {
    fn name(&self) -> &'static str {
        "updates_released"
    }
    async fn clean(&self, tx: &db::Transaction<'_>, dead: InstanceId) -> Result<u64, AppError> {
        db::inbox::release_claims_of(tx, dead).await
    }
}

#[async_trait::async_trait(?Send)]
impl CleanupStep for EndLeases {
    fn name(&self) -> &'static str {
        "leases_ended"
    }
    async fn clean(&self, tx: &db::Transaction<'_>, dead: InstanceId) -> Result<u64, AppError> {
        q::end_leases_of(tx, dead).await
    }
}

/// What one clean-up did.
#[derive(Debug, Clone)]
pub struct Cleaned {
    pub instance: DeadInstance,
    /// Per step: its name and how many things it cleaned.
    pub steps: Vec<(&'static str, u64)>,
}

/// This instance's handle on the cluster. Cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    id: InstanceId,
    info: InstanceInfo,
    steps: Vec<Box<dyn CleanupStep>>,
    stop: watch::Sender<bool>,
}

impl Cluster {
    /// This process as a new instance (not registered until [`join`](Self::join) or the first heartbeat).
    pub fn new(pool: Pool, info: InstanceInfo) -> Cluster {
        Cluster::with_steps(pool, info, builtin_steps())
    }

    /// [`Cluster::new`] with these clean-up steps instead of the built-in ones.
    pub fn with_steps(pool: Pool, info: InstanceInfo, steps: Vec<Box<dyn CleanupStep>>) -> Cluster {
        Cluster {
            inner: Arc::new(Inner {
                pool,
                id: InstanceId::random(),
                info,
                steps,
                stop: watch::channel(false).0,
            }),
        }
    }

    /// This instance's id.
    pub fn id(&self) -> InstanceId {
        self.inner.id
    }

    /// What operators see of this instance.
    pub fn info(&self) -> &InstanceInfo {
        &self.inner.info
    }

    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Registers this instance and cleans up what dead ones left (never what a live one holds). With `sole`
    /// (the embedded cluster, whose data-directory lock lets only one server run) every other instance on
    /// record is gone, so all of them are dead at once, however recent their last heartbeat. Locks taken
    /// by no registered instance (before several instances existed) are recorded as expired too.
    pub async fn join(&self, sole: bool) -> Result<Vec<Cleaned>, AppError> {
        let client = self.inner.pool.get().await?;
        if !q::register(&client, self.id(), &self.inner.info).await? {
            return Err(AppError::internal(format!(
                "instance id {} is already registered; start again",
                self.id()
            )));
        }
        if sole {
            let gone = q::all_others_stopped(&client, self.id()).await?;
            if gone > 0 {
                tracing::info!(
                    count = gone,
                    "instances left on record by earlier runs on this data directory are gone"
                );
            }
        }
        let unowned = q::close_unowned_locks(&client).await?;
        let interrupted = outbox::interrupt_unowned_claims(&client, outbox::INTERRUPTED).await?;
        if unowned > 0 || interrupted > 0 {
            tracing::info!(
                locks = unowned,
                deliveries = interrupted,
                "locks and deliveries left open by an earlier release are recorded as ended"
            );
        }
        drop(client);
        tracing::info!(instance = %self.id(), host = %self.inner.info.host, pid = self.inner.info.pid,
            bind = %self.inner.info.bind, "this instance joined the cluster");
        self.clean_up_dead().await
    }

    /// Whether instance `id` is alive (heartbeating, not stopped).
    pub async fn is_alive(&self, id: InstanceId) -> Result<bool, AppError> {
        let client = self.inner.pool.get().await?;
        q::is_alive(&client, id, DEAD_AFTER).await
    }

    /// Instances that are dead and were last seen alive at `since` or later, oldest first.
    pub async fn dead_since(&self, since: DateTime<Utc>) -> Result<Vec<DeadInstance>, AppError> {
        let client = self.inner.pool.get().await?;
        q::dead_since(&client, since, DEAD_AFTER).await
    }

    /// Cleans up after every dead instance nobody has cleaned up after yet; answers what this instance did
    /// (clean-ups another survivor claimed first are not in it).
    pub async fn clean_up_dead(&self) -> Result<Vec<Cleaned>, AppError> {
        let candidates = {
            let client = self.inner.pool.get().await?;
            q::uncleaned(&client, DEAD_AFTER).await?
        };
        let mut done = Vec::new();
        for dead in candidates {
            if dead == self.id() {
                continue;
            }
            if let Some(cleaned) = self.clean_up(dead).await? {
                done.push(cleaned);
            }
        }
        Ok(done)
    }

    /// Claims and runs the clean-up after `dead`, in one transaction. `None` if it is alive or another
    /// instance claimed it first.
    async fn clean_up(&self, dead: InstanceId) -> Result<Option<Cleaned>, AppError> {
        let mut client = self.inner.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(instance) = q::claim_cleanup(&tx, dead, self.id(), DEAD_AFTER).await? else {
            return Ok(None);
        };
        let steps = self.run_steps(&tx, dead).await?;
        db::commit(tx).await?;
        let cleaned = Cleaned { instance, steps };
        log_cleaned(&cleaned, "cleaned up after a dead instance");
        Ok(Some(cleaned))
    }

    async fn run_steps(
        &self,
        tx: &db::Transaction<'_>,
        dead: InstanceId,
    ) -> Result<Vec<(&'static str, u64)>, AppError> {
        let mut counts = Vec::with_capacity(self.inner.steps.len());
        for step in &self.inner.steps {
            counts.push((step.name(), step.clean(tx, dead).await?));
        }
        Ok(counts)
    }

    /// Heartbeats, and cleans up after dead instances, until [`leave`](Self::leave). Must run inside an actix
    /// system (or a tokio `LocalSet`).
    pub fn spawn_heartbeat(&self) {
        let cluster = self.clone();
        let mut stop = self.inner.stop.subscribe();
        tokio::task::spawn_local(async move {
            let mut ticks = tokio::time::interval(HEARTBEAT_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut purged_at: Option<Instant> = None;
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stop.changed() => return,
                }
                if let Err(err) = cluster.beat().await {
                    tracing::warn!(error = %err, "cannot heartbeat; trying again");
                    continue;
                }
                match cluster.clean_up_dead().await {
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "cannot clean up after dead instances"),
                }
                if purged_at.is_none_or(|at| at.elapsed() > KEEP_DEAD / 7) {
                    purged_at = Some(Instant::now());
                    if let Ok(client) = cluster.inner.pool.get().await
                        && let Err(err) = q::purge(&client, KEEP_DEAD).await
                    {
                        tracing::warn!(error = %err, "cannot forget old dead instances");
                    }
                }
            }
        });
    }

    /// One heartbeat; an instance that finds itself declared dead (silent for [`DEAD_AFTER`], say paused)
    /// and cleaned up after registers again under the same id.
    async fn beat(&self) -> Result<(), AppError> {
        let client = self.inner.pool.get().await?;
        if !q::heartbeat(&client, self.id()).await? {
            tracing::error!(
                instance = %self.id(),
                "this instance was silent for too long and was declared dead: its locks were recorded as \
                 expired and its deliveries and updates in flight were handed on; registering again"
            );
            q::rejoin(&client, self.id(), &self.inner.info).await?;
        }
        Ok(())
    }

    /// A graceful stop: stops heartbeating, marks this instance stopped and cleans up after itself in the
    /// same transaction (what its process held in memory ends with it), so survivors need not wait.
    pub async fn leave(&self) -> Result<(), AppError> {
        let _ = self.inner.stop.send(true);
        let mut client = self.inner.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(instance) = q::stop_and_claim(&tx, self.id()).await? else {
            return Ok(());
        };
        let steps = self.run_steps(&tx, self.id()).await?;
        db::commit(tx).await?;
        log_cleaned(&Cleaned { instance, steps }, "this instance left the cluster");
        Ok(())
    }

    /// Starts trying to hold the lease `name`; see [`Leadership`]. Must run inside an actix system.
    pub fn leadership(&self, name: LeaseName) -> Leadership {
        let (tx, rx) = watch::channel(None);
        let cluster = self.clone();
        let (stop, mut stopped) = watch::channel(false);
        tokio::task::spawn_local(async move {
            loop {
                let asked = Instant::now();
                let taken = match cluster.inner.pool.get().await {
                    Ok(client) => q::take_lease(&client, name.0, cluster.id(), LEADER_LEASE).await,
                    Err(err) => Err(err.into()),
                };
                match taken {
                    Ok(Some(token)) => {
                        let term = Term {
                            token,
                            valid_until: asked + LEADER_LEASE - LEASE_MARGIN,
                        };
                        if tx.borrow().map(|c: Term| c.token) != Some(token) {
                            tracing::info!(lease = name.0, token, "this instance took the lease");
                        }
                        // Sent even when only the deadline moved, so waiters see the renewal.
                        tx.send_replace(Some(term));
                    }
                    Ok(None) => {
                        tx.send_if_modified(|current| {
                            let had = current.take();
                            if had.is_some() {
                                tracing::warn!(lease = name.0, "this instance lost the lease");
                            }
                            had.is_some()
                        });
                    }
                    // The term held (if any) lapses by its own deadline; try again at the next renewal.
                    Err(err) => tracing::warn!(lease = name.0, error = %err, "cannot take or renew the lease"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(LEADER_RENEW) => {}
                    _ = stopped.changed() => break,
                }
            }
            tx.send_replace(None);
            if let Ok(client) = cluster.inner.pool.get().await {
                match q::release_lease(&client, name.0, cluster.id()).await {
                    Ok(true) => tracing::info!(lease = name.0, "this instance gave the lease up"),
                    Ok(false) => {}
                    Err(err) => tracing::warn!(lease = name.0, error = %err, "cannot give the lease up"),
                }
            }
        });
        Leadership { name, rx, stop }
    }
}

fn log_cleaned(cleaned: &Cleaned, what: &'static str) {
    let steps = cleaned
        .steps
        .iter()
        .map(|(name, n)| format!("{name}={n}"))
        .collect::<Vec<_>>()
        .join(" ");
    tracing::info!(
        instance = %cleaned.instance.id, host = %cleaned.instance.host, pid = cleaned.instance.pid,
        stopped = cleaned.instance.stopped, %steps, "{what}"
    );
}

/// The name of a cluster lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseName(pub &'static str);

/// One holder's hold on a lease: its fencing token, and until when it may act on it by its own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// Grows whenever the lease changes hands; statements that must only run for the holder check it.
    pub token: i64,
    /// After this the holder stops acting as holder, whether or not a renewal got through.
    pub valid_until: Instant,
}

/// Trying to hold a lease: held while [`current`](Self::current) answers a term. Renewal runs in the
/// background until this is dropped or [`release`](Self::release)d (which gives the lease up at once).
pub struct Leadership {
    name: LeaseName,
    rx: watch::Receiver<Option<Term>>,
    stop: watch::Sender<bool>,
}

impl Leadership {
    /// The lease's name.
    pub fn name(&self) -> LeaseName {
        self.name
    }

    /// The term this instance holds now, if it holds the lease (by its own clock).
    pub fn current(&self) -> Option<Term> {
        valid(*self.rx.borrow())
    }

    /// Whether `term` is still this instance's.
    pub fn holds(&self, term: Term) -> bool {
        self.current().is_some_and(|now| now.token == term.token)
    }

    /// Waits until this instance holds the lease.
    pub async fn acquired(&self) -> Term {
        let mut rx = self.rx.clone();
        loop {
            if let Some(term) = valid(*rx.borrow_and_update()) {
                return term;
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Resolves once `term` is no longer this instance's: the lease went to another instance, a renewal
    /// failed for too long, or its deadline passed (a paused process, say).
    pub async fn lost(&self, term: Term) {
        let mut rx = self.rx.clone();
        loop {
            let Some(now) = valid(*rx.borrow_and_update()).filter(|now| now.token == term.token) else {
                return;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(now.valid_until.into()) => {}
                changed = rx.changed() => if changed.is_err() { return },
            }
        }
    }

    /// Stops renewing and gives the lease up, so another instance takes it at once.
    pub fn release(&self) {
        let _ = self.stop.send(true);
    }
}

/// `term`, if its deadline has not passed.
fn valid(term: Option<Term>) -> Option<Term> {
    let now = Instant::now();
    term.filter(|term| term.valid_until > now)
}

impl Drop for Leadership {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
