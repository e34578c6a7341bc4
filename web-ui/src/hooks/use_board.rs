//! The board as context: one view of the tickets, a page at a time (see `state::board`). The provider
//! sends the page requests the board wants, one at a time, and feeds it every server message. A
//! reconnect resumes the event stream (the connection replays what was missed and the agent is told how
//! many changes that was); the board loads its first page afresh only when resuming failed.

use crate::format::now;
use crate::hooks::{NoticeKind, use_live, use_notify, use_server_messages, use_session};
use crate::state::board::{Board, BoardAction};
use loket_protocol::ws::ServerMessage;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProviderProps {
    pub children: Html,
}

#[function_component]
pub fn BoardProvider(props: &ProviderProps) -> Html {
    let session = use_session();
    let board = {
        let me = session.agent.id;
        use_reducer(move || Board::new(me))
    };
    let live = use_live();
    let notify = use_notify();
    {
        let dispatcher = board.dispatcher();
        use_server_messages(Callback::from(move |msg: Rc<ServerMessage>| {
            dispatcher.dispatch(BoardAction::Server { msg, at: now() })
        }));
    }
    // The board's "My queues" and what it may show follow the connection's access.
    {
        let dispatcher = board.dispatcher();
        use_effect_with(live.access.clone(), move |access| {
            dispatcher.dispatch(BoardAction::Access(access.clone()));
        });
    }
    // A reconnect (resumed or not) voids a request sent on the old connection; a failed resume (and the
    // first connect) loads the view afresh.
    {
        let dispatcher = board.dispatcher();
        use_effect_with(live.epoch, move |epoch| {
            if *epoch > 1 {
                dispatcher.dispatch(BoardAction::Reconnected);
            }
        });
    }
    {
        let dispatcher = board.dispatcher();
        let seen_access = use_mut_ref(|| 0u32);
        use_effect_with((live.syncs, live.access_changes), move |(syncs, access_changes)| {
            let access_changed = *seen_access.borrow() != *access_changes;
            *seen_access.borrow_mut() = *access_changes;
            if *syncs > 1 {
                // A new role or new queues: the view loads afresh, as expected (no "reconnected" notice).
                dispatcher.dispatch(if access_changed {
                    BoardAction::Refresh
                } else {
                    BoardAction::Reload
                });
            }
        });
    }
    // Send what the board wants, one request at a time, once connected.
    {
        let dispatcher = board.dispatcher();
        let wanted = board.wanted.clone().filter(|_| board.in_flight.is_none());
        let ready = live.connected() && live.syncs > 0;
        let conn = live.conn.clone();
        use_effect_with((wanted, ready, live.epoch), move |(wanted, ready, _)| {
            if let (Some(request), true) = (wanted.clone(), *ready) {
                dispatcher.dispatch(BoardAction::Sent(request.seq));
                spawn_local(async move {
                    if let Err(error) = conn.request(request.message()).await {
                        dispatcher.dispatch(BoardAction::Failed {
                            seq: request.seq,
                            error,
                        });
                    }
                });
            }
        });
    }
    {
        let notify = notify.clone();
        use_effect_with(board.syncs, move |syncs| {
            if *syncs > 0 {
                notify.emit((
                    NoticeKind::Success,
                    "Reconnected. The board was reloaded and is up to date again.".to_string(),
                ));
            }
        });
    }
    use_effect_with(live.resumed, move |resumed| {
        if let Some(resumed) = resumed {
            notify.emit((NoticeKind::Success, resumed_notice(resumed.applied)));
        }
    });
    html! {
        <ContextProvider<UseReducerHandle<Board>> context={board}>
            { props.children.clone() }
        </ContextProvider<UseReducerHandle<Board>>>
    }
}

/// What the agent is told after a reconnect that resumed: how many changes it applied.
pub fn resumed_notice(applied: u32) -> String {
    match applied {
        1 => "Reconnected, 1 change applied.".to_string(),
        n => format!("Reconnected, {n} changes applied."),
    }
}

#[allow(
    clippy::expect_used,
    reason = "the board page is always rendered inside BoardProvider; a missing provider is a programming error"
)]
#[hook]
pub fn use_board() -> UseReducerHandle<Board> {
    use_context::<UseReducerHandle<Board>>().expect("use_board is only used inside BoardProvider")
}

#[cfg(test)]
mod tests {
    use super::resumed_notice;

    #[test]
    fn the_resume_notice_counts_changes() {
        assert_eq!(resumed_notice(0), "Reconnected, 0 changes applied.");
        assert_eq!(resumed_notice(1), "Reconnected, 1 change applied.");
        assert_eq!(resumed_notice(12), "Reconnected, 12 changes applied.");
    }
}
