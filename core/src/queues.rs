//! Queues on the [`Desk`]: list them, and change them by the rule in `protocol::queue::may` (admins
//! everything; a queue's manager its name, description and plain members).
//!
//! Each change commits in one transaction with its entry in the admin audit trail. A change of who is in
//! a queue also appends a `MembershipChanged` event to the event log in that transaction: every
//! instance's reader hands it to its bus, which makes that agent's WebSockets reconnect with their new
//! access (their cached [`Access`] is per connection). REST requests and board views read the access
//! afresh every time, and ticket changes check it in their own transaction, so nothing waits for that.

use loket_protocol::api::{AdminAction, Agent, AuditDetails, AuditTarget};
use loket_protocol::queue::{
    self, CategoryQueue, MAX_QUEUE_DESCRIPTION_CHARS, MAX_QUEUE_NAME_CHARS, NewQueue, Queue, QueueAction, QueuePatch,
    SetMember,
};
use loket_protocol::ws::ServerMessage;
use loket_protocol::{AgentId, CategoryId, QueueId};

use crate::db;
use crate::desk::Desk;
use crate::domain::validate;
use crate::error::AppError;

fn name(raw: &str) -> Result<String, AppError> {
    Ok(validate::line("name", raw, MAX_QUEUE_NAME_CHARS)?)
}

fn description(raw: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.chars().count() > MAX_QUEUE_DESCRIPTION_CHARS || text.contains('\0') {
        return Err(AppError::invalid(format!(
            "description must be at most {MAX_QUEUE_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(text.to_string())
}

/// Refuses `action` on `queue` by `by` (whose membership there is `manager`) unless the rule allows it.
fn check(by: &Agent, manager: bool, action: QueueAction) -> Result<(), AppError> {
    if queue::may(by.role, manager, action) {
        return Ok(());
    }
    Err(AppError::Forbidden(match action {
        QueueAction::Administer | QueueAction::ChangeManagers => "only admins may do that to a queue".into(),
        QueueAction::Edit | QueueAction::ChangeMembers => "only admins and the queue's managers may do that".into(),
    }))
}

impl Desk {
    /// Every queue with its members and categories (any agent may list them: the board names them).
    pub async fn queues(&self) -> Result<Vec<Queue>, AppError> {
        let client = self.pool.get().await?;
        db::queues::list(&client).await
    }

    /// One queue.
    pub async fn queue(&self, id: QueueId) -> Result<Queue, AppError> {
        let client = self.pool.get().await?;
        db::queues::get(&client, id).await?.ok_or(AppError::NotFound("queue"))
    }

    /// Creates a queue (admins; audited as `queue_created`); with `is_default`, it becomes the default.
    pub async fn create_queue(&self, by: &Agent, new: NewQueue) -> Result<Queue, AppError> {
        check(by, false, QueueAction::Administer)?;
        let (name, description) = (name(&new.name)?, description(&new.description)?);
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let id = db::queues::insert(&tx, &name, &description).await?;
        let mut details = AuditDetails {
            name: Some(name.clone()),
            ..Default::default()
        };
        if new.is_default {
            details.from = db::queues::make_default(&tx, id).await?;
            details.to = Some("default".into());
        }
        db::admin::record(&tx, by.id, AdminAction::QueueCreated, AuditTarget::Queue(id), &details).await?;
        tx.commit().await?;
        tracing::info!(admin = %by.id, queue = %id, "queue created");
        self.queue(id).await
    }

    /// Changes a queue's name or description (admins and its managers) or makes it the default (admins);
    /// audited as `queue_changed`.
    pub async fn change_queue(&self, by: &Agent, id: QueueId, patch: QueuePatch) -> Result<Queue, AppError> {
        if patch.is_default == Some(false) {
            return Err(AppError::invalid(
                "a queue stops being the default only when another one becomes it",
            ));
        }
        let new_name = patch.name.as_deref().map(name).transpose()?;
        let new_description = patch.description.as_deref().map(description).transpose()?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let old_name = db::queues::lock(&tx, id).await?;
        let manager = db::queues::membership(&tx, id, by.id).await?.unwrap_or(false);
        if new_name.is_some() || new_description.is_some() {
            check(by, manager, QueueAction::Edit)?;
        }
        if patch.is_default.is_some() {
            check(by, manager, QueueAction::Administer)?;
        }
        let current = db::queues::get(&tx, id).await?.ok_or(AppError::NotFound("queue"))?;
        let mut from = Vec::new();
        let mut to = Vec::new();
        let name = new_name.unwrap_or_else(|| current.name.clone());
        let description = new_description.unwrap_or_else(|| current.description.clone());
        if name != current.name {
            from.push(format!("name: {}", current.name));
            to.push(format!("name: {name}"));
        }
        if description != current.description {
            from.push(format!("description: {}", current.description));
            to.push(format!("description: {description}"));
        }
        if !from.is_empty() {
            db::queues::update(&tx, id, &name, &description).await?;
        }
        if patch.is_default == Some(true) && !current.is_default {
            let old = db::queues::make_default(&tx, id).await?;
            from.push(format!("default: {}", old.unwrap_or_default()));
            to.push(format!("default: {name}"));
        }
        if !to.is_empty() {
            let details = AuditDetails {
                name: Some(old_name),
                from: Some(from.join("; ")),
                to: Some(to.join("; ")),
                ..Default::default()
            };
            db::admin::record(&tx, by.id, AdminAction::QueueChanged, AuditTarget::Queue(id), &details).await?;
        }
        tx.commit().await?;
        self.queue(id).await
    }

    /// Adds `agent` to queue `id`, or changes whether they manage it (audited as `queue_member_set`).
    /// Managers may add plain members; only admins make or unmake managers.
    pub async fn set_queue_member(
        &self,
        by: &Agent,
        id: QueueId,
        agent: AgentId,
        set: SetMember,
    ) -> Result<Queue, AppError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let queue_name = db::queues::lock(&tx, id).await?;
        let target = db::agents::reference(&tx, agent)
            .await?
            .ok_or(AppError::NotFound("agent"))?;
        let mine = db::queues::membership(&tx, id, by.id).await?.unwrap_or(false);
        let theirs = db::queues::membership(&tx, id, agent).await?;
        let action = match (theirs, set.manager) {
            (Some(true), _) | (_, true) => QueueAction::ChangeManagers,
            _ => QueueAction::ChangeMembers,
        };
        check(by, mine, action)?;
        if theirs == Some(set.manager) {
            // As asked already: nothing to record, nobody to reconnect.
            drop(tx);
            return self.queue(id).await;
        }
        db::queues::set_member(&tx, id, agent, set.manager).await?;
        let details = AuditDetails {
            name: Some(target.name.clone()),
            from: theirs.map(|m| if m { "manager" } else { "member" }.into()),
            to: Some(format!(
                "{} of {queue_name}",
                if set.manager { "manager" } else { "member" }
            )),
            ..Default::default()
        };
        db::admin::record(
            &tx,
            by.id,
            AdminAction::QueueMemberSet,
            AuditTarget::Queue(id),
            &details,
        )
        .await?;
        self.commit_membership(tx, agent).await?;
        tracing::info!(by = %by.id, queue = %id, agent = %agent, manager = set.manager, "queue member set");
        self.queue(id).await
    }

    /// Takes `agent` out of queue `id` (audited as `queue_member_removed`): managers may remove plain
    /// members, admins anyone. Their open screens reconnect and stop showing the queue's tickets.
    pub async fn remove_queue_member(&self, by: &Agent, id: QueueId, agent: AgentId) -> Result<Queue, AppError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let queue_name = db::queues::lock(&tx, id).await?;
        let mine = db::queues::membership(&tx, id, by.id).await?.unwrap_or(false);
        let Some(theirs) = db::queues::membership(&tx, id, agent).await? else {
            return Err(AppError::NotFound("queue member"));
        };
        let action = if theirs {
            QueueAction::ChangeManagers
        } else {
            QueueAction::ChangeMembers
        };
        check(by, mine, action)?;
        let target = db::agents::reference(&tx, agent)
            .await?
            .ok_or(AppError::NotFound("agent"))?;
        db::queues::remove_member(&tx, id, agent).await?;
        let details = AuditDetails {
            name: Some(target.name),
            from: Some(format!("{} of {queue_name}", if theirs { "manager" } else { "member" })),
            ..Default::default()
        };
        db::admin::record(
            &tx,
            by.id,
            AdminAction::QueueMemberRemoved,
            AuditTarget::Queue(id),
            &details,
        )
        .await?;
        self.commit_membership(tx, agent).await?;
        tracing::info!(by = %by.id, queue = %id, agent = %agent, "queue member removed");
        self.queue(id).await
    }

    /// Files `category`'s reports in `to.queue_id` (none: the default queue); admins, audited as
    /// `category_queue_set`. Tickets filed before keep their queue.
    pub async fn set_category_queue(
        &self,
        by: &Agent,
        category: CategoryId,
        to: CategoryQueue,
    ) -> Result<(), AppError> {
        check(by, false, QueueAction::Administer)?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let new_name = match to.queue_id {
            Some(queue) => Some(db::queues::lock(&tx, queue).await?),
            None => None,
        };
        let (category_name, old_name) = db::queues::set_category_queue(&tx, category, to.queue_id).await?;
        if old_name != new_name {
            let details = AuditDetails {
                name: Some(category_name),
                from: old_name,
                to: new_name,
                ..Default::default()
            };
            let target = AuditTarget::Category(category);
            db::admin::record(&tx, by.id, AdminAction::CategoryQueueSet, target, &details).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Appends `MembershipChanged` for `agent` in `tx` and commits; then the event goes out through its
    /// slot in the log (every instance's bus reconnects the agent's sessions).
    async fn commit_membership(&self, tx: deadpool_postgres::Transaction<'_>, agent: AgentId) -> Result<(), AppError> {
        let event = ServerMessage::MembershipChanged {
            agent_id: agent,
            position: 0,
        };
        // Reserved as late as possible: until numbered, the slot holds back every later event.
        let slot = self.events().reserve();
        let position = db::event_log::append_desk(&tx, &event).await?;
        slot.numbered(position);
        // A COMMIT cut off leaves the slot to be abandoned (dropped): a reader following the log still
        // delivers the event if it committed.
        db::commit(tx).await?;
        slot.publish(position, event);
        Ok(())
    }
}
