//! Renders the component again whenever a `Presence` arrives, so what it reads of the connection's
//! presence ([`crate::ws::Connection::presence`]) stays current.

use crate::hooks::use_server_messages;
use loket_protocol::ws::ServerMessage;
use std::rc::Rc;
use yew::prelude::*;

#[hook]
pub fn use_presence_updates() {
    let update = use_force_update();
    use_server_messages(Callback::from(move |msg: Rc<ServerMessage>| {
        if matches!(*msg, ServerMessage::Presence { .. }) {
            update.force_update();
        }
    }));
}
