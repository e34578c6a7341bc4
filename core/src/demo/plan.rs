//! The demo desk as plain data: who files what and when, and every step of each ticket's story, drawn
//! from a seeded RNG. No database here: the same seed, size and clock give the same plan, and the tests
//! below check that every story obeys the ticket lifecycle and the lock rules.
//!
//! A story, in the order things happen (each step optional past the first, by chance and by the
//! ticket's age):
//!
//! ```text
//! filed (by a Telegram reporter, or by an agent who took a phone call)
//! → an agent takes it: open, assigned (priority raised, with a note)   + a public acknowledgement
//! → internal note; the reporter asks for news and gets an answer; an admin hands it to someone else
//! → an admin breaks a lock left by an absent agent and reassigns the ticket
//! → pending (after asking the reporter for details, who answers)      + a public "scheduled" reply
//! → resolved                                                           + a public "done" reply
//! → the reporter says it broke again: reopened, pending, resolved again; or thanks
//! → closed (with a closing note)
//! ```
//!
//! Some new reports duplicate an earlier one in the same category: an admin points to it and closes
//! them at once. Every field change is a lock, an update and a release, as an agent in the web client
//! does it, so the trail shows the locks too and every ticket ends free.

use chrono::{Duration, NaiveTime};
use loket_protocol::Timestamp;
use loket_protocol::ticket::{Priority, Status};
use rand::distributions::WeightedIndex;
use rand::prelude::*;
use rand::rngs::StdRng;

use super::content::{self, ADMIN, AGENTS, Both, CATEGORIES, Lang, Place};

/// How far back the oldest ticket may be filed.
pub const HISTORY_DAYS: i64 = 120;
/// How many Telegram reporters the desk has.
pub const REPORTERS: usize = 40;
/// The newest ticket is filed at least this long before the demo runs.
const MIN_TICKET_AGE: Duration = Duration::minutes(20);
/// Every story's last step happens at least this long before the demo runs.
const STORY_MARGIN: Duration = Duration::minutes(2);
/// Offset of Western Indonesian Time (WIB) from UTC, in hours: people file reports in their daytime.
const WIB_HOURS: i64 = 7;
/// Share of reporters who want the bot to speak English.
const ENGLISH_REPORTERS: f64 = 0.35;
/// Share of tickets agents file themselves (from a phone call).
const BY_PHONE: f64 = 0.2;
/// Share of new reports that duplicate an earlier one.
const DUPLICATES: f64 = 0.04;
/// How far back a duplicate's original may be.
const DUPLICATE_WINDOW: Duration = Duration::days(21);

/// Everything the demo will create, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskPlan {
    pub reporters: Vec<ReporterPlan>,
    /// Oldest first: filed in this order, so ticket ids follow the calendar.
    pub tickets: Vec<TicketPlan>,
}

/// A member of the public registered with the Telegram bot.
#[derive(Debug, Clone, PartialEq)]
pub struct ReporterPlan {
    pub name: String,
    pub lang: Lang,
}

/// One ticket and its story.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketPlan {
    pub lang: Lang,
    /// Index into [`CATEGORIES`].
    pub category: usize,
    pub title: String,
    pub body: String,
    pub priority: Priority,
    pub filer: Filer,
    pub created_at: Timestamp,
    /// In time order; every one at or after `created_at` and before the demo runs.
    pub steps: Vec<Step>,
}

impl TicketPlan {
    /// The status the ticket ends in.
    pub fn final_status(&self) -> Status {
        self.steps
            .iter()
            .rev()
            .find_map(|s| match s.action {
                Action::Update { status, .. } => status,
                _ => None,
            })
            .unwrap_or(Status::New)
    }
}

/// Who filed a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filer {
    /// Index into [`DeskPlan::reporters`].
    Reporter(usize),
    /// Index into [`AGENTS`]: an agent who took the report by phone.
    Agent(usize),
}

/// Something that happens to a ticket at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub at: Timestamp,
    pub action: Action,
}

/// What happens. Agents are indices into [`AGENTS`].
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The agent takes the ticket's lock.
    Lock { agent: usize },
    /// The lock holder changes fields.
    Update {
        agent: usize,
        status: Option<Status>,
        priority: Option<Priority>,
        assignee: Option<usize>,
    },
    /// The holder gives the lock back.
    Release { agent: usize },
    /// A comment; with `mentions`, `{key}` in the body names that earlier ticket (an index into the plan).
    Comment {
        author: Speaker,
        body: String,
        internal: bool,
        mentions: Option<usize>,
    },
    /// An admin ends the lock `holder` holds.
    BreakLock {
        admin: usize,
        holder: usize,
        reason: String,
    },
}

/// Who writes a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    /// The ticket's reporter.
    Reporter,
    Agent(usize),
}

/// The plan for `tickets` tickets from `seed`, every moment before `now`.
///
/// The same seed gives the same plan at any time of any day: it is drawn as if the demo ran at the
/// end of the current day in WIB (a midnight, so reports keep their daytime hours wherever the clock
/// is), and then the last day's moments are pressed, in order, into the time that has really passed.
pub fn plan(seed: u64, tickets: usize, now: Timestamp) -> DeskPlan {
    let end = end_of_day(now);
    let mut desk = plan_until(seed, tickets, end);
    let squeeze = Squeeze::new(now, end);
    for ticket in &mut desk.tickets {
        ticket.created_at = squeeze.apply(ticket.created_at);
        for step in &mut ticket.steps {
            step.at = squeeze.apply(step.at);
        }
    }
    desk
}

/// The first WIB midnight after `now`.
fn end_of_day(now: Timestamp) -> Timestamp {
    let local_date = (now + Duration::hours(WIB_HOURS)).date_naive();
    let next = local_date.succ_opt().unwrap_or(local_date);
    next.and_time(NaiveTime::MIN).and_utc() - Duration::hours(WIB_HOURS)
}

/// Presses the moments of the day before a plan's end, in order, into the day before `now`: the last
/// 24 hours before `now` hold what was planned between then and the end, and earlier moments stay.
#[derive(Debug, Clone, Copy)]
struct Squeeze {
    from: Timestamp,
    room: f64,
    span: f64,
}

impl Squeeze {
    fn new(now: Timestamp, end: Timestamp) -> Squeeze {
        let from = now - Duration::days(1);
        Squeeze {
            from,
            room: ((now - STORY_MARGIN) - from).num_milliseconds() as f64,
            span: (end - from).num_milliseconds().max(1) as f64,
        }
    }

    fn apply(&self, at: Timestamp) -> Timestamp {
        if at <= self.from {
            return at;
        }
        let offset = (at - self.from).num_milliseconds() as f64 * self.room / self.span;
        self.from + Duration::milliseconds(offset as i64)
    }
}

/// The plan as if the demo ran at `now`.
fn plan_until(seed: u64, tickets: usize, now: Timestamp) -> DeskPlan {
    let mut rng = StdRng::seed_from_u64(seed);
    let reporters = reporters(&mut rng);
    let weights = WeightedIndex::new(CATEGORIES.iter().map(|c| c.weight)).ok();
    let mut drafts: Vec<Draft> = (0..tickets)
        .map(|_| draft(&mut rng, &reporters, weights.as_ref(), now))
        .collect();
    // Stable: drafts filed at the same moment keep the order they were drawn in.
    drafts.sort_by_key(|d| d.created_at);
    let mut planned: Vec<TicketPlan> = Vec::with_capacity(tickets);
    for draft in drafts {
        let original = duplicate_of(&planned, &draft);
        let steps = story(&mut rng, &draft, original, now);
        planned.push(TicketPlan {
            lang: draft.lang,
            category: draft.category,
            title: draft.title,
            body: draft.body,
            priority: draft.priority,
            filer: draft.filer,
            created_at: draft.created_at,
            steps,
        });
    }
    DeskPlan {
        reporters,
        tickets: planned,
    }
}

fn reporters(rng: &mut StdRng) -> Vec<ReporterPlan> {
    let mut people: Vec<ReporterPlan> = Vec::with_capacity(REPORTERS);
    while people.len() < REPORTERS {
        let name = if rng.gen_bool(0.1) {
            pick(rng, content::SINGLE_NAMES).to_string()
        } else {
            format!("{} {}", pick(rng, content::FIRST_NAMES), pick(rng, content::LAST_NAMES))
        };
        if people.iter().any(|p| p.name == name) {
            continue;
        }
        let lang = if rng.gen_bool(ENGLISH_REPORTERS) {
            Lang::En
        } else {
            Lang::Id
        };
        people.push(ReporterPlan { name, lang });
    }
    people
}

/// A ticket before its story: what was reported, by whom, when.
#[derive(Debug, Clone)]
struct Draft {
    lang: Lang,
    category: usize,
    title: String,
    body: String,
    priority: Priority,
    filer: Filer,
    created_at: Timestamp,
    /// How old the ticket is when the demo runs, in days.
    age_days: f64,
    /// Drawn once per ticket, so the final status does not depend on the order of other draws.
    status_roll: f64,
    duplicate_roll: f64,
}

fn draft(rng: &mut StdRng, reporters: &[ReporterPlan], weights: Option<&WeightedIndex<u32>>, now: Timestamp) -> Draft {
    let created_at = filing_time(rng, now);
    let filer = if rng.gen_bool(BY_PHONE) {
        Filer::Agent(worker(rng))
    } else {
        // A few people report a lot; most report once or twice.
        let index = (rng.r#gen::<f64>().powf(1.7) * reporters.len() as f64) as usize;
        Filer::Reporter(index.min(reporters.len() - 1))
    };
    let lang = match filer {
        Filer::Reporter(r) => reporters[r].lang,
        Filer::Agent(_) if rng.gen_bool(0.3) => Lang::En,
        Filer::Agent(_) => Lang::Id,
    };
    let category = weights.map(|w| w.sample(rng)).unwrap_or(0);
    let reports = CATEGORIES[category].reports(lang);
    let report = reports[rng.gen_range(0..reports.len())];
    let place = Place {
        street: rng.gen_range(0..content::STREETS.len()),
        area: rng.gen_range(0..content::AREAS.len()),
        landmark: rng.gen_range(0..content::LANDMARKS.len()),
        days: rng.gen_range(2..=content::MAX_DAYS),
        rt: rng.gen_range(1..=12),
    };
    let mut body = content::fill(report.body, lang, &place);
    if let Filer::Agent(_) = filer {
        body = format!("{}\n\n{body}", content::BY_PHONE.get(lang)[0]);
    }
    let priority = match rng.gen_range(0..8) {
        0 => lower(report.priority),
        1 => higher(report.priority),
        _ => report.priority,
    };
    Draft {
        lang,
        category,
        title: content::fill(report.title, lang, &place),
        body,
        priority,
        filer,
        created_at,
        age_days: (now - created_at).num_minutes() as f64 / (24.0 * 60.0),
        status_roll: rng.r#gen(),
        duplicate_roll: rng.r#gen(),
    }
}

/// When a report is filed: within the last [`HISTORY_DAYS`], more of them recently, in the reporter's daytime.
fn filing_time(rng: &mut StdRng, now: Timestamp) -> Timestamp {
    let age_days = HISTORY_DAYS as f64 * rng.r#gen::<f64>().powf(1.6);
    let day = now - Duration::minutes((age_days * 24.0 * 60.0) as i64);
    let local_date = (day + Duration::hours(WIB_HOURS)).date_naive();
    let time = NaiveTime::from_hms_opt(rng.gen_range(6..22), rng.gen_range(0..60), rng.gen_range(0..60))
        .unwrap_or(NaiveTime::MIN);
    let at = local_date.and_time(time).and_utc() - Duration::hours(WIB_HOURS);
    let latest = now - MIN_TICKET_AGE;
    if at > latest {
        latest - Duration::minutes(rng.gen_range(0..180))
    } else {
        at
    }
}

/// The status a ticket of this age ends in; `roll` is uniform in [0, 1).
pub fn final_status_for(age_days: f64, roll: f64) -> Status {
    use Status::*;
    // Cumulative shares of New, Open, Pending, Resolved (the rest is Closed).
    let shares: [f64; 4] = if age_days < 1.0 {
        [0.5, 0.85, 1.0, 1.0]
    } else if age_days < 3.0 {
        [0.2, 0.55, 0.8, 1.0]
    } else if age_days < 14.0 {
        [0.06, 0.28, 0.5, 0.8]
    } else {
        [0.01, 0.08, 0.2, 0.45]
    };
    let statuses = [New, Open, Pending, Resolved];
    statuses
        .into_iter()
        .zip(shares)
        .find(|(_, share)| roll < *share)
        .map(|(status, _)| status)
        .unwrap_or(Closed)
}

/// The earlier ticket `draft` would duplicate, if it is one of the duplicates.
fn duplicate_of(earlier: &[TicketPlan], draft: &Draft) -> Option<usize> {
    if draft.duplicate_roll >= DUPLICATES {
        return None;
    }
    earlier
        .iter()
        .enumerate()
        .rev()
        .take_while(|(_, t)| draft.created_at - t.created_at <= DUPLICATE_WINDOW)
        .find(|(_, t)| t.category == draft.category && t.lang == draft.lang)
        .map(|(i, _)| i)
}

/// A worker agent (anyone but the head of the desk).
fn worker(rng: &mut StdRng) -> usize {
    rng.gen_range(1..AGENTS.len())
}

/// A worker other than `agent`.
fn other_worker(rng: &mut StdRng, agent: usize) -> usize {
    let next = rng.gen_range(1..AGENTS.len() - 1);
    if next >= agent { next + 1 } else { next }
}

fn pick<'a>(rng: &mut StdRng, texts: &[&'a str]) -> &'a str {
    texts[rng.gen_range(0..texts.len())]
}

fn lower(priority: Priority) -> Priority {
    match priority {
        Priority::Urgent => Priority::High,
        Priority::High => Priority::Normal,
        _ => Priority::Low,
    }
}

fn higher(priority: Priority) -> Priority {
    match priority {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        _ => Priority::Urgent,
    }
}

/// Writes a story step by step, moving the clock forward.
struct Story<'a> {
    rng: &'a mut StdRng,
    lang: Lang,
    at: Timestamp,
    steps: Vec<Step>,
}

impl Story<'_> {
    fn wait_minutes(&mut self, min: i64, max: i64) {
        self.at += Duration::minutes(self.rng.gen_range(min..=max));
    }

    fn wait_hours(&mut self, min: i64, max: i64) {
        self.wait_minutes(min * 60, max * 60);
    }

    fn push(&mut self, action: Action) {
        self.steps.push(Step { at: self.at, action });
    }

    /// A field change as an agent makes it: take the lock, change, give it back.
    fn change(&mut self, agent: usize, status: Option<Status>, priority: Option<Priority>, assignee: Option<usize>) {
        self.push(Action::Lock { agent });
        self.wait_minutes(1, 4);
        self.push(Action::Update {
            agent,
            status,
            priority,
            assignee,
        });
        self.at += Duration::seconds(self.rng.gen_range(5..40));
        self.push(Action::Release { agent });
    }

    fn say(&mut self, author: Speaker, texts: Both, internal: bool) {
        let body = pick(self.rng, texts.get(self.lang)).to_string();
        self.comment(author, body, internal);
    }

    fn note(&mut self, agent: usize, texts: &[&str]) {
        let body = pick(self.rng, texts).to_string();
        self.comment(Speaker::Agent(agent), body, true);
    }

    fn comment(&mut self, author: Speaker, body: String, internal: bool) {
        self.push(Action::Comment {
            author,
            body,
            internal,
            mentions: None,
        });
    }
}

fn story(rng: &mut StdRng, draft: &Draft, original: Option<usize>, now: Timestamp) -> Vec<Step> {
    let target = final_status_for(draft.age_days, draft.status_roll);
    let from_reporter = matches!(draft.filer, Filer::Reporter(_));
    let texts = &CATEGORIES[draft.category];
    let mut s = Story {
        rng,
        lang: draft.lang,
        at: draft.created_at,
        steps: Vec::new(),
    };
    if let Some(original) = original.filter(|_| target != Status::New) {
        s.wait_minutes(30, 6 * 60);
        let body = pick(s.rng, content::DUPLICATE.get(draft.lang)).to_string();
        s.push(Action::Comment {
            author: Speaker::Agent(ADMIN),
            body,
            internal: false,
            mentions: Some(original),
        });
        s.wait_minutes(1, 3);
        s.change(ADMIN, Some(Status::Closed), None, None);
        return fit(s.steps, draft.created_at, now);
    }
    if target == Status::New {
        if from_reporter && draft.age_days > 2.0 && s.rng.gen_bool(0.3) {
            s.wait_hours(24, 48);
            s.say(Speaker::Reporter, content::REPORTER_NUDGE, false);
        }
        return fit(s.steps, draft.created_at, now);
    }

    // Taken: opened and assigned, by the assignee or by the head of the desk.
    let mut agent = worker(s.rng);
    let by = if s.rng.gen_bool(0.25) { ADMIN } else { agent };
    s.wait_minutes(20, 20 * 60);
    let raise = matches!(draft.priority, Priority::Low | Priority::Normal) && s.rng.gen_bool(0.12);
    s.change(
        by,
        Some(Status::Open),
        raise.then(|| higher(draft.priority)),
        Some(agent),
    );
    if raise {
        s.wait_minutes(1, 5);
        s.note(by, content::PRIORITY_RAISED);
    }
    s.wait_minutes(2, 40);
    s.say(Speaker::Agent(agent), texts.ack, false);
    if s.rng.gen_bool(0.45) {
        s.wait_hours(1, 20);
        s.note(agent, texts.notes);
    }
    if from_reporter && s.rng.gen_bool(0.25) {
        s.wait_hours(24, 72);
        s.say(Speaker::Reporter, content::REPORTER_NUDGE, false);
        s.wait_minutes(30, 6 * 60);
        s.say(Speaker::Agent(agent), content::AGENT_NUDGE_REPLY, false);
    }
    if s.rng.gen_bool(0.08) {
        s.wait_hours(2, 30);
        let next = other_worker(s.rng, agent);
        s.change(ADMIN, None, None, Some(next));
        s.wait_minutes(1, 3);
        let body = pick(s.rng, content::REASSIGNED).replace("{name}", AGENTS[next].0);
        s.comment(Speaker::Agent(ADMIN), body, true);
        agent = next;
    }
    if target == Status::Open {
        return fit(s.steps, draft.created_at, now);
    }

    // An agent opened the ticket for editing and went on leave: the head of the desk takes it back.
    if s.rng.gen_bool(0.05) {
        s.wait_hours(1, 20);
        s.push(Action::Lock { agent });
        s.wait_hours(2, 6);
        let reason = pick(s.rng, content::LOCK_BROKEN).replace("{name}", AGENTS[agent].0);
        s.push(Action::BreakLock {
            admin: ADMIN,
            holder: agent,
            reason,
        });
        s.wait_minutes(1, 5);
        let next = other_worker(s.rng, agent);
        s.change(ADMIN, None, None, Some(next));
        agent = next;
    }

    s.wait_hours(2, 72);
    s.change(agent, Some(Status::Pending), None, None);
    s.wait_minutes(1, 3);
    if from_reporter && s.rng.gen_bool(0.2) {
        s.say(Speaker::Agent(agent), content::INFO_REQUEST, false);
        s.wait_minutes(30, 10 * 60);
        s.say(Speaker::Reporter, content::INFO_REPLY, false);
        s.wait_hours(1, 5);
    }
    s.say(Speaker::Agent(agent), texts.pending, false);
    if target == Status::Pending {
        return fit(s.steps, draft.created_at, now);
    }

    s.wait_hours(20, 170);
    s.change(agent, Some(Status::Resolved), None, None);
    s.wait_minutes(1, 3);
    s.say(Speaker::Agent(agent), texts.resolved, false);
    if from_reporter && s.rng.gen_bool(0.08) {
        s.wait_hours(24, 72);
        s.say(Speaker::Reporter, content::NOT_FIXED, false);
        s.wait_hours(1, 6);
        s.change(agent, Some(Status::Open), None, None);
        s.wait_minutes(1, 3);
        s.say(Speaker::Agent(agent), content::REOPENED, false);
        s.wait_hours(24, 72);
        s.change(agent, Some(Status::Pending), None, None);
        s.wait_hours(24, 72);
        s.change(agent, Some(Status::Resolved), None, None);
        s.wait_minutes(1, 3);
        s.say(Speaker::Agent(agent), texts.resolved, false);
    }
    if from_reporter && s.rng.gen_bool(0.45) {
        s.wait_hours(1, 12);
        s.say(Speaker::Reporter, content::THANKS, false);
    }
    if target == Status::Resolved {
        return fit(s.steps, draft.created_at, now);
    }

    s.wait_hours(3 * 24, 7 * 24);
    let by = if s.rng.gen_bool(0.3) { ADMIN } else { agent };
    s.change(by, Some(Status::Closed), None, None);
    if s.rng.gen_bool(0.3) {
        s.wait_minutes(1, 2);
        s.note(by, content::CLOSING_NOTES);
    }
    fit(s.steps, draft.created_at, now)
}

/// Squeezes a story that would run past `now` into the time the ticket has had, keeping its order.
fn fit(mut steps: Vec<Step>, created_at: Timestamp, now: Timestamp) -> Vec<Step> {
    let limit = now - STORY_MARGIN;
    let Some(last) = steps.last().map(|s| s.at) else {
        return steps;
    };
    if last <= limit {
        return steps;
    }
    let span = (last - created_at).num_milliseconds().max(1) as f64;
    let room = (limit - created_at).num_milliseconds().max(0) as f64;
    let factor = room / span;
    for step in &mut steps {
        let offset = (step.at - created_at).num_milliseconds() as f64 * factor;
        step.at = created_at + Duration::milliseconds(offset as i64);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use loket_protocol::api::Role;
    use loket_protocol::lifecycle;
    use std::collections::BTreeSet;

    /// The moment plans are measured from in tests: any fixed instant.
    fn test_now() -> Timestamp {
        chrono::DateTime::parse_from_rfc3339("2025-06-30T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn role(agent: usize) -> Role {
        if AGENTS[agent].1 { Role::Admin } else { Role::Agent }
    }

    #[test]
    fn the_same_seed_gives_the_same_desk_and_another_seed_another() {
        let now = test_now();
        assert_eq!(plan(7, 120, now), plan(7, 120, now));
        let titles = |p: DeskPlan| p.tickets.into_iter().map(|t| t.title).collect::<Vec<_>>();
        assert_ne!(titles(plan(7, 120, now)), titles(plan(8, 120, now)));
        assert_eq!(plan(7, 0, now).tickets.len(), 0);
    }

    /// Everything in a plan but its moments.
    fn contents(desk: DeskPlan) -> Vec<(String, String, Priority, Filer, Vec<Action>)> {
        desk.tickets
            .into_iter()
            .map(|t| {
                let actions = t.steps.into_iter().map(|s| s.action).collect();
                (t.title, t.body, t.priority, t.filer, actions)
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_desk_at_any_time_of_any_day() {
        let later = |rfc3339: &str| {
            chrono::DateTime::parse_from_rfc3339(rfc3339)
                .unwrap()
                .with_timezone(&Utc)
        };
        let reference = contents(plan(11, 200, test_now()));
        for now in [
            "2025-06-30T09:00:01Z",
            "2025-06-30T16:59:00Z",
            "2025-06-30T17:01:00Z",
            "2026-02-11T23:30:00Z",
        ] {
            assert_eq!(contents(plan(11, 200, later(now))), reference, "at {now}");
        }
    }

    #[test]
    fn the_last_day_is_pressed_into_the_time_that_passed_in_order() {
        let now = test_now();
        let end = end_of_day(now);
        assert_eq!(end, later_than(now, "2025-06-30T17:00:00Z"));
        let squeeze = Squeeze::new(now, end);
        let early = now - Duration::days(3);
        assert_eq!(squeeze.apply(early), early, "older moments stay");
        let (a, b) = (
            squeeze.apply(now - Duration::hours(2)),
            squeeze.apply(end - Duration::minutes(1)),
        );
        assert!(now - Duration::days(1) < a && a < b && b < now - STORY_MARGIN);
    }

    fn later_than(now: Timestamp, rfc3339: &str) -> Timestamp {
        let at = chrono::DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc);
        assert!(at > now);
        at
    }

    #[test]
    fn every_story_follows_the_lifecycle_and_the_lock_rules() {
        let now = test_now();
        let desk = plan(3, 600, now);
        assert_eq!(desk.tickets.len(), 600);
        for (i, ticket) in desk.tickets.iter().enumerate() {
            let mut status = Status::New;
            let mut holder: Option<usize> = None;
            let mut at = ticket.created_at;
            for step in &ticket.steps {
                assert!(step.at >= at, "ticket {i}: steps in time order");
                at = step.at;
                match &step.action {
                    Action::Lock { agent } => {
                        assert_eq!(holder, None, "ticket {i}: locked twice");
                        holder = Some(*agent);
                    }
                    Action::Update { agent, status: to, .. } => {
                        assert_eq!(holder, Some(*agent), "ticket {i}: updated without the lock");
                        if let Some(to) = *to {
                            assert!(
                                lifecycle::can_transition(status, to, role(*agent)),
                                "ticket {i}: {status:?} → {to:?} by {}",
                                AGENTS[*agent].0
                            );
                            status = to;
                        }
                    }
                    Action::Release { agent } => {
                        assert_eq!(holder, Some(*agent), "ticket {i}: released someone else's lock");
                        holder = None;
                    }
                    Action::BreakLock {
                        admin, holder: held, ..
                    } => {
                        assert_eq!(role(*admin), Role::Admin);
                        assert_eq!(holder, Some(*held), "ticket {i}: broke a lock that was not there");
                        holder = None;
                    }
                    Action::Comment {
                        author, mentions, body, ..
                    } => {
                        if let Speaker::Reporter = author {
                            assert!(
                                matches!(ticket.filer, Filer::Reporter(_)),
                                "ticket {i}: no reporter to speak"
                            );
                        }
                        if let Some(earlier) = mentions {
                            assert!(*earlier < i, "ticket {i}: mentions a later ticket");
                            assert!(body.contains("{key}"));
                        }
                    }
                }
            }
            assert_eq!(holder, None, "ticket {i} ends locked");
            assert_eq!(status, ticket.final_status());
            assert!(at <= now - STORY_MARGIN, "ticket {i}: a step in the future");
        }
    }

    #[test]
    fn the_desk_has_a_spread_of_everything() {
        let now = test_now();
        let desk = plan(1, 300, now);
        let statuses: BTreeSet<_> = desk.tickets.iter().map(|t| t.final_status().as_str()).collect();
        assert_eq!(statuses.len(), Status::ALL.len(), "{statuses:?}");
        let priorities: BTreeSet<_> = desk.tickets.iter().map(|t| t.priority.as_str()).collect();
        assert_eq!(priorities.len(), Priority::ALL.len());
        let categories: BTreeSet<_> = desk.tickets.iter().map(|t| t.category).collect();
        assert_eq!(categories.len(), CATEGORIES.len());
        let english = desk.tickets.iter().filter(|t| t.lang == Lang::En).count();
        assert!((60..=150).contains(&english), "{english} of 300 in English");
        let by_phone = desk
            .tickets
            .iter()
            .filter(|t| matches!(t.filer, Filer::Agent(_)))
            .count();
        assert!(by_phone > 20, "{by_phone} taken by phone");
        assert!(
            desk.tickets.windows(2).all(|w| w[0].created_at <= w[1].created_at),
            "oldest first"
        );
        let oldest = desk.tickets.first().map(|t| now - t.created_at).unwrap_or_default();
        assert!(oldest > Duration::days(60) && oldest <= Duration::days(HISTORY_DAYS + 1));
        let newest = desk.tickets.last().map(|t| now - t.created_at).unwrap_or_default();
        assert!(newest >= STORY_MARGIN);
        let locks_broken = desk
            .tickets
            .iter()
            .filter(|t| t.steps.iter().any(|s| matches!(s.action, Action::BreakLock { .. })))
            .count();
        assert!(locks_broken > 0);
        let duplicates = desk
            .tickets
            .iter()
            .filter(|t| {
                t.steps
                    .iter()
                    .any(|s| matches!(s.action, Action::Comment { mentions: Some(_), .. }))
            })
            .count();
        assert!(duplicates > 0);
        let names: BTreeSet<_> = desk.reporters.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), REPORTERS, "reporters' names are unique");
    }

    #[test]
    fn older_tickets_are_more_often_finished() {
        assert_eq!(final_status_for(0.5, 0.1), Status::New);
        assert_eq!(final_status_for(90.0, 0.05), Status::Open);
        assert_eq!(final_status_for(90.0, 0.9), Status::Closed);
        assert_eq!(
            final_status_for(0.5, 0.99),
            Status::Pending,
            "nothing filed today is resolved"
        );
        let finished = |age: f64| {
            (0..100)
                .map(|i| final_status_for(age, i as f64 / 100.0))
                .filter(|s| matches!(s, Status::Resolved | Status::Closed))
                .count()
        };
        assert!(finished(0.5) < finished(5.0) && finished(5.0) < finished(60.0));
    }

    #[test]
    fn a_story_that_would_run_past_now_is_squeezed_into_the_time_there_was() {
        let now = test_now();
        let created = now - Duration::hours(1);
        let steps: Vec<Step> = [0, 30, 600]
            .into_iter()
            .map(|minutes| Step {
                at: created + Duration::minutes(minutes),
                action: Action::Release { agent: 1 },
            })
            .collect();
        let fitted = fit(steps.clone(), created, now);
        assert_eq!(fitted[0].at, created);
        assert!(fitted[1].at > created && fitted[1].at < fitted[2].at);
        assert_eq!(fitted[2].at, now - STORY_MARGIN);
        let short: Vec<Step> = steps.into_iter().take(2).collect();
        assert_eq!(
            fit(short.clone(), created, now),
            short,
            "a story that fits is left alone"
        );
    }
}
