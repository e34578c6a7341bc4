//! Access administration: what admins do to agents' accounts, sign-ins and categories, and what every
//! agent may do to their own account.
//!
//! Each change commits in one transaction with its entry in the admin audit trail (`admin_audit`); only
//! then does the event bus close the WebSockets the change ends, so a socket never closes for a change that
//! did not happen. Passwords are hashed and checked on the blocking pool, never on the async threads, and
//! never inside an open transaction.
//!
//! | change | sign-ins | open WebSockets |
//! |---|---|---|
//! | disable an agent | all deleted; sign-in refused (`account_disabled`) | close with 1008 |
//! | change an agent's role | kept; every request reads the role afresh | close with 1012, the client reconnects and is welcomed with the new role |
//! | reset an agent's password | all deleted | close with 1008 |
//! | change your own password | the others deleted, this one kept | the others' close with 1008 |
//! | end a session | that one deleted | that sign-in's close with 1008 |

use loket_protocol::api::{
    AdminAction, Agent, AgentAccount, AuditDetails, AuditEntry, AuditQuery, AuditTarget, Category, CategoryChange,
    NewAgent, PasswordChange, PasswordResetDone, PublicName, Role, SessionInfo, SessionQuery, validate_public_name,
};
use loket_protocol::{AgentId, CategoryId, SessionId};

use crate::actors::bus::{RevokeAgent, RevokeToken, SessionControl};
use crate::auth;
use crate::db;
use crate::desk::Desk;
use crate::domain::access::{self, AccountChange, SessionEffect};
use crate::domain::validate;
use crate::error::AppError;

/// Random bytes in a generated password (16 URL-safe characters).
pub const GENERATED_PASSWORD_BYTES: usize = 12;

/// Hashes `password` with argon2id on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// Checks `password` against `hash` on the blocking pool.
pub async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(AppError::internal)
}

/// What changing an account did.
struct Changed {
    account: AgentAccount,
    sessions_ended: u64,
}

impl Desk {
    /// Creates an agent's account (audited as `agent_created`).
    pub async fn create_agent(&self, by: &Agent, new: NewAgent) -> Result<AgentAccount, AppError> {
        let email = validate::email(&new.email)?;
        let name = validate::line("name", &new.name, validate::MAX_NAME_CHARS)?;
        validate::password(&new.password)?;
        let hash = hash_password(new.password).await?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let agent = db::agents::create(&tx, &email, &name, new.role, &hash).await?;
        let details = AuditDetails {
            name: Some(agent.name.clone()),
            to: Some(agent.role.as_str().into()),
            ..Default::default()
        };
        db::admin::record(
            &tx,
            by.id,
            AdminAction::AgentCreated,
            AuditTarget::Agent(agent.id),
            &details,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(admin = %by.id, agent = %agent.id, role = agent.role.as_str(), "agent created");
        self.account(agent.id).await
    }

    /// Every account, as admins see them.
    pub async fn accounts(&self) -> Result<Vec<AgentAccount>, AppError> {
        let client = self.pool.get().await?;
        db::agents::list(&client).await
    }

    async fn account(&self, id: AgentId) -> Result<AgentAccount, AppError> {
        let client = self.pool.get().await?;
        db::agents::account(&client, id)
            .await?
            .ok_or(AppError::NotFound("agent"))
    }

    /// Disables `target`: its sign-ins end, its WebSockets close and it can no longer sign in. Refused
    /// (`conflict`) for the last active admin. Disabling a disabled account changes nothing.
    pub async fn disable_agent(&self, by: &Agent, target: AgentId) -> Result<AgentAccount, AppError> {
        Ok(self
            .change_account(by, target, AccountChange::Disable, None, AuditDetails::default())
            .await?
            .account)
    }

    /// Lets a disabled agent sign in again (their old sign-ins stay ended).
    pub async fn enable_agent(&self, by: &Agent, target: AgentId) -> Result<AgentAccount, AppError> {
        Ok(self
            .change_account(by, target, AccountChange::Enable, None, AuditDetails::default())
            .await?
            .account)
    }

    /// Gives `target` the role `role`. REST requests see it at once; open WebSockets are closed (1012) so
    /// the client reconnects with it. Demoting the last active admin is refused (`conflict`).
    pub async fn set_agent_role(&self, by: &Agent, target: AgentId, role: Role) -> Result<AgentAccount, AppError> {
        Ok(self
            .change_account(by, target, AccountChange::SetRole(role), None, AuditDetails::default())
            .await?
            .account)
    }

    /// Sets `target`'s password to `password`, or to a generated one (answered once), and ends all its
    /// sign-ins.
    pub async fn reset_password(
        &self,
        by: &Agent,
        target: AgentId,
        password: Option<String>,
    ) -> Result<PasswordResetDone, AppError> {
        let (password, generated) = match password {
            Some(password) => {
                validate::password(&password)?;
                (password, false)
            }
            None => (auth::random_secret(GENERATED_PASSWORD_BYTES), true),
        };
        let hash = hash_password(password.clone()).await?;
        let details = AuditDetails {
            generated: Some(generated),
            ..Default::default()
        };
        let changed = self
            .change_account(by, target, AccountChange::ResetPassword, Some(hash), details)
            .await?;
        Ok(PasswordResetDone {
            agent: changed.account,
            generated_password: generated.then_some(password),
            sessions_ended: changed.sessions_ended,
        })
    }

    /// One account change, audited: locks what the last-admin rule needs, applies, records, commits, and
    /// then closes the sockets the change ends.
    async fn change_account(
        &self,
        by: &Agent,
        target: AgentId,
        change: AccountChange,
        password_hash: Option<String>,
        mut details: AuditDetails,
    ) -> Result<Changed, AppError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // Admins first (in id order), then the target: every change locks in the same order. The admins
        // are locked for every change, as the acting admin must still be one of them when it applies.
        let admins = db::agents::lock_active_admins(&tx).await?;
        access::acting_admin(&admins, by.id)?;
        let current = db::agents::lock(&tx, target)
            .await?
            .ok_or(AppError::NotFound("agent"))?;
        let (agent, disabled) = (current.agent, current.disabled);
        access::keeps_an_admin(&admins, target, &agent.name, agent.role, change)?;
        details.name = Some(agent.name.clone());
        let action = match change {
            AccountChange::Disable if disabled => None,
            AccountChange::Enable if !disabled => None,
            AccountChange::SetRole(role) if role == agent.role => None,
            AccountChange::Disable => {
                db::agents::set_disabled(&tx, target, true).await?;
                Some(AdminAction::AgentDisabled)
            }
            AccountChange::Enable => {
                db::agents::set_disabled(&tx, target, false).await?;
                Some(AdminAction::AgentEnabled)
            }
            AccountChange::SetRole(role) => {
                db::agents::set_role(&tx, target, role).await?;
                details.from = Some(agent.role.as_str().into());
                details.to = Some(role.as_str().into());
                Some(AdminAction::RoleChanged)
            }
            AccountChange::ResetPassword => {
                let hash = password_hash.ok_or_else(|| AppError::internal("a password reset without a hash"))?;
                db::agents::set_password_hash(&tx, target, &hash).await?;
                Some(AdminAction::PasswordReset)
            }
        };
        let Some(action) = action else {
            // Already so: nothing to record, no socket to close.
            drop(tx);
            return Ok(Changed {
                account: self.account(target).await?,
                sessions_ended: 0,
            });
        };
        let effect = change.session_effect(agent.role);
        let sessions_ended = if effect == SessionEffect::EndAll {
            db::agents::delete_sessions_of(&tx, target, None).await?
        } else {
            0
        };
        if effect == SessionEffect::EndAll {
            details.sessions_ended = Some(sessions_ended);
        }
        db::admin::record(&tx, by.id, action, AuditTarget::Agent(target), &details).await?;
        tx.commit().await?;
        tracing::info!(admin = %by.id, agent = %target, action = action.as_str(), sessions_ended, "account changed");
        let why = match change {
            AccountChange::Disable => Some(SessionControl::AccountDisabled),
            AccountChange::ResetPassword => Some(SessionControl::Revoked),
            AccountChange::SetRole(_) => Some(SessionControl::RoleChanged),
            AccountChange::Enable => None,
        };
        if let Some(why) = why {
            self.bus.do_send(RevokeAgent {
                agent: target,
                keep: None,
                why,
            });
        }
        Ok(Changed {
            account: self.account(target).await?,
            sessions_ended,
        })
    }

    /// `agent` changes their own password, proving the current one. Their other sign-ins end; the one
    /// with digest `session` (the one asking) stays. Answers how many ended.
    pub async fn change_own_password(
        &self,
        agent: &Agent,
        session: &[u8],
        change: PasswordChange,
    ) -> Result<u64, AppError> {
        let PasswordChange {
            current_password,
            new_password,
        } = change;
        validate::password(&new_password)?;
        if new_password == current_password {
            return Err(AppError::invalid(
                "choose a new password that differs from the current one",
            ));
        }
        let stored = {
            let client = self.pool.get().await?;
            db::agents::password_hash(&client, agent.id)
                .await?
                .ok_or(AppError::Unauthorized)?
        };
        if !verify_password(current_password, stored).await? {
            return Err(AppError::Forbidden("the current password is not right".into()));
        }
        let hash = hash_password(new_password).await?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let ended = db::agents::delete_sessions_of(&tx, agent.id, Some(session)).await?;
        db::agents::set_password_hash(&tx, agent.id, &hash).await?;
        let details = AuditDetails {
            name: Some(agent.name.clone()),
            sessions_ended: Some(ended),
            ..Default::default()
        };
        db::admin::record(
            &tx,
            agent.id,
            AdminAction::PasswordChanged,
            AuditTarget::Agent(agent.id),
            &details,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(agent = %agent.id, sessions_ended = ended, "agent changed their password");
        self.bus.do_send(RevokeAgent {
            agent: agent.id,
            keep: Some(session.to_vec()),
            why: SessionControl::Revoked,
        });
        Ok(ended)
    }

    /// The name `agent` shows reporters, if any.
    pub async fn public_name(&self, agent: &Agent) -> Result<PublicName, AppError> {
        let client = self.pool.get().await?;
        Ok(PublicName {
            public_name: db::agents::public_name(&client, agent.id).await?,
        })
    }

    /// `agent` sets (or with `None` clears) the name reporters see when they reply, checked by
    /// [`validate_public_name`]. Audited with the names before and after; setting the same name again
    /// changes and records nothing. Answers the name as stored.
    pub async fn set_public_name(&self, agent: &Agent, wanted: PublicName) -> Result<PublicName, AppError> {
        let name = wanted
            .public_name
            .as_deref()
            .map(validate_public_name)
            .transpose()
            .map_err(AppError::invalid)?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let before = db::agents::set_public_name(&tx, agent.id, name.as_deref()).await?;
        if before == name {
            // Nothing changed: nothing to record.
            return Ok(PublicName { public_name: name });
        }
        let details = AuditDetails {
            name: Some(agent.name.clone()),
            from: before,
            to: name.clone(),
            ..Default::default()
        };
        db::admin::record(
            &tx,
            agent.id,
            AdminAction::PublicNameChanged,
            AuditTarget::Agent(agent.id),
            &details,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(agent = %agent.id, "agent changed their public name");
        Ok(PublicName { public_name: name })
    }

    /// Unexpired sign-ins (optionally one agent's), marking the one with digest `current`.
    pub async fn sessions(&self, query: &SessionQuery, current: &[u8]) -> Result<Vec<SessionInfo>, AppError> {
        let client = self.pool.get().await?;
        db::agents::list_sessions(&client, query.agent_id, current).await
    }

    /// Ends sign-in `id`; its WebSockets close (1008).
    pub async fn end_session(&self, by: &Agent, id: SessionId) -> Result<(), AppError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let ended = db::agents::delete_session_by_id(&tx, id)
            .await?
            .ok_or(AppError::NotFound("session"))?;
        let details = AuditDetails {
            name: Some(ended.agent.name.clone()),
            sessions_ended: Some(1),
            ..Default::default()
        };
        db::admin::record(
            &tx,
            by.id,
            AdminAction::SessionEnded,
            AuditTarget::Session(id),
            &details,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(admin = %by.id, agent = %ended.agent.id, session = %id, "session ended by an admin");
        self.bus.do_send(RevokeToken {
            token_digest: ended.token_digest,
        });
        Ok(())
    }

    /// Adds a category (audited as `category_created`).
    pub async fn create_category(&self, by: &Agent, name: &str) -> Result<Category, AppError> {
        let name = validate::line("name", name, validate::MAX_NAME_CHARS)?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let category = db::admin::create_category(&tx, &name).await?;
        let details = AuditDetails {
            name: Some(category.name.clone()),
            ..Default::default()
        };
        db::admin::record(
            &tx,
            by.id,
            AdminAction::CategoryCreated,
            AuditTarget::Category(category.id),
            &details,
        )
        .await?;
        tx.commit().await?;
        Ok(category)
    }

    /// Renames, retires or restores category `id`; each change that does something is audited. Tickets
    /// keep a retired category; it is only no longer offered for new ones.
    pub async fn change_category(
        &self,
        by: &Agent,
        id: CategoryId,
        change: CategoryChange,
    ) -> Result<Category, AppError> {
        if change.name.is_none() && change.retired.is_none() {
            return Err(AppError::invalid("give a new name, or retired: true or false"));
        }
        let name = match &change.name {
            Some(name) => Some(validate::line("name", name, validate::MAX_NAME_CHARS)?),
            None => None,
        };
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut category = db::admin::lock_category(&tx, id)
            .await?
            .ok_or(AppError::NotFound("category"))?;
        let target = AuditTarget::Category(id);
        if let Some(name) = name
            && name != category.name
        {
            db::admin::rename_category(&tx, id, &name).await?;
            let details = AuditDetails {
                name: Some(name.clone()),
                from: Some(category.name.clone()),
                to: Some(name.clone()),
                ..Default::default()
            };
            db::admin::record(&tx, by.id, AdminAction::CategoryRenamed, target, &details).await?;
            category.name = name;
        }
        if let Some(retired) = change.retired
            && retired != category.retired_at.is_some()
        {
            category = db::admin::set_category_retired(&tx, id, retired).await?;
            let action = if retired {
                AdminAction::CategoryRetired
            } else {
                AdminAction::CategoryRestored
            };
            let details = AuditDetails {
                name: Some(category.name.clone()),
                ..Default::default()
            };
            db::admin::record(&tx, by.id, action, target, &details).await?;
        }
        tx.commit().await?;
        Ok(category)
    }

    /// A page of the admin audit trail, newest first.
    pub async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, AppError> {
        let client = self.pool.get().await?;
        db::admin::audit_page(&client, query).await
    }
}
