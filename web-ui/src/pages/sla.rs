//! Admins: service levels (docs/sla.md). Business-hours calendars (a zone, hours per weekday, holidays)
//! and the promises per queue and priority (first response, resolution, when to warn). What the inputs
//! mean is `sla_form`; the server checks it all again and its refusals are shown as they come.

use crate::api;
use crate::format::priority_label;
use crate::hooks::{Loadable, NoticeKind, use_directory, use_load, use_notify, use_session};
use crate::pages::{admins_only, load_state};
use crate::sla_form::{
    WEEKDAYS, duration_text, holidays_text, hours_text, parse_duration, parse_holidays, parse_hours, parse_percent,
};
use loket_protocol::QueueId;
use loket_protocol::sla::{SlaCalendar, SlaPolicy};
use loket_protocol::ticket::Priority;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[function_component]
pub fn SlaPage() -> Html {
    let session = use_session();
    if !session.is_admin() {
        return admins_only();
    }
    html! { <SlaAdmin /> }
}

/// The calendar form's fields, as typed.
#[derive(Clone, PartialEq)]
struct CalendarForm {
    id: i64,
    name: String,
    tz: String,
    days: [String; 7],
    holidays: String,
}

impl Default for CalendarForm {
    fn default() -> Self {
        let office = "08:00-12:00, 13:00-16:00".to_string();
        CalendarForm {
            id: 0,
            name: String::new(),
            tz: "Asia/Jakarta".into(),
            days: [
                office.clone(),
                office.clone(),
                office.clone(),
                office.clone(),
                office,
                String::new(),
                String::new(),
            ],
            holidays: String::new(),
        }
    }
}

impl CalendarForm {
    fn of(c: &SlaCalendar) -> CalendarForm {
        let mut days: [String; 7] = Default::default();
        for (day, hours) in days.iter_mut().zip(&c.hours) {
            *day = hours_text(hours);
        }
        CalendarForm {
            id: c.id,
            name: c.name.clone(),
            tz: c.tz.clone(),
            days,
            holidays: holidays_text(&c.holidays),
        }
    }

    fn read(&self) -> Result<SlaCalendar, String> {
        let hours = self
            .days
            .iter()
            .zip(WEEKDAYS)
            .map(|(text, day)| parse_hours(text).map_err(|e| format!("{day}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SlaCalendar {
            id: self.id,
            name: self.name.trim().to_string(),
            tz: self.tz.trim().to_string(),
            hours,
            holidays: parse_holidays(&self.holidays)?,
        })
    }
}

/// The policy form's fields, as typed.
#[derive(Clone, PartialEq)]
struct PolicyForm {
    queue: String,
    priority: String,
    calendar: String,
    first_response: String,
    resolution: String,
    warn: String,
}

impl Default for PolicyForm {
    fn default() -> Self {
        PolicyForm {
            queue: String::new(),
            priority: String::new(),
            calendar: String::new(),
            first_response: "4h".into(),
            resolution: "3d".into(),
            warn: "80".into(),
        }
    }
}

impl PolicyForm {
    fn read(&self) -> Result<SlaPolicy, String> {
        let first_response_secs = parse_duration(&self.first_response).map_err(|e| format!("First response: {e}"))?;
        let resolution_secs = parse_duration(&self.resolution).map_err(|e| format!("Resolution: {e}"))?;
        if first_response_secs.is_none() && resolution_secs.is_none() {
            return Err("Promise a first response, a resolution or both.".into());
        }
        Ok(SlaPolicy {
            id: 0,
            queue: self.queue.parse().ok().map(QueueId),
            priority: Priority::parse(&self.priority),
            calendar_id: self.calendar.parse().ok(),
            first_response_secs,
            resolution_secs,
            warn_share: parse_percent(&self.warn)?,
        })
    }
}

#[function_component]
fn SlaAdmin() -> Html {
    let (calendars, reload_calendars) = use_load(api::sla_calendars);
    let (policies, reload_policies) = use_load(api::sla_policies);
    let directory = use_directory();
    let notify = use_notify();
    let calendar = use_state(CalendarForm::default);
    let calendar_error = use_state(|| None::<String>);
    let policy = use_state(PolicyForm::default);
    let policy_error = use_state(|| None::<String>);

    let on_calendar = {
        let (calendar, error, notify, reload) = (
            calendar.clone(),
            calendar_error.clone(),
            notify.clone(),
            reload_calendars.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let wire = match calendar.read() {
                Ok(wire) => wire,
                Err(message) => return error.set(Some(message)),
            };
            error.set(None);
            let (calendar, error, notify, reload) = (calendar.clone(), error.clone(), notify.clone(), reload.clone());
            spawn_local(async move {
                match api::save_sla_calendar(wire).await {
                    Ok(saved) => {
                        notify.emit((NoticeKind::Success, format!("Calendar “{}” saved.", saved.name)));
                        calendar.set(CalendarForm::default());
                        reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let on_policy = {
        let (policy, error, notify, reload) = (
            policy.clone(),
            policy_error.clone(),
            notify.clone(),
            reload_policies.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let wire = match policy.read() {
                Ok(wire) => wire,
                Err(message) => return error.set(Some(message)),
            };
            error.set(None);
            let (policy, error, notify, reload) = (policy.clone(), error.clone(), notify.clone(), reload.clone());
            spawn_local(async move {
                match api::set_sla_policy(wire).await {
                    Ok(_) => {
                        notify.emit((
                            NoticeKind::Success,
                            "Service level saved. Tickets follow it from their next change.".into(),
                        ));
                        policy.set(PolicyForm::default());
                        reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    // One input of a form: `set` writes what was typed into the form's state.
    fn bind<F: Clone + 'static>(form: &UseStateHandle<F>, set: fn(&mut F, String)) -> Callback<InputEvent> {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*form).clone();
            set(&mut next, e.target_unchecked_into::<HtmlInputElement>().value());
            form.set(next);
        })
    }
    fn choose<F: Clone + 'static>(form: &UseStateHandle<F>, set: fn(&mut F, String)) -> Callback<Event> {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let mut next = (*form).clone();
            set(&mut next, e.target_unchecked_into::<HtmlSelectElement>().value());
            form.set(next);
        })
    }

    let calendar_name = |id: Option<i64>| match (&*calendars, id) {
        (_, None) => "Around the clock".to_string(),
        (Loadable::Ready(list), Some(id)) => list
            .iter()
            .find(|c| c.id == id)
            .map_or(format!("Calendar #{id}"), |c| c.name.clone()),
        (_, Some(id)) => format!("Calendar #{id}"),
    };
    let calendar_list = load_state(&calendars, "calendars").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*calendars else {
            return html! {};
        };
        if list.is_empty() {
            return html! { <p class="muted">{ "No calendars yet: policies measure around the clock." }</p> };
        }
        let rows = list.iter().map(|c| {
            let edit = {
                let (form, c) = (calendar.clone(), c.clone());
                Callback::from(move |_: MouseEvent| form.set(CalendarForm::of(&c)))
            };
            let open: Vec<String> = c
                .hours
                .iter()
                .zip(WEEKDAYS)
                .filter(|(h, _)| !h.is_empty())
                .map(|(h, day)| format!("{} {}", &day[..3], hours_text(h)))
                .collect();
            html! {
                <tr key={c.id} data-testid="sla-calendar">
                    <td>{ &c.name }</td>
                    <td>{ &c.tz }</td>
                    <td class="muted">{ open.join("; ") }</td>
                    <td>{ if c.holidays.is_empty() { "—".to_string() } else { holidays_text(&c.holidays) } }</td>
                    <td><button type="button" class="btn btn-small" onclick={edit}>{ "Edit" }</button></td>
                </tr>
            }
        });
        html! {
            <div class="table-wrap">
                <table class="data">
                    <thead><tr>
                        <th scope="col">{ "Name" }</th><th scope="col">{ "Time zone" }</th>
                        <th scope="col">{ "Open" }</th><th scope="col">{ "Holidays" }</th>
                        <th scope="col"><span class="sr-only">{ "Actions" }</span></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        }
    });
    let policy_list = load_state(&policies, "service levels").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*policies else { return html! {} };
        if list.is_empty() {
            return html! { <p class="muted" data-testid="sla-no-policies">{ "No service levels yet: tickets have no clocks." }</p> };
        }
        let rows = list.iter().map(|p| {
            let remove = {
                let (id, notify, reload) = (p.id, notify.clone(), reload_policies.clone());
                Callback::from(move |_: MouseEvent| {
                    let (notify, reload) = (notify.clone(), reload.clone());
                    spawn_local(async move {
                        match api::delete_sla_policy(id).await {
                            Ok(()) => notify.emit((NoticeKind::Success, "Service level removed.".into())),
                            Err(e) => notify.emit((NoticeKind::Error, e.message)),
                        }
                        reload.emit(());
                    });
                })
            };
            let queue = p.queue.map_or("Every queue".to_string(), |q| {
                directory.queue_name(q).unwrap_or_else(|| format!("Queue #{q}"))
            });
            let none = || "—".to_string();
            html! {
                <tr key={p.id} data-testid="sla-policy">
                    <td>{ queue }</td>
                    <td>{ p.priority.map_or("Any", priority_label) }</td>
                    <td>{ calendar_name(p.calendar_id) }</td>
                    <td data-testid="sla-policy-first-response">{ p.first_response_secs.map_or_else(none, |s| duration_text(Some(s))) }</td>
                    <td data-testid="sla-policy-resolution">{ p.resolution_secs.map_or_else(none, |s| duration_text(Some(s))) }</td>
                    <td>{ format!("{:.0} %", p.warn_share * 100.0) }</td>
                    <td><button type="button" class="btn btn-small" onclick={remove}>{ "Remove" }</button></td>
                </tr>
            }
        });
        html! {
            <div class="table-wrap">
                <table class="data">
                    <thead><tr>
                        <th scope="col">{ "Queue" }</th><th scope="col">{ "Priority" }</th>
                        <th scope="col">{ "Calendar" }</th><th scope="col">{ "First response" }</th>
                        <th scope="col">{ "Resolution" }</th><th scope="col">{ "Warn at" }</th>
                        <th scope="col"><span class="sr-only">{ "Actions" }</span></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        }
    });
    let calendar_options = match &*calendars {
        Loadable::Ready(list) => list
            .iter()
            .map(|c| html! { <option value={c.id.to_string()} selected={policy.calendar == c.id.to_string()}>{ &c.name }</option> })
            .collect::<Html>(),
        _ => Html::default(),
    };
    let day_inputs = WEEKDAYS.iter().enumerate().map(|(i, day)| {
        let oninput = {
            let form = calendar.clone();
            Callback::from(move |e: InputEvent| {
                let mut next = (*form).clone();
                next.days[i] = e.target_unchecked_into::<HtmlInputElement>().value();
                form.set(next);
            })
        };
        let id = format!("sla-day-{i}");
        html! {
            <div class="field">
                <label for={id.clone()}>{ *day }</label>
                <input id={id} type="text" value={calendar.days[i].clone()} {oninput} placeholder="Closed" />
            </div>
        }
    });
    html! {
        <section class="page" aria-labelledby="sla-h">
            <div class="page-head"><h1 id="sla-h">{ "Service levels" }</h1></div>
            <p class="lead muted">{ "Promise a first response and a resolution per queue and priority, measured in \
                business time. Clocks pause while a ticket is pending and appear on the board and the ticket page." }</p>
            <div class="admin-grid">
                <div class="card">
                    <h2>{ "Promises" }</h2>
                    { policy_list }
                </div>
                <form class="card form" onsubmit={on_policy} aria-labelledby="sla-policy-h" data-testid="sla-policy-form">
                    <h2 id="sla-policy-h">{ "Set a service level" }</h2>
                    <p class="muted">{ "The most specific one applies: queue and priority, then queue, then priority, then \
                        the one for every queue. Setting one again replaces it." }</p>
                    <div class="field">
                        <label for="sla-queue">{ "Queue" }</label>
                        <select id="sla-queue" onchange={choose(&policy, |f, v| f.queue = v)}>
                            <option value="" selected={policy.queue.is_empty()}>{ "Every queue" }</option>
                            { for directory.queues.iter().map(|q| html! {
                                <option value={q.id.0.to_string()} selected={policy.queue == q.id.0.to_string()}>{ &q.name }</option>
                            }) }
                        </select>
                    </div>
                    <div class="field">
                        <label for="sla-priority">{ "Priority" }</label>
                        <select id="sla-priority" onchange={choose(&policy, |f, v| f.priority = v)}>
                            <option value="" selected={policy.priority.is_empty()}>{ "Any priority" }</option>
                            { for Priority::ALL.iter().map(|p| html! {
                                <option value={p.as_str()} selected={policy.priority == p.as_str()}>{ priority_label(*p) }</option>
                            }) }
                        </select>
                    </div>
                    <div class="field">
                        <label for="sla-calendar">{ "Business hours" }</label>
                        <select id="sla-calendar" onchange={choose(&policy, |f, v| f.calendar = v)}>
                            <option value="" selected={policy.calendar.is_empty()}>{ "Around the clock" }</option>
                            { calendar_options }
                        </select>
                    </div>
                    <div class="field">
                        <label for="sla-first-response">{ "First response within" }</label>
                        <input id="sla-first-response" type="text" value={policy.first_response.clone()}
                            oninput={bind(&policy, |f, v| f.first_response = v)} placeholder="4h (empty: no promise)" />
                    </div>
                    <div class="field">
                        <label for="sla-resolution">{ "Resolution within" }</label>
                        <input id="sla-resolution" type="text" value={policy.resolution.clone()}
                            oninput={bind(&policy, |f, v| f.resolution = v)} placeholder="3d (empty: no promise)" />
                    </div>
                    <div class="field">
                        <label for="sla-warn">{ "Warn when this share is used (%)" }</label>
                        <input id="sla-warn" type="number" min="1" max="99" value={policy.warn.clone()}
                            oninput={bind(&policy, |f, v| f.warn = v)} />
                    </div>
                    if let Some(message) = &*policy_error {
                        <p class="form-error" role="alert" data-testid="sla-policy-error">{ message }</p>
                    }
                    <button type="submit" class="btn btn-primary">{ "Save service level" }</button>
                </form>
                <div class="card">
                    <h2>{ "Business-hours calendars" }</h2>
                    { calendar_list }
                </div>
                <form class="card form" onsubmit={on_calendar} aria-labelledby="sla-calendar-h" data-testid="sla-calendar-form">
                    <h2 id="sla-calendar-h">{ if calendar.id == 0 { "Add a calendar" } else { "Change the calendar" } }</h2>
                    <div class="field">
                        <label for="sla-calendar-name">{ "Name" }</label>
                        <input id="sla-calendar-name" type="text" required=true maxlength="80" value={calendar.name.clone()}
                            oninput={bind(&calendar, |f, v| f.name = v)} placeholder="For example: Kantor Kelurahan" />
                    </div>
                    <div class="field">
                        <label for="sla-calendar-tz">{ "Time zone" }</label>
                        <input id="sla-calendar-tz" type="text" required=true value={calendar.tz.clone()}
                            oninput={bind(&calendar, |f, v| f.tz = v)} placeholder="Asia/Jakarta" />
                    </div>
                    <p class="muted">{ "Opening hours per day, such as 08:00-12:00, 13:00-16:00; empty: closed. \
                        An end before the start runs overnight." }</p>
                    { for day_inputs }
                    <div class="field">
                        <label for="sla-holidays">{ "Holidays" }</label>
                        <input id="sla-holidays" type="text" value={calendar.holidays.clone()}
                            oninput={bind(&calendar, |f, v| f.holidays = v)} placeholder="2026-12-25, 2027-01-01" />
                    </div>
                    if let Some(message) = &*calendar_error {
                        <p class="form-error" role="alert" data-testid="sla-calendar-error">{ message }</p>
                    }
                    <button type="submit" class="btn btn-primary">{ "Save calendar" }</button>
                    if calendar.id != 0 {
                        <button type="button" class="btn" onclick={{
                            let form = calendar.clone();
                            Callback::from(move |_: MouseEvent| form.set(CalendarForm::default()))
                        }}>{ "Cancel" }</button>
                    }
                </form>
            </div>
        </section>
    }
}
