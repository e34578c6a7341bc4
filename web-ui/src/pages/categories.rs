//! Admins: ticket categories: adding, renaming, retiring (no longer offered for new tickets; tickets keep
//! it) and bringing one back.

use crate::api;
use crate::components::category_row::CategoryRow;
use crate::hooks::{Loadable, NoticeKind, use_directory, use_load, use_notify, use_session};
use crate::pages::{admins_only, load_state};
use loket_protocol::CategoryId;
use loket_protocol::api::{CategoryChange, NewCategory};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[function_component]
pub fn CategoriesPage() -> Html {
    let session = use_session();
    if !session.is_admin() {
        return admins_only();
    }
    html! { <CategoriesAdmin /> }
}

#[function_component]
fn CategoriesAdmin() -> Html {
    let (categories, reload) = use_load(api::categories);
    let directory = use_directory();
    let notify = use_notify();
    let name = use_state(String::new);
    let error = use_state(|| None::<String>);
    let changing = use_state(|| None::<CategoryId>);

    let on_submit = {
        let (name, error, reload, directory, notify) = (
            name.clone(),
            error.clone(),
            reload.clone(),
            directory.clone(),
            notify.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = name.trim().to_string();
            if text.is_empty() {
                return;
            }
            error.set(None);
            let (name, error, reload, directory, notify) = (
                name.clone(),
                error.clone(),
                reload.clone(),
                directory.clone(),
                notify.clone(),
            );
            spawn_local(async move {
                match api::create_category(NewCategory { name: text }).await {
                    Ok(category) => {
                        notify.emit((NoticeKind::Success, format!("Category “{}” added.", category.name)));
                        name.set(String::new());
                        reload.emit(());
                        directory.reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let on_name = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| name.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let change = {
        let (changing, reload, directory, notify) =
            (changing.clone(), reload.clone(), directory.clone(), notify.clone());
        move |id: CategoryId, change: CategoryChange, done: String| {
            changing.set(Some(id));
            let (changing, reload, directory, notify) =
                (changing.clone(), reload.clone(), directory.clone(), notify.clone());
            spawn_local(async move {
                let result = api::change_category(id, change).await;
                changing.set(None);
                match result {
                    Ok(_) => notify.emit((NoticeKind::Success, done)),
                    Err(e) => notify.emit((NoticeKind::Error, e.message)),
                }
                reload.emit(());
                directory.reload.emit(());
            });
        }
    };
    let list = load_state(&categories, "categories").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*categories else {
            return html! {};
        };
        if list.is_empty() {
            return html! { <p class="muted">{ "No categories yet. Reporters pick one when they file a ticket." }</p> };
        }
        let rows = list.iter().map(|c| {
            let (id, old) = (c.id, c.name.clone());
            let on_rename = {
                let change = change.clone();
                Callback::from(move |name: String| {
                    let done = format!("“{old}” is now “{name}”.");
                    change(
                        id,
                        CategoryChange {
                            name: Some(name),
                            retired: None,
                        },
                        done,
                    )
                })
            };
            let on_retired = {
                let (change, name) = (change.clone(), c.name.clone());
                Callback::from(move |retired: bool| {
                    let done = if retired {
                        format!("“{name}” is retired: no longer offered for new tickets.")
                    } else {
                        format!("“{name}” is offered again.")
                    };
                    change(
                        id,
                        CategoryChange {
                            name: None,
                            retired: Some(retired),
                        },
                        done,
                    )
                })
            };
            html! { <CategoryRow key={id.0} category={c.clone()} busy={*changing == Some(id)} {on_rename} {on_retired} /> }
        });
        html! {
            <div class="table-wrap">
                <table class="data" data-testid="categories">
                    <thead><tr>
                        <th scope="col">{ "Name" }</th><th scope="col">{ "State" }</th>
                        <th scope="col"><span class="sr-only">{ "Actions" }</span></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        }
    });
    html! {
        <section class="page" aria-labelledby="categories-h">
            <div class="page-head"><h1 id="categories-h">{ "Categories" }</h1></div>
            <p class="lead muted">{ "Reporters and agents choose from the offered categories when they file a ticket. \
                Retire one that is no longer used: tickets filed under it keep it." }</p>
            <div class="admin-grid">
                <div class="card">{ list }</div>
                <form class="card form" onsubmit={on_submit} aria-labelledby="add-category-h">
                    <h2 id="add-category-h">{ "Add a category" }</h2>
                    <div class="field">
                        <label for="category-name">{ "Name" }</label>
                        <input id="category-name" type="text" required=true maxlength="80" value={(*name).clone()}
                            oninput={on_name} placeholder="For example: Roads and streetlights" />
                    </div>
                    if let Some(message) = &*error {
                        <p class="form-error" role="alert">{ message }</p>
                    }
                    <button type="submit" class="btn btn-primary" disabled={name.trim().is_empty()}>{ "Add category" }</button>
                </form>
            </div>
        </section>
    }
}
