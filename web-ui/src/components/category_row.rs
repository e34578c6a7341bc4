//! One category in the admins' table: its name (renamed in place), whether it is offered, and retiring or
//! bringing it back.

use loket_protocol::api::Category;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CategoryRowProps {
    pub category: Category,
    /// A change to this category is on its way.
    pub busy: bool,
    pub on_rename: Callback<String>,
    /// `true`: retire; `false`: bring back.
    pub on_retired: Callback<bool>,
}

#[function_component]
pub fn CategoryRow(props: &CategoryRowProps) -> Html {
    let editing = use_state(|| None::<String>);
    let c = &props.category;
    let retired = !c.offered();
    let start = {
        let (editing, name) = (editing.clone(), c.name.clone());
        Callback::from(move |_: MouseEvent| editing.set(Some(name.clone())))
    };
    let cancel = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(None))
    };
    let on_input = {
        let editing = editing.clone();
        Callback::from(move |e: InputEvent| editing.set(Some(e.target_unchecked_into::<HtmlInputElement>().value())))
    };
    let save = {
        let (editing, on_rename, current) = (editing.clone(), props.on_rename.clone(), c.name.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(name) = (*editing).clone() {
                let name = name.trim().to_string();
                editing.set(None);
                if !name.is_empty() && name != current {
                    on_rename.emit(name);
                }
            }
        })
    };
    let toggle = props.on_retired.reform(move |_: MouseEvent| !retired);
    let input_id = format!("category-name-{}", c.id);
    let name_cell = match &*editing {
        Some(draft) => html! {
            <form class="inline-form" onsubmit={save}>
                <label for={input_id.clone()} class="sr-only">{ format!("New name for {}", c.name) }</label>
                <input id={input_id} type="text" required=true maxlength="100" value={draft.clone()} oninput={on_input} />
                <button type="submit" class="btn btn-small btn-primary">{ "Save" }</button>
                <button type="button" class="btn btn-small btn-ghost" onclick={cancel}>{ "Cancel" }</button>
            </form>
        },
        None => html! { <span data-testid="category-name">{ &c.name }</span> },
    };
    html! {
        <tr data-category={c.id.to_string()} data-state={if retired { "retired" } else { "offered" }}>
            <td data-label="Name">{ name_cell }</td>
            <td data-label="State">
                if retired {
                    <span class="badge state-used" title="Not offered for new tickets; tickets filed under it keep it">
                        { "Retired" }
                    </span>
                } else {
                    <span class="badge state-active">{ "Offered" }</span>
                }
            </td>
            <td data-label="" class="col-actions">
                <div class="row-actions">
                    if editing.is_none() {
                        <button type="button" class="btn btn-small btn-ghost" onclick={start} disabled={props.busy}>
                            { "Rename" }
                        </button>
                    }
                    <button type="button" class="btn btn-small btn-ghost" onclick={toggle} disabled={props.busy}>
                        { if retired { "Bring back" } else { "Retire" } }
                    </button>
                </div>
            </td>
        </tr>
    }
}
