//! Service-level clocks (docs/sla.md): one clock as a coloured label with its text ("2 h 05 m left",
//! "overdue 12 m", "paused, …", "met") that counts down live, and a ticket's clocks. The colour rule is
//! `protocol::sla::SlaClock::state`, the same on the board and the ticket page; colour is never the
//! only signal: the words say it too.

use crate::format::datetime;
use crate::hooks::use_now;
use loket_protocol::Timestamp;
use loket_protocol::sla::{SlaClock, SlaState};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SlaBadgeProps {
    pub clock: SlaClock,
    /// Name the promise ("First response: …"); the board's column names it in the title instead.
    #[prop_or_default]
    pub named: bool,
}

/// How often a clock re-renders: every second in its last minutes (where the text shows seconds), else
/// every 15 s (the text shows minutes or hours).
fn tick_ms(clock: &SlaClock, now: Timestamp) -> u32 {
    match clock.due_at {
        Some(due) if clock.met_at.is_none() && !clock.paused && (due - now).num_seconds() < 120 => 1_000,
        _ => 15_000,
    }
}

/// One clock, kept true as time passes.
#[function_component]
pub fn SlaBadge(props: &SlaBadgeProps) -> Html {
    let clock = &props.clock;
    let every = use_state(|| tick_ms(clock, crate::format::now()));
    let now = use_now(*every);
    if tick_ms(clock, now) != *every {
        every.set(tick_ms(clock, now));
    }
    let state = clock.state(now);
    let text = clock.describe(now);
    let label = clock.target.label();
    let due = clock
        .due_at
        .map(|d| format!(", due {}", datetime(d)))
        .unwrap_or_default();
    let title = format!(
        "{label} promise: {}{due}",
        loket_protocol::sla::duration(clock.target_secs)
    );
    let icon = match state {
        SlaState::Breached => "⚠ ",
        SlaState::Warning => "⏳ ",
        SlaState::Met => "✓ ",
        _ => "",
    };
    html! {
        <span class={classes!("badge", "sla", state.css())} data-testid="sla-clock"
            data-target={clock.target.as_str()} data-state={state.css()} {title}>
            { icon }
            if props.named { { format!("{label}: ") } }
            { text }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct SlaClocksProps {
    pub clocks: Vec<SlaClock>,
}

/// A ticket's clocks, each named (the ticket page).
#[function_component]
pub fn SlaClocks(props: &SlaClocksProps) -> Html {
    if props.clocks.is_empty() {
        return Html::default();
    }
    html! {
        <span class="sla-clocks" data-testid="sla-clocks">
            { for props.clocks.iter().map(|c| html! { <SlaBadge key={c.target.as_str()} clock={c.clone()} named=true /> }) }
        </span>
    }
}
