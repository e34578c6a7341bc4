//! What agents do about attention signals (the rule of which events signal is
//! `loket_protocol::attention`; recording them is `db::attention`): marking a ticket read when they open
//! it. docs/attention.md.

use loket_protocol::TicketId;
use loket_protocol::api::Agent;
use loket_protocol::ws::ServerMessage;

use crate::db;
use crate::desk::Desk;
use crate::error::AppError;

impl Desk {
    /// `agent` opened ticket `ticket` (which they may see): its signals so far are read by them, stored.
    /// When something was unread, `TicketRead` is logged for that agent's sessions on every instance.
    /// Answers whether something was unread.
    pub async fn mark_read(&self, agent: &Agent, ticket: TicketId) -> Result<bool, AppError> {
        self.ticket(agent.id, ticket).await?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if !db::attention::mark_read(&tx, agent.id, ticket).await? {
            tx.commit().await?;
            return Ok(false);
        }
        let event = ServerMessage::TicketRead {
            ticket_id: ticket,
            agent_id: agent.id,
            position: 0,
        };
        // Reserved as late as possible: until numbered, the slot holds back every later event.
        let slot = self.events().reserve();
        let position = db::event_log::append(&tx, ticket, &event).await?;
        slot.numbered(position);
        // A COMMIT cut off leaves the slot to be abandoned (dropped): a reader following the log still
        // delivers the event if it committed.
        db::commit(tx).await?;
        slot.publish(position, event);
        Ok(true)
    }
}
