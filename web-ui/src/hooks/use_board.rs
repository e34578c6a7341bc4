//! The live board as context: every ticket, loaded with `GetTickets` at the first connect and kept
//! current by broadcasts. A reconnect resumes the event stream (the connection replays what was missed
//! and the agent is told how many changes that was); the board loads afresh only when resuming failed.

use crate::format::now;
use crate::hooks::{NoticeKind, use_live, use_notify, use_server_messages};
use crate::state::board::{Board, BoardAction};
use loket_protocol::ws::{ClientMessage, ServerMessage};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProviderProps {
    pub children: Html,
}

#[function_component]
pub fn BoardProvider(props: &ProviderProps) -> Html {
    let board = use_reducer(Board::default);
    let live = use_live();
    let notify = use_notify();
    {
        let dispatcher = board.dispatcher();
        use_server_messages(Callback::from(move |msg: Rc<ServerMessage>| {
            dispatcher.dispatch(BoardAction::Server { msg, at: now() })
        }));
    }
    use_effect_with((live.syncs, live.conn.clone()), |(syncs, conn)| {
        if *syncs > 0 {
            // The default view for now ("open work", newest first, the first page).
            conn.send(ClientMessage::GetTickets {
                view: Default::default(),
                limit: None,
                cursor: None,
            });
        }
    });
    {
        let notify = notify.clone();
        use_effect_with(board.syncs, move |syncs| {
            if *syncs > 1 {
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
