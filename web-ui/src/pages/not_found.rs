//! Any client route that does not exist.

use crate::app::Route;
use crate::components::AppLink;
use yew::prelude::*;

#[function_component]
pub fn NotFoundPage() -> Html {
    html! {
        <section class="page">
            <div class="card narrow">
                <h1>{ "Page not found" }</h1>
                <p>{ "There is nothing at this address." }</p>
                <AppLink to={Route::Board} classes="btn btn-primary">{ "Back to the board" }</AppLink>
            </div>
        </section>
    }
}
