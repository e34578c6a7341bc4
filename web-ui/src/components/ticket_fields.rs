//! A ticket's fields: read-only when viewing, a labelled form while editing (changed fields marked).

use crate::components::badges::{PriorityBadge, StatusBadge};
use crate::format::{field_label, priority_label, status_label};
use crate::state::ticket::{DraftEdit, Editing};
use loket_protocol::api::{Category, Role};
use loket_protocol::queue::Queue;
use loket_protocol::ticket::{AgentRef, Field, Priority, Status, Ticket};
use loket_protocol::{AgentId, CategoryId, QueueId};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// `stars` of 5 as filled and empty stars: ★★★★☆.
fn stars(stars: u8) -> String {
    let filled = usize::from(stars.min(5));
    format!("{}{}", "\u{2605}".repeat(filled), "\u{2606}".repeat(5 - filled))
}

#[derive(Properties, PartialEq)]
pub struct ViewProps {
    pub ticket: Ticket,
    /// Every queue, to name the ticket's.
    #[prop_or_default]
    pub queues: Rc<Vec<Queue>>,
}

/// The fields as they are on the server.
#[function_component]
pub fn TicketFieldsView(props: &ViewProps) -> Html {
    let t = &props.ticket;
    let none = |text: &str| html! { <span class="muted">{ text.to_string() }</span> };
    html! {
        <div class="fields-view">
            <dl class="props">
                <div><dt>{ "Status" }</dt><dd><StatusBadge status={t.status} /></dd></div>
                <div><dt>{ "Priority" }</dt><dd><PriorityBadge priority={t.priority} /></dd></div>
                <div><dt>{ "Category" }</dt><dd>
                    { t.category.as_ref().map(|c| html! { { &c.name } }).unwrap_or_else(|| none("None")) }
                </dd></div>
                <div><dt>{ "Queue" }</dt><dd data-testid="ticket-queue">
                    { props.queues.iter().find(|q| q.id == t.queue).map(|q| q.name.clone())
                        .unwrap_or_else(|| format!("Queue #{}", t.queue)) }
                </dd></div>
                <div><dt>{ "Assignee" }</dt><dd data-testid="ticket-assignee">
                    { t.assignee.as_ref().map(|a| html! { { &a.name } }).unwrap_or_else(|| none("Unassigned")) }
                </dd></div>
                <div><dt>{ "Reporter" }</dt><dd>
                    { t.reporter.as_ref().map(|r| html! { { &r.name } }).unwrap_or_else(|| none("Agent-created")) }
                </dd></div>
                if let Some(location) = t.location {
                    <div><dt>{ "Location" }</dt><dd data-testid="ticket-location">
                        <span class="coordinates">{ location.display() }</span>{ " " }
                        <a href={location.openstreetmap_url()} target="_blank" rel="noopener noreferrer"
                            data-testid="ticket-location-map">{ "Open in OpenStreetMap" }</a>
                    </dd></div>
                }
                if let Some(rating) = &t.rating {
                    <div><dt>{ "Rating" }</dt><dd data-testid="ticket-rating">
                        <span class="stars" aria-label={format!("{} of 5", rating.stars)}>{ stars(rating.stars) }</span>
                        { format!(" {} of 5", rating.stars) }
                        if let Some(comment) = &rating.comment {
                            <q class="rating-comment" data-testid="ticket-rating-comment">{ comment }</q>
                        }
                    </dd></div>
                }
            </dl>
            <h3 class="sub">{ "Description" }</h3>
            if t.body.trim().is_empty() {
                <p class="muted">{ "No description." }</p>
            } else {
                <div class="description" data-testid="ticket-body">{ &t.body }</div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct FormProps {
    /// The draft, what it started from (to mark changed fields and to know where the status may go).
    pub editing: Editing,
    /// The signed-in agent's role: the lifecycle lets admins close from any status.
    pub role: Role,
    pub categories: Rc<Vec<Category>>,
    pub agents: Rc<Vec<AgentRef>>,
    /// Every queue: the ticket may move to any of them.
    #[prop_or_default]
    pub queues: Rc<Vec<Queue>>,
    pub on_edit: Callback<DraftEdit>,
    pub disabled: bool,
}

/// The edit form. The status menu offers only what the lifecycle allows from where the ticket is.
#[function_component]
pub fn TicketFieldsForm(props: &FormProps) -> Html {
    let d = &props.editing.draft;
    let base_category = props.editing.base.category_id;
    let changed = d.changed_fields(&props.editing.base);
    let statuses = props.editing.status_choices(props.role);
    let mark = |field: Field| changed.contains(&field).then_some("is-changed");
    let select = |make: fn(String) -> Option<DraftEdit>| {
        let on_edit = props.on_edit.clone();
        Callback::from(move |e: Event| {
            if let Some(edit) = make(e.target_unchecked_into::<HtmlSelectElement>().value()) {
                on_edit.emit(edit);
            }
        })
    };
    let on_title = props
        .on_edit
        .reform(|e: InputEvent| DraftEdit::Title(e.target_unchecked_into::<HtmlInputElement>().value()));
    let on_body = props
        .on_edit
        .reform(|e: InputEvent| DraftEdit::Body(e.target_unchecked_into::<HtmlTextAreaElement>().value()));
    let changed_tag = |field: Field| {
        changed
            .contains(&field)
            .then(|| html! { <span class="changed-tag">{ "changed" }</span> })
    };
    // A category or assignee the directory does not know (yet) still shows as selected.
    let mut agents: Vec<AgentRef> = props.agents.as_ref().clone();
    if let Some(id) = d.assignee_id
        && !agents.iter().any(|a| a.id == id)
    {
        agents.push(AgentRef {
            id,
            name: format!("Agent #{id}"),
        });
    }
    html! {
        <div class="fields-form">
            <div class={classes!("field", mark(Field::Title))}>
                <label for="field-title">{ field_label(Field::Title) }{ changed_tag(Field::Title) }</label>
                <input id="field-title" type="text" value={d.title.clone()} oninput={on_title} disabled={props.disabled}
                    required=true maxlength="200" />
            </div>
            <div class="field-grid">
                <div class={classes!("field", mark(Field::Status))}>
                    <label for="field-status">{ field_label(Field::Status) }{ changed_tag(Field::Status) }</label>
                    <select id="field-status" onchange={select(|v| Status::parse(&v).map(DraftEdit::Status))}
                        disabled={props.disabled}>
                        { for statuses.into_iter().map(|s| html! {
                            <option value={s.as_str()} selected={s == d.status}>{ status_label(s) }</option>
                        }) }
                    </select>
                </div>
                <div class={classes!("field", mark(Field::Priority))}>
                    <label for="field-priority">{ field_label(Field::Priority) }{ changed_tag(Field::Priority) }</label>
                    <select id="field-priority" onchange={select(|v| Priority::parse(&v).map(DraftEdit::Priority))}
                        disabled={props.disabled}>
                        { for Priority::ALL.into_iter().map(|p| html! {
                            <option value={p.as_str()} selected={p == d.priority}>{ priority_label(p) }</option>
                        }) }
                    </select>
                </div>
                <div class={classes!("field", mark(Field::Category))}>
                    <label for="field-category">{ field_label(Field::Category) }{ changed_tag(Field::Category) }</label>
                    <select id="field-category" disabled={props.disabled}
                        onchange={select(|v| Some(DraftEdit::Category(v.parse().ok().map(CategoryId))))}>
                        <option value="" selected={d.category_id.is_none()}>{ "None" }</option>
                        // A retired category stays on the ticket that has it, but is not offered to others.
                        { for props.categories.iter()
                            .filter(|c| c.offered() || Some(c.id) == d.category_id || Some(c.id) == base_category)
                            .map(|c| html! {
                                <option value={c.id.to_string()} selected={Some(c.id) == d.category_id}>{ &c.name }</option>
                            }) }
                    </select>
                </div>
                <div class={classes!("field", mark(Field::Queue))}>
                    <label for="field-queue">{ field_label(Field::Queue) }{ changed_tag(Field::Queue) }</label>
                    <select id="field-queue" disabled={props.disabled}
                        onchange={select(|v| v.parse().ok().map(|id| DraftEdit::Queue(QueueId(id))))}>
                        if !props.queues.iter().any(|q| q.id == d.queue_id) {
                            <option value={d.queue_id.to_string()} selected=true>{ format!("Queue #{}", d.queue_id) }</option>
                        }
                        { for props.queues.iter().map(|q| html! {
                            <option value={q.id.to_string()} selected={q.id == d.queue_id}>{ &q.name }</option>
                        }) }
                    </select>
                </div>
                <div class={classes!("field", mark(Field::Assignee))}>
                    <label for="field-assignee">{ field_label(Field::Assignee) }{ changed_tag(Field::Assignee) }</label>
                    <select id="field-assignee" disabled={props.disabled}
                        onchange={select(|v| Some(DraftEdit::Assignee(v.parse().ok().map(AgentId))))}>
                        <option value="" selected={d.assignee_id.is_none()}>{ "Unassigned" }</option>
                        { for agents.iter().map(|a| html! {
                            <option value={a.id.to_string()} selected={Some(a.id) == d.assignee_id}>{ &a.name }</option>
                        }) }
                    </select>
                </div>
            </div>
            <div class={classes!("field", mark(Field::Body))}>
                <label for="field-body">{ field_label(Field::Body) }{ changed_tag(Field::Body) }</label>
                <textarea id="field-body" rows="6" value={d.body.clone()} oninput={on_body} disabled={props.disabled} />
            </div>
        </div>
    }
}
