//! Presence between instances: one `NOTIFY` on `crate::presence::CHANNEL` per announcement. Nothing of
//! presence is stored.

use deadpool_postgres::GenericClient;

use crate::error::AppError;

/// Sends `payload` (JSON, under PostgreSQL's 8,000-byte limit) to every instance listening on `channel`.
pub async fn notify(client: &impl GenericClient, channel: &str, payload: &str) -> Result<(), AppError> {
    client
        .execute("SELECT pg_notify($1, $2)", &[&channel, &payload])
        .await?;
    Ok(())
}
