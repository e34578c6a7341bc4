//! Access rules as plain code: Loket always keeps an active admin, and what each account change does to
//! the agent's open sign-ins and WebSockets.

use loket_protocol::AgentId;
use loket_protocol::api::Role;

/// A change an admin makes to an agent's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Disable,
    Enable,
    SetRole(Role),
    ResetPassword,
}

/// What a change does to the agent's sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEffect {
    /// Nothing: the change does not touch access.
    Keep,
    /// Every sign-in ends (deleted) and its WebSockets close with 1008: the agent must sign in again.
    EndAll,
    /// Sign-ins stay; open WebSockets close with 1012 so the client reconnects and is welcomed with the
    /// new role. REST requests read the role afresh on every request anyway.
    Reconnect,
}

impl AccountChange {
    /// What this change does to sign-ins of an agent whose role is `current`.
    pub fn session_effect(self, current: Role) -> SessionEffect {
        match self {
            AccountChange::Disable | AccountChange::ResetPassword => SessionEffect::EndAll,
            AccountChange::Enable => SessionEffect::Keep,
            AccountChange::SetRole(role) if role == current => SessionEffect::Keep,
            AccountChange::SetRole(_) => SessionEffect::Reconnect,
        }
    }

    /// Whether the change takes admin rights away from an agent whose role is `current`.
    fn removes_admin(self, current: Role) -> bool {
        current == Role::Admin && matches!(self, AccountChange::Disable | AccountChange::SetRole(Role::Agent))
    }
}

/// Refused: the change would leave nobody able to administer Loket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} is the last active admin; make another agent an admin first")]
pub struct LastAdmin {
    pub name: String,
}

/// Refused: the agent making the change is no longer an active admin (demoted or disabled by a change that
/// committed after their request was let in).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("you are no longer an active admin")]
pub struct NotAnAdmin;

/// Allows an account change by `by` only while `by` is one of `active_admins`, as locked by the change's
/// own transaction. The request was let in as an admin's; this decides it against what has committed
/// since, so an admin demoted a moment ago (say, by the admin they were demoting) changes nothing.
pub fn acting_admin(active_admins: &[AgentId], by: AgentId) -> Result<(), NotAnAdmin> {
    if active_admins.contains(&by) {
        Ok(())
    } else {
        Err(NotAnAdmin)
    }
}

/// Allows `change` to `target` (named `name`, role `current`) unless it would leave no active admin.
/// `active_admins` are the active admins now; the caller holds them locked until its change commits, so
/// two admins demoting each other at once cannot both succeed.
pub fn keeps_an_admin(
    active_admins: &[AgentId],
    target: AgentId,
    name: &str,
    current: Role,
    change: AccountChange,
) -> Result<(), LastAdmin> {
    let others = active_admins.iter().filter(|id| **id != target).count();
    if change.removes_admin(current) && active_admins.contains(&target) && others == 0 {
        return Err(LastAdmin { name: name.to_string() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANA: AgentId = AgentId(1);
    const BEN: AgentId = AgentId(2);

    #[test]
    fn only_an_active_admin_may_change_accounts() {
        assert_eq!(acting_admin(&[ANA, BEN], BEN), Ok(()));
        assert_eq!(acting_admin(&[ANA], BEN), Err(NotAnAdmin));
        assert_eq!(acting_admin(&[], ANA), Err(NotAnAdmin));
    }

    #[test]
    fn the_last_active_admin_can_be_neither_disabled_nor_demoted() {
        let only_ana = [ANA];
        for change in [AccountChange::Disable, AccountChange::SetRole(Role::Agent)] {
            let refused = keeps_an_admin(&only_ana, ANA, "Ana", Role::Admin, change);
            assert_eq!(refused, Err(LastAdmin { name: "Ana".into() }), "{change:?}");
            assert!(
                keeps_an_admin(&[ANA, BEN], ANA, "Ana", Role::Admin, change).is_ok(),
                "{change:?}"
            );
        }
        // What keeps rights is always allowed, and so is anything done to a plain agent.
        for change in [
            AccountChange::Enable,
            AccountChange::SetRole(Role::Admin),
            AccountChange::ResetPassword,
        ] {
            assert!(
                keeps_an_admin(&only_ana, ANA, "Ana", Role::Admin, change).is_ok(),
                "{change:?}"
            );
        }
        assert!(keeps_an_admin(&only_ana, BEN, "Ben", Role::Agent, AccountChange::Disable).is_ok());
    }

    #[test]
    fn access_changes_end_or_refresh_sign_ins() {
        assert_eq!(
            AccountChange::Disable.session_effect(Role::Agent),
            SessionEffect::EndAll
        );
        assert_eq!(
            AccountChange::ResetPassword.session_effect(Role::Admin),
            SessionEffect::EndAll
        );
        assert_eq!(AccountChange::Enable.session_effect(Role::Agent), SessionEffect::Keep);
        assert_eq!(
            AccountChange::SetRole(Role::Admin).session_effect(Role::Agent),
            SessionEffect::Reconnect
        );
        assert_eq!(
            AccountChange::SetRole(Role::Agent).session_effect(Role::Agent),
            SessionEffect::Keep
        );
    }
}
