//! The live WebSocket connection as context: [`ConnectionProvider`] opens it when the shell mounts and
//! closes it on sign-out; [`use_live`] gives components the handle, its state, its epoch (which
//! increases with every (re)connect, for what a new connection must redo, like taking a lock back), its
//! syncs (which increase when views must reload: first connect, or a reconnect that could not resume)
//! and the last resumed reconnect.

use crate::hooks::use_session;
use crate::ws::{ConnStatus, Connection, Resumed, Snapshot};
use loket_protocol::queue::Access;
use loket_protocol::ws::ServerMessage;
use std::rc::Rc;
use yew::prelude::*;

/// The connection as components see it.
#[derive(Clone, PartialEq)]
pub struct Live {
    pub conn: Connection,
    pub status: ConnStatus,
    /// 0 before the first `Welcome`, then +1 per connection.
    pub epoch: u32,
    /// 0 before the first `Welcome`; +1 whenever views must load their data afresh.
    pub syncs: u32,
    /// The last reconnect that resumed the event stream, and how many events it applied.
    pub resumed: Option<Resumed>,
    /// Which queues' tickets the agent sees (from the last `Welcome`).
    pub access: Access,
    /// How many reconnects brought a different access (their reload is expected).
    pub access_changes: u32,
}

impl Live {
    pub fn connected(&self) -> bool {
        self.status == ConnStatus::Connected
    }
}

#[derive(Properties, PartialEq)]
pub struct ProviderProps {
    pub children: Html,
}

/// Owns the connection for as long as the agent is signed in.
#[function_component]
pub fn ConnectionProvider(props: &ProviderProps) -> Html {
    let session = use_session();
    let snapshot = use_state(Snapshot::default);
    let conn = {
        let setter = snapshot.setter();
        let expired = session.expired.clone();
        use_memo((), move |_| {
            Connection::new(Callback::from(move |s| setter.set(s)), expired)
        })
    };
    {
        let conn = (*conn).clone();
        use_effect_with((), move |_| {
            conn.start();
            move || conn.shutdown()
        });
    }
    let live = Live {
        conn: (*conn).clone(),
        status: snapshot.status,
        epoch: snapshot.epoch,
        syncs: snapshot.syncs,
        resumed: snapshot.resumed,
        access: snapshot.access.clone(),
        access_changes: snapshot.access_changes,
    };
    html! {
        <ContextProvider<Live> context={live}>
            { props.children.clone() }
        </ContextProvider<Live>>
    }
}

#[allow(
    clippy::expect_used,
    reason = "the app is always rendered inside ConnectionProvider; a missing provider is a programming error"
)]
#[hook]
pub fn use_live() -> Live {
    use_context::<Live>().expect("use_live is only used inside ConnectionProvider")
}

/// Calls `listener` with every server message while the calling component is mounted. The first
/// listener passed is kept, so pass one that stays valid (a reducer dispatcher, say).
#[hook]
pub fn use_server_messages(listener: Callback<Rc<ServerMessage>>) {
    let live = use_live();
    use_effect_with(live.conn, move |conn| {
        let subscription = conn.subscribe(listener);
        move || drop(subscription)
    });
}
