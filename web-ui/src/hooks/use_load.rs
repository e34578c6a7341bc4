//! A small async loader for pages that show one REST resource: loading, ready or failed, with reload.

use crate::api::ApiResult;
use loket_protocol::ApiError;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// The state of a loaded resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(ApiError),
}

/// Loads with `make` on mount and whenever the returned callback is called.
#[hook]
pub fn use_load<T, F, Fut>(make: F) -> (Rc<Loadable<T>>, Callback<()>)
where
    T: 'static,
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = ApiResult<T>> + 'static,
{
    let state = use_state(|| Rc::new(Loadable::Loading));
    let round = use_state(|| 0u32);
    {
        let setter = state.setter();
        use_effect_with(*round, move |_| {
            let load = make();
            spawn_local(async move {
                setter.set(Rc::new(match load.await {
                    Ok(value) => Loadable::Ready(value),
                    Err(error) => Loadable::Failed(error),
                }));
            });
        });
    }
    let reload = {
        let round = round.clone();
        Callback::from(move |_| round.set(*round + 1))
    };
    ((*state).clone(), reload)
}
