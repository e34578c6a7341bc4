//! Admins: ticket categories, and adding one.

use crate::api;
use crate::hooks::{Loadable, NoticeKind, use_directory, use_load, use_notify, use_session};
use crate::pages::{admins_only, load_state};
use loket_protocol::api::NewCategory;
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
    let list = load_state(&categories, "categories").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*categories else {
            return html! {};
        };
        if list.is_empty() {
            return html! { <p class="muted">{ "No categories yet. Reporters pick one when they file a ticket." }</p> };
        }
        html! {
            <ul class="chips" aria-label="Categories">
                { for list.iter().map(|c| html! { <li key={c.id.0} class="chip">{ &c.name }</li> }) }
            </ul>
        }
    });
    html! {
        <section class="page" aria-labelledby="categories-h">
            <div class="page-head"><h1 id="categories-h">{ "Categories" }</h1></div>
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
