//! The current time, re-rendering the caller every so often so ages ("5m") stay true.

use crate::format::now;
use gloo_timers::callback::Interval;
use loket_protocol::Timestamp;
use yew::prelude::*;

#[hook]
pub fn use_now(every_ms: u32) -> Timestamp {
    let current = use_state(now);
    {
        let setter = current.setter();
        use_effect_with(every_ms, move |every| {
            let interval = Interval::new(*every, move || setter.set(now()));
            move || drop(interval)
        });
    }
    *current
}
