//! Canned replies on the [`Desk`]: list and search what an agent may use, manage them by the rule in
//! `protocol::canned::may_manage` (admins the shared ones, every agent their own), and render one for a
//! ticket in its reporter's language with the agent's public name.

use loket_protocol::CannedReplyId;
use loket_protocol::TicketId;
use loket_protocol::api::{Agent, Role};
use loket_protocol::canned::{
    self, CannedReply, CannedReplyChange, CannedScope, NewCannedReply, RenderedReply, ReplyLanguage, Values,
};

use crate::db;
use crate::desk::Desk;
use crate::error::AppError;
use deadpool_postgres::GenericClient;

/// Answers a refusal of `canned::may_manage`: a reply the agent may not see is not found.
fn refused(hidden: bool) -> AppError {
    if hidden {
        AppError::NotFound("canned reply")
    } else {
        AppError::Forbidden("only admins manage shared canned replies".into())
    }
}

impl Desk {
    /// The canned replies `agent` may use (shared and their own), optionally only those matching `search`.
    pub async fn canned_replies(&self, agent: &Agent, search: Option<&str>) -> Result<Vec<CannedReply>, AppError> {
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        if search.is_some_and(|s| s.contains('\0') || s.chars().count() > 200) {
            return Err(AppError::invalid("search for at most 200 characters, without NUL"));
        }
        let client = self.pool.get().await?;
        db::canned::list(&client, agent.id, search).await
    }

    /// One canned reply `agent` may use.
    pub async fn canned_reply(&self, agent: &Agent, id: CannedReplyId) -> Result<CannedReply, AppError> {
        let client = self.pool.get().await?;
        db::canned::visible(&client, agent.id, id)
            .await?
            .ok_or(AppError::NotFound("canned reply"))
    }

    /// Adds a canned reply: a personal one for `agent`, or (admins only) a shared one.
    pub async fn create_canned_reply(&self, agent: &Agent, new: NewCannedReply) -> Result<CannedReply, AppError> {
        if new.scope == CannedScope::Shared && agent.role != Role::Admin {
            return Err(refused(false));
        }
        canned::validate(
            Some(&new.title),
            Some(&new.shortcut),
            &[Some(&new.text_en), Some(&new.text_id)],
        )
        .map_err(AppError::invalid)?;
        let owner = (new.scope == CannedScope::Personal).then_some(agent.id);
        let client = self.pool.get().await?;
        db::canned::insert(&client, owner, &new).await
    }

    /// Changes a canned reply `agent` may manage.
    pub async fn change_canned_reply(
        &self,
        agent: &Agent,
        id: CannedReplyId,
        change: CannedReplyChange,
    ) -> Result<CannedReply, AppError> {
        canned::validate(
            change.title.as_deref(),
            change.shortcut.as_deref(),
            &[change.text_en.as_deref(), change.text_id.as_deref()],
        )
        .map_err(AppError::invalid)?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        managed(&tx, agent, id).await?;
        let changed = db::canned::update(&tx, id, &change).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Deletes a canned reply `agent` may manage.
    pub async fn delete_canned_reply(&self, agent: &Agent, id: CannedReplyId) -> Result<(), AppError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        managed(&tx, agent, id).await?;
        db::canned::delete(&tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Canned reply `id` rendered for `ticket` by `agent`: in the reporter's language (English without
    /// a reporter), `{{agent.name}}` as the agent's public name or the desk's.
    pub async fn render_canned_reply(
        &self,
        agent: &Agent,
        id: CannedReplyId,
        ticket: TicketId,
    ) -> Result<RenderedReply, AppError> {
        let reply = self.canned_reply(agent, id).await?;
        let found = self.ticket(agent.id, ticket).await?;
        let client = self.pool.get().await?;
        let language = match db::canned::reporter_language(&client, ticket).await?.as_deref() {
            Some("id") => ReplyLanguage::Id,
            _ => ReplyLanguage::En,
        };
        let agent_name = db::agents::public_name(&client, agent.id)
            .await?
            .unwrap_or_else(|| language.desk_name().to_string());
        let values = Values {
            ticket_key: found.key.clone(),
            ticket_title: found.title.clone(),
            reporter_name: found.reporter.map(|r| r.name),
            agent_name,
            fields: Vec::new(),
        };
        Ok(canned::render(reply.text(language), &values, language))
    }
}

/// Refuses unless canned reply `id` is visible to `agent` (`not_found` otherwise, whoever owns it) and
/// `agent` may manage it: the check before a change or a deletion, inside its transaction.
async fn managed(tx: &impl GenericClient, agent: &Agent, id: CannedReplyId) -> Result<(), AppError> {
    let current = db::canned::visible(tx, agent.id, id)
        .await?
        .ok_or(AppError::NotFound("canned reply"))?;
    canned::may_manage(agent.id, agent.role, current.scope, current.owner_id).map_err(refused)
}
