//! `loket demo`: fills a database with a working municipal complaints desk (agents, categories, Telegram
//! reporters, invite codes and a few hundred tickets in Indonesian and English with their conversations
//! and history), so a newcomer sees the desk at work at once.
//!
//! What is said comes from `content`, who does what and when from `plan` (seeded: the same seed gives
//! the same desk). Here the plan is played through the real paths: agents are created with argon2
//! hashes by `bootstrap::create_agent`; every ticket, comment, lock, status change and assignment goes
//! through the [`Desk`] and its ticket actors, so the audit trail and the notification outbox are the
//! ones the server writes. Two things are then adjusted with plain SQL (`store`): each row the desk just
//! wrote is moved back to the moment the plan says it happened (the desk stamps `now()`), and the
//! notifications queued for the demo reporters are worded by the caller (the bot's own wording) and
//! recorded as delivered, so no bot ever sends them: the reporters are not real Telegram accounts.

pub mod content;
pub mod plan;
mod store;

use std::fmt;
use std::time::{Duration, Instant};

use actix::prelude::*;
use futures_util::{StreamExt, TryStreamExt, stream};
use loket_protocol::api::{Agent, InviteCode, NewTicket, Role};
use loket_protocol::ticket::{Author, TicketChanges};
use loket_protocol::{CategoryId, ReporterId, TicketId, Timestamp};

use crate::actors::bus::EventBus;
use crate::db::outbox::Head;
use crate::db::{self, Pool};
use crate::desk::Desk;
use crate::domain::lease::LeaseTerms;
use crate::domain::lease::Via;
use crate::error::AppError;
use crate::{auth, bootstrap};

use content::{ADMIN, AGENTS, CATEGORIES, Lang};
use plan::{Action, DeskPlan, Filer, Speaker, TicketPlan};

/// Tickets `loket demo` creates unless told otherwise.
pub const DEFAULT_TICKETS: u32 = 300;
/// Most tickets one run may create.
pub const MAX_TICKETS: u32 = 5_000;
/// The seed `loket demo` uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 1;
/// The demo agents' email domain (`.local` never resolves).
pub const EMAIL_DOMAIN: &str = "demo.loket.local";
/// Demo reporters' Telegram ids start here: above 2^52, beyond any real Telegram account's id.
pub const FAKE_TELEGRAM_ID_BASE: i64 = 1 << 53;
/// Telegram ids reserved per seed, so reporters of different seeds never collide.
const TELEGRAM_IDS_PER_SEED: i64 = 1_000;
/// Seeds are folded into this many blocks of Telegram ids.
const TELEGRAM_SEED_BLOCKS: u64 = 1_000_000;
/// Uses of the invite code the demo reporters registered with.
const REGISTRATION_CODE_USES: i32 = 100;
/// The open invite code for trying the bot: this many uses, valid this long.
const TRY_CODE_USES: i32 = 20;
const TRY_CODE_DAYS: i64 = 30;
/// Length of a generated invite code's secret, in bytes (as `loket invite create`).
const INVITE_CODE_BYTES: usize = 9;
/// Length of the agents' generated password's secret, in bytes.
const PASSWORD_BYTES: usize = 12;
/// Tickets whose stories are played at the same time. Each story is sequential and touches only its own
/// ticket; playing several at once lets PostgreSQL flush their commits together.
const STORY_CONCURRENCY: usize = 8;
/// Key of the PostgreSQL advisory lock a run holds while it fills the database.
pub const RUN_LOCK_KEY: i64 = 0x4c6f_6b65_7444; // "LoketD" in ASCII

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// The same seed gives the same desk (names, texts, statuses and stories; times follow the clock).
    pub seed: u64,
    /// Between 1 and [`MAX_TICKETS`].
    pub tickets: u32,
    /// Add to a database that already has tickets.
    pub force: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: DEFAULT_SEED,
            tickets: DEFAULT_TICKETS,
            force: false,
        }
    }
}

/// A demo agent, and whether this run created it (false: the email existed and was left as it was).
#[derive(Debug, Clone)]
pub struct DemoAgent {
    pub agent: Agent,
    pub created: bool,
}

/// What a run created, to show the operator once.
#[derive(Debug, Clone)]
pub struct DemoReport {
    pub seed: u64,
    /// The tickets created, oldest first.
    pub tickets: Vec<TicketId>,
    pub indonesian: usize,
    pub english: usize,
    pub comments: i64,
    /// Audit trail entries of the demo tickets.
    pub events: i64,
    pub notifications: usize,
    pub categories: usize,
    pub reporters: usize,
    pub agents: Vec<DemoAgent>,
    /// The password of every agent this run created.
    pub password: String,
    /// Invite codes for the bot: (what it is for, the code).
    pub invites: Vec<(String, InviteCode)>,
    /// Requests made to the desk.
    pub desk_calls: usize,
    pub elapsed: Duration,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Demo desk ready in {:.1} s (seed {}): {} tickets ({} in Indonesian, {} in English) with {} comments and {} history entries, {} categories, {} Telegram reporters.",
            self.elapsed.as_secs_f64(),
            self.seed,
            self.tickets.len(),
            self.indonesian,
            self.english,
            self.comments,
            self.events,
            self.categories,
            self.reporters,
        )?;
        writeln!(f)?;
        let created = self.agents.iter().any(|a| a.created);
        if created {
            writeln!(f, "Agents (one password for all of them, shown only now):")?;
        } else {
            writeln!(f, "Agents (they existed already; their passwords were not changed):")?;
        }
        for DemoAgent { agent, created } in &self.agents {
            let note = if *created {
                ""
            } else {
                "  (existed; password unchanged)"
            };
            writeln!(
                f,
                "  {:<5}  {:<16}  {}{note}",
                agent.role.as_str(),
                agent.name,
                agent.email
            )?;
        }
        if created {
            writeln!(f, "  password: {}", self.password)?;
        }
        writeln!(f)?;
        writeln!(f, "Invite codes for the Telegram bot (/start <code>):")?;
        for (purpose, invite) in &self.invites {
            writeln!(f, "  {}  {purpose}", invite.code)?;
        }
        writeln!(f)?;
        writeln!(f, "Start Loket (`loket`) and sign in with one of the agents above.")
    }
}

/// The demo agent's email for `name`, e.g. `siti.rahmawati@demo.loket.local`.
pub fn agent_email(name: &str) -> String {
    let local: String = name.to_lowercase().split_whitespace().collect::<Vec<_>>().join(".");
    format!("{local}@{EMAIL_DOMAIN}")
}

/// The fake Telegram id of reporter `index` of the desk generated from `seed`.
pub fn telegram_id(seed: u64, index: usize) -> i64 {
    // Both factors are small: the block is below 10^6 and the index below TELEGRAM_IDS_PER_SEED.
    let block = (seed % TELEGRAM_SEED_BLOCKS) as i64;
    FAKE_TELEGRAM_ID_BASE + block * TELEGRAM_IDS_PER_SEED + index as i64
}

/// Fills the database behind `pool` with a demo desk. Must run inside an actix system (it starts the
/// desk's ticket actors). `word` gives a notification's text as the reporter would read it (the bot's
/// `delivery::text_of`). Refuses a database that has tickets unless `options.force`.
pub async fn generate(
    pool: &Pool,
    options: &DemoOptions,
    word: impl Fn(&Head) -> String,
) -> Result<DemoReport, AppError> {
    if !(1..=MAX_TICKETS).contains(&options.tickets) {
        return Err(AppError::invalid(format!(
            "--tickets must be between 1 and {MAX_TICKETS}"
        )));
    }
    // One run at a time per database.
    let Some(guard) = RunLock::take(pool).await? else {
        return Err(AppError::Conflict(
            "another `loket demo` is filling this database; wait for it to finish".into(),
        ));
    };
    let existing = match guard.ticket_count().await {
        Ok(existing) => existing,
        Err(err) => {
            guard.release().await;
            return Err(err);
        }
    };
    let result = if existing > 0 && !options.force {
        Err(AppError::Conflict(format!(
            "the database already has {existing} ticket(s); `loket demo` fills an empty desk. Run `loket demo --force` to add demo tickets anyway"
        )))
    } else {
        let filled = fill(pool, options, &word).await;
        if let Err(err) = &filled {
            tracing::error!(error = %err, "loket demo stopped part-way; what it wrote so far stays in the database");
        }
        filled
    };
    // Released before the run answers, so a run started right after this one finds the lock free.
    guard.release().await;
    result
}

/// The demo's run lock (a session-level advisory lock on [`RUN_LOCK_KEY`]), held on a connection of its
/// own. [`RunLock::release`] unlocks it before the run answers: closing the connection would end it too,
/// but only once PostgreSQL has noticed, after the next run may have looked. A lock not released that
/// way (the run's future dropped, or the unlock failing) closes its connection rather than return it to
/// the pool still holding the lock.
struct RunLock(Option<deadpool_postgres::Client>);

impl RunLock {
    /// Takes the lock if no other run holds it.
    async fn take(pool: &Pool) -> Result<Option<RunLock>, AppError> {
        let client = pool.get().await?;
        // Not taken: the connection holds nothing and goes back to the pool.
        Ok(store::try_lock(&client, RUN_LOCK_KEY)
            .await?
            .then(|| RunLock(Some(client))))
    }

    async fn ticket_count(&self) -> Result<i64, AppError> {
        match self.0.as_ref() {
            Some(client) => store::ticket_count(client).await,
            None => Err(AppError::internal("the demo's run lock was already released")),
        }
    }

    /// Unlocks, and returns the connection to the pool (or closes it, if unlocking failed).
    async fn release(mut self) {
        let Some(client) = self.0.take() else { return };
        match store::unlock(&client, RUN_LOCK_KEY).await {
            Ok(true) => drop(client),
            outcome => {
                tracing::warn!(
                    ?outcome,
                    "could not release the demo's run lock; closing its connection instead"
                );
                drop(deadpool_postgres::Object::take(client));
            }
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

/// Writes the demo desk (the database was checked and is held).
async fn fill(pool: &Pool, options: &DemoOptions, word: &impl Fn(&Head) -> String) -> Result<DemoReport, AppError> {
    let started = Instant::now();
    let client = pool.get().await?;
    // Every step is planned before this moment.
    let since = store::clock(&client).await?;
    let desk_plan = plan::plan(options.seed, options.tickets as usize, since);
    let password = auth::random_secret(PASSWORD_BYTES);
    let agents = ensure_agents(pool, &password).await?;
    let categories = ensure_categories(&client).await?;
    let admin = agents[ADMIN].agent.id;
    let registration = new_invite(&client, REGISTRATION_CODE_USES, None, admin).await?;
    let try_it = new_invite(
        &client,
        TRY_CODE_USES,
        Some(since + chrono::Duration::days(TRY_CODE_DAYS)),
        admin,
    )
    .await?;
    let single = new_invite(&client, 1, None, admin).await?;
    let reporters = register_reporters(&client, &desk_plan, options.seed, &registration.code).await?;
    drop(client);

    // Every change writes its event to the log in its own transaction, as the server's do. The demo does
    // not follow the log (`Desk::join_cluster`): it has no sessions to deliver to and its ticket actors
    // keep its lock board themselves; a server running beside it delivers the events live, as it does
    // another instance's. Opening the log still settles its tail by the follow rule.
    let bus = EventBus::default().start();
    let log = crate::event_log::EventLog::open(pool.clone(), bus.clone(), Default::default()).await?;
    let desk = Desk::new(pool.clone(), bus, log, Arbiter::current(), LeaseTerms::default(), None);
    let cast = Cast {
        agents: agents.iter().map(|a| a.agent.clone()).collect(),
        categories,
        reporters,
    };
    let player = Player {
        desk: &desk,
        pool,
        cast: &cast,
        word,
    };
    let mut filed = Vec::with_capacity(desk_plan.tickets.len());
    for ticket in &desk_plan.tickets {
        filed.push(player.file(ticket).await?);
    }
    let tickets: Vec<TicketId> = filed.iter().map(|f| f.id).collect();
    let played: Vec<Played> = stream::iter(desk_plan.tickets.iter().zip(&filed))
        .map(|(plan, filed)| player.play(plan, filed, &tickets))
        .buffer_unordered(STORY_CONCURRENCY)
        .try_collect()
        .await?;
    let ids: Vec<i64> = tickets.iter().map(|t| t.0).collect();
    let client = pool.get().await?;
    let (comments, events) = store::history_counts(&client, &ids).await?;
    let english = desk_plan.tickets.iter().filter(|t| t.lang == Lang::En).count();
    let report = DemoReport {
        seed: options.seed,
        indonesian: desk_plan.tickets.len() - english,
        english,
        comments,
        events,
        notifications: played.iter().map(|p| p.notifications).sum(),
        categories: CATEGORIES.len(),
        reporters: desk_plan.reporters.len(),
        desk_calls: played.iter().map(|p| p.desk_calls).sum(),
        tickets,
        agents,
        password,
        invites: vec![
            (
                format!("open: {TRY_CODE_USES} uses, valid for {TRY_CODE_DAYS} days"),
                try_it,
            ),
            ("single use".into(), single),
            ("used by the demo reporters".into(), registration),
        ],
        elapsed: started.elapsed(),
    };
    tracing::info!(
        tickets = report.tickets.len(),
        desk_calls = report.desk_calls,
        elapsed_ms = report.elapsed.as_millis() as u64,
        "demo desk generated"
    );
    Ok(report)
}

/// The demo agents, created with `password` unless their email exists already.
async fn ensure_agents(pool: &Pool, password: &str) -> Result<Vec<DemoAgent>, AppError> {
    let mut agents = Vec::with_capacity(AGENTS.len());
    for (name, admin) in AGENTS {
        let email = agent_email(name);
        let existing = {
            let client = pool.get().await?;
            db::agents::credentials(&client, &email).await?
        };
        let demo_agent = match existing {
            Some((agent, _)) => DemoAgent { agent, created: false },
            None => {
                let role = if *admin { Role::Admin } else { Role::Agent };
                let agent = bootstrap::create_agent(pool, &email, name, role, password.to_string()).await?;
                DemoAgent { agent, created: true }
            }
        };
        agents.push(demo_agent);
    }
    if agents[ADMIN].agent.role != Role::Admin {
        return Err(AppError::Conflict(format!(
            "{} exists but is not an admin; the demo needs it to be one",
            agents[ADMIN].agent.email
        )));
    }
    Ok(agents)
}

/// The desk's categories, created unless a category of that name exists.
async fn ensure_categories(client: &deadpool_postgres::Client) -> Result<Vec<CategoryId>, AppError> {
    let mut ids = Vec::with_capacity(CATEGORIES.len());
    for category in CATEGORIES {
        let id = match store::category_named(client, category.name).await? {
            Some(id) => id,
            None => db::admin::create_category(client, category.name).await?.id,
        };
        ids.push(id);
    }
    Ok(ids)
}

async fn new_invite(
    client: &deadpool_postgres::Client,
    max_uses: i32,
    expires_at: Option<Timestamp>,
    by: loket_protocol::AgentId,
) -> Result<InviteCode, AppError> {
    let code = auth::random_secret(INVITE_CODE_BYTES);
    db::admin::create_invite(client, &code, max_uses, expires_at, Some(by)).await
}

/// Registers the plan's reporters with `code`, each some time before the first ticket.
async fn register_reporters(
    client: &deadpool_postgres::Client,
    desk_plan: &DeskPlan,
    seed: u64,
    code: &str,
) -> Result<Vec<ReporterId>, AppError> {
    let first_ticket = desk_plan
        .tickets
        .first()
        .map(|t| t.created_at)
        .unwrap_or_else(chrono::Utc::now);
    let mut ids = Vec::with_capacity(desk_plan.reporters.len());
    let mut created = 0;
    for (index, reporter) in desk_plan.reporters.iter().enumerate() {
        let registered_at = first_ticket - chrono::Duration::hours(24 + 7 * index as i64);
        let (id, new) = store::register_reporter(
            client,
            telegram_id(seed, index),
            &reporter.name,
            reporter.lang.code(),
            code,
            registered_at,
        )
        .await?;
        created += i32::from(new);
        ids.push(id);
    }
    store::count_invite_uses(client, code, created).await?;
    Ok(ids)
}

/// Who the plan's indices stand for in this database.
struct Cast {
    agents: Vec<Agent>,
    categories: Vec<CategoryId>,
    reporters: Vec<ReporterId>,
}

impl Cast {
    fn author(&self, agent: usize) -> Author {
        Author::Agent {
            id: self.agents[agent].id,
            name: self.agents[agent].name.clone(),
        }
    }
}

/// A ticket filed, before its story is played.
struct Filed {
    id: TicketId,
    version: i64,
    /// The database clock just before it was filed.
    filed_mark: Timestamp,
}

/// What playing one story did.
#[derive(Default)]
struct Played {
    desk_calls: usize,
    notifications: usize,
}

/// Plays the plan through the desk: tickets are filed one after another, oldest first (so their ids
/// follow the calendar), then their stories are played [`STORY_CONCURRENCY`] at a time.
struct Player<'a, W> {
    desk: &'a Desk,
    pool: &'a Pool,
    cast: &'a Cast,
    word: &'a W,
}

impl<W: Fn(&Head) -> String> Player<'_, W> {
    async fn file(&self, plan: &TicketPlan) -> Result<Filed, AppError> {
        let new = NewTicket {
            title: plan.title.clone(),
            body: plan.body.clone(),
            priority: plan.priority,
            category_id: Some(self.cast.categories[plan.category]),
        };
        let filed_mark = self.clock().await?;
        let ticket = match plan.filer {
            Filer::Reporter(r) => self.desk.file_report(self.cast.reporters[r], new, None).await?,
            Filer::Agent(a) => self.desk.create_ticket(self.cast.author(a), new, None, None).await?,
        };
        Ok(Filed {
            id: ticket.id,
            version: ticket.version,
            filed_mark,
        })
    }

    /// Plays `plan`'s steps on ticket `filed`; `tickets` are every filed ticket, in plan order.
    async fn play(&self, plan: &TicketPlan, filed: &Filed, tickets: &[TicketId]) -> Result<Played, AppError> {
        let id = filed.id;
        let reporter = match plan.filer {
            Filer::Reporter(r) => Some(self.cast.reporters[r]),
            Filer::Agent(_) => None,
        };
        let mut version = filed.version;
        let mut updated_at = plan.created_at;
        let mut marks = Vec::with_capacity(plan.steps.len() + 1);
        marks.push((filed.filed_mark, plan.created_at));
        for step in &plan.steps {
            marks.push((self.clock().await?, step.at));
            match &step.action {
                Action::Lock { agent } => {
                    let holder = self.cast.agents[*agent].as_ref();
                    self.desk.lock(id, holder, Via::Rest).await?;
                }
                Action::Update {
                    agent,
                    status,
                    priority,
                    assignee,
                } => {
                    let changes = TicketChanges {
                        status: *status,
                        priority: *priority,
                        assignee_id: assignee.map(|a| Some(self.cast.agents[a].id)),
                        ..TicketChanges::default()
                    };
                    let agent = self.cast.agents[*agent].clone();
                    version = self.desk.update(id, agent, Via::Rest, version, changes).await?.version;
                    updated_at = step.at;
                }
                Action::Release { agent } => {
                    let holder = self.cast.agents[*agent].as_ref();
                    self.desk.release(id, holder, Via::Rest).await?;
                }
                Action::Comment {
                    author,
                    body,
                    internal,
                    mentions,
                } => {
                    let body = match mentions {
                        Some(earlier) => body.replace("{key}", &tickets[*earlier].key()),
                        None => body.clone(),
                    };
                    match (author, reporter) {
                        (Speaker::Reporter, Some(reporter)) => {
                            self.desk.reporter_comment(reporter, id, &body).await?;
                        }
                        (Speaker::Reporter, None) => {
                            return Err(AppError::internal(
                                "a demo story has a reporter speak on a phoned-in ticket",
                            ));
                        }
                        (Speaker::Agent(agent), _) => {
                            self.desk
                                .comment(id, self.cast.author(*agent), &body, *internal)
                                .await?;
                        }
                    }
                }
                Action::BreakLock { admin, holder, reason } => {
                    let admin = &self.cast.agents[*admin];
                    let holder = self.cast.agents[*holder].id;
                    self.desk.break_lock(id, admin, reason, Some(holder)).await?;
                }
            }
        }
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        store::backdate(&tx, id, &marks, plan.created_at, updated_at).await?;
        let notices = store::pending_notices(&tx, id).await?;
        if !notices.is_empty() {
            let ids: Vec<i64> = notices.iter().map(|n| n.id).collect();
            let texts: Vec<String> = notices.iter().map(|n| (self.word)(n)).collect();
            store::delivered(&tx, &ids, &texts).await?;
        }
        tx.commit().await?;
        Ok(Played {
            desk_calls: 1 + plan.steps.len(),
            notifications: notices.len(),
        })
    }

    async fn clock(&self) -> Result<Timestamp, AppError> {
        let client = self.pool.get().await?;
        store::clock(&client).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_emails_come_from_their_names() {
        assert_eq!(agent_email("Siti Rahmawati"), "siti.rahmawati@demo.loket.local");
        assert_eq!(agent_email("  Made   Wirawan "), "made.wirawan@demo.loket.local");
        for (name, _) in AGENTS {
            assert!(crate::domain::validate::email(&agent_email(name)).is_ok());
        }
    }

    #[test]
    fn fake_telegram_ids_are_beyond_real_accounts_and_distinct_per_seed() {
        assert!(telegram_id(0, 0) > 1 << 52);
        assert_ne!(telegram_id(1, 0), telegram_id(2, 0));
        assert_ne!(telegram_id(1, 0), telegram_id(1, 1));
        assert!(telegram_id(u64::MAX, plan::REPORTERS - 1) < i64::MAX);
        assert!((plan::REPORTERS as i64) < TELEGRAM_IDS_PER_SEED);
    }

    #[test]
    fn the_report_shows_the_password_only_for_agents_it_created() {
        let agent = |created| DemoAgent {
            agent: Agent {
                id: loket_protocol::AgentId(1),
                name: "Siti Rahmawati".into(),
                email: agent_email("Siti Rahmawati"),
                role: Role::Admin,
            },
            created,
        };
        let mut report = DemoReport {
            seed: 1,
            tickets: vec![TicketId(1)],
            indonesian: 1,
            english: 0,
            comments: 2,
            events: 3,
            notifications: 0,
            categories: 8,
            reporters: 40,
            agents: vec![agent(true)],
            password: "s3cret-demo".into(),
            invites: vec![],
            desk_calls: 4,
            elapsed: Duration::from_millis(1500),
        };
        let shown = report.to_string();
        assert!(shown.contains("siti.rahmawati@demo.loket.local"), "{shown}");
        assert!(shown.contains("password: s3cret-demo"), "{shown}");
        report.agents = vec![agent(false)];
        let shown = report.to_string();
        assert!(!shown.contains("s3cret-demo"), "{shown}");
        assert!(shown.contains("password unchanged"), "{shown}");
    }
}
