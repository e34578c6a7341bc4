//! The live board as context: every ticket, updated by broadcasts and fully resynchronised with
//! `GetTickets` after every (re)connect.

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
    use_effect_with((live.epoch, live.conn.clone()), |(epoch, conn)| {
        if *epoch > 0 {
            conn.send(ClientMessage::GetTickets);
        }
    });
    use_effect_with(board.syncs, move |syncs| {
        if *syncs > 1 {
            notify.emit((
                NoticeKind::Success,
                "Reconnected. The board is up to date again.".to_string(),
            ));
        }
    });
    html! {
        <ContextProvider<UseReducerHandle<Board>> context={board}>
            { props.children.clone() }
        </ContextProvider<UseReducerHandle<Board>>>
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
