//! The signed-in agent, provided by the app shell once `/api/auth/me` or a login said who it is.

use loket_protocol::api::{Agent, Role};
use yew::prelude::*;

/// Who is signed in, and how to end the session.
#[derive(Clone, PartialEq)]
pub struct Session {
    pub agent: Agent,
    /// Signs out (the server forgets the session; the socket closes and releases any lock).
    pub sign_out: Callback<()>,
    /// The server no longer knows the session: show the sign-in page with an explanation.
    pub expired: Callback<()>,
    /// The server says the agent is now this (an admin changed their role, say): show them as such.
    pub changed: Callback<Agent>,
}

impl Session {
    pub fn is_admin(&self) -> bool {
        self.agent.role == Role::Admin
    }
}

/// The session; only used below the signed-in shell, which always provides it.
#[allow(
    clippy::expect_used,
    reason = "the signed-in shell always provides the session; a missing provider is a programming error"
)]
#[hook]
pub fn use_session() -> Session {
    use_context::<Session>().expect("use_session is only used inside the signed-in shell")
}
