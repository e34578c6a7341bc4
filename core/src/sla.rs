//! Service levels on the [`Desk`] (docs/sla.md): admins list and change business-hours calendars and
//! policies; each change commits in one transaction with its entry in the admin audit trail. The clocks
//! themselves are moved by the ticket actor (`db::sla`) and raised by the cluster's sweep (`Desk::join_cluster`).

use loket_protocol::api::{AdminAction, Agent, AuditDetails, AuditTarget, Role};
use loket_protocol::sla::{SlaCalendar, SlaPolicy};

use crate::db;
use crate::desk::Desk;
use crate::error::AppError;

fn admins_only(by: &Agent) -> Result<(), AppError> {
    match by.role {
        Role::Admin => Ok(()),
        _ => Err(AppError::Forbidden("only admins change service levels".into())),
    }
}

/// `1h 30m` for 5,400 seconds: how a promise reads in the audit trail.
fn promise(secs: Option<i64>) -> String {
    match secs {
        None => "none".into(),
        Some(s) => loket_protocol::sla::duration(s),
    }
}

impl Desk {
    /// Every business-hours calendar, by name (any agent: the ticket page names them).
    pub async fn sla_calendars(&self) -> Result<Vec<SlaCalendar>, AppError> {
        let client = self.pool.get().await?;
        db::sla::calendars(&client).await
    }

    /// Adds (`id` 0) or replaces a calendar (admins; audited as `sla_calendar_saved`).
    pub async fn save_sla_calendar(&self, by: &Agent, calendar: SlaCalendar) -> Result<SlaCalendar, AppError> {
        admins_only(by)?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let saved = db::sla::save_calendar(&tx, &calendar).await?;
        let details = AuditDetails {
            name: Some(saved.name.clone()),
            to: Some(saved.tz.clone()),
            ..Default::default()
        };
        db::admin::record(
            &tx,
            by.id,
            AdminAction::SlaCalendarSaved,
            AuditTarget::SlaCalendar(saved.id),
            &details,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(admin = %by.id, calendar = saved.id, "SLA calendar saved");
        Ok(saved)
    }

    /// Every policy, the most specific first (any agent).
    pub async fn sla_policies(&self) -> Result<Vec<SlaPolicy>, AppError> {
        let client = self.pool.get().await?;
        db::sla::policies(&client).await
    }

    /// Sets the policy for its queue and priority, replacing one there (admins; audited as
    /// `sla_policy_saved`). Tickets follow it from their next change that moves a clock.
    pub async fn save_sla_policy(&self, by: &Agent, policy: SlaPolicy) -> Result<SlaPolicy, AppError> {
        admins_only(by)?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let saved = db::sla::save_policy(&tx, &policy).await?;
        let details = AuditDetails {
            name: Some(policy_name(&tx, &saved).await?),
            to: Some(format!(
                "first response {}, resolution {}",
                promise(saved.first_response_secs),
                promise(saved.resolution_secs)
            )),
            ..Default::default()
        };
        db::admin::record(
            &tx,
            by.id,
            AdminAction::SlaPolicySaved,
            AuditTarget::SlaPolicy(saved.id),
            &details,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(admin = %by.id, policy = saved.id, "SLA policy saved");
        Ok(saved)
    }

    /// Deletes a policy (admins; audited as `sla_policy_deleted`).
    pub async fn delete_sla_policy(&self, by: &Agent, id: i64) -> Result<(), AppError> {
        admins_only(by)?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let policy = db::sla::policies(&tx)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(AppError::NotFound("policy"))?;
        let details = AuditDetails {
            name: Some(policy_name(&tx, &policy).await?),
            ..Default::default()
        };
        db::sla::delete_policy(&tx, id).await?;
        db::admin::record(
            &tx,
            by.id,
            AdminAction::SlaPolicyDeleted,
            AuditTarget::SlaPolicy(id),
            &details,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(admin = %by.id, policy = id, "SLA policy deleted");
        Ok(())
    }
}

/// `Roads, urgent` or `every queue, any priority`: what a policy covers, for the audit trail.
async fn policy_name(db: &impl deadpool_postgres::GenericClient, policy: &SlaPolicy) -> Result<String, AppError> {
    let queue = match policy.queue {
        Some(id) => db::queues::get(db, id)
            .await?
            .map_or_else(|| format!("queue {id}"), |q| q.name),
        None => "every queue".into(),
    };
    let priority = policy.priority.map_or("any priority", |p| p.as_str());
    Ok(format!("{queue}, {priority}"))
}
