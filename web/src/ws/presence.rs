//! A session's part in presence (`loket_core::presence`): `Viewing` and `Typing` from its client, and
//! the `Presence` frames the process's presence actor sends it.

use actix::prelude::*;
use actix_web_actors::ws;
use loket_core::AppError;
use loket_core::presence::{Join, Leave, PresenceFrame, Type, View};
use loket_protocol::TicketId;
use loket_protocol::queue::Access;

use crate::ws::session::{WsSession, acked_ticket};

impl WsSession {
    /// Joins the presence actor once the session's access is known.
    pub(super) fn join_presence(&mut self, access: Access, ctx: &mut ws::WebsocketContext<Self>) {
        self.desk.presence().addr().do_send(Join {
            session: self.key,
            access,
            recipient: ctx.address().recipient(),
        });
    }

    /// The session ended: its presence goes at once.
    pub(super) fn leave_presence(&mut self) {
        self.desk.presence().addr().do_send(Leave { session: self.key });
    }

    /// `Viewing { ticket_id }`: checks the ticket like reading it, then tells presence; answers the
    /// ticket's set, then the Ack. A later `Viewing` overtakes one still being checked (which then only
    /// gets its Ack).
    pub(super) fn viewing(
        &mut self,
        ticket_id: Option<TicketId>,
        request_id: Option<String>,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let this = self.viewings.get() + 1;
        self.viewings.set(this);
        let latest = self.viewings.clone();
        let (desk, agent, session) = (self.desk.clone(), self.agent.as_ref(), self.key);
        let fut = async move {
            let ticket = match ticket_id {
                Some(id) => Some((id, desk.ticket(agent.id, id).await?.queue)),
                None => None,
            };
            if latest.get() != this {
                return Ok(None);
            }
            // Enqueued with the actor now: no later `Viewing` of this session can reach it first.
            let told = desk.presence().addr().send(View { session, agent, ticket });
            told.await
                .map_err(|err| AppError::internal(format!("the presence actor is gone: {err}")))
        };
        self.answer(ctx, request_id, fut, move |_, result, rid| match result {
            Ok(set) => {
                let mut replies: Vec<_> = set.into_iter().collect();
                replies.extend(acked_ticket(rid, ticket_id));
                replies
            }
            Err(err) => vec![err.to_frame(rid)],
        });
    }

    /// `Typing { ticket_id }`: the agent types a reply on the ticket this session views.
    pub(super) fn typing(
        &mut self,
        ticket_id: TicketId,
        request_id: Option<String>,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let told = self.desk.presence().addr().send(Type {
            session: self.key,
            ticket: ticket_id,
        });
        let fut = async move {
            told.await
                .map_err(|err| AppError::internal(format!("the presence actor is gone: {err}")))?
        };
        self.answer(ctx, request_id, fut, move |_, result, rid| match result {
            Ok(()) => acked_ticket(rid, Some(ticket_id)),
            Err(err) => vec![err.to_frame(rid)],
        });
    }
}

impl Handler<PresenceFrame> for WsSession {
    type Result = ();

    fn handle(&mut self, PresenceFrame(frame): PresenceFrame, ctx: &mut Self::Context) {
        ctx.text(frame);
    }
}
