//! The sign-in throttle's counts (`login_attempts`): one statement counts an attempt against its account
//! and its address, one clears an account after a success, one sweeps out windows that have passed.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use crate::domain::throttle::{AttemptCounts, AttemptKeys, Scope};
use crate::error::AppError;

/// An attempt as counted: the counts it met and the address window it was counted in (to give it back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub counts: AttemptCounts,
    pub address_window: DateTime<Utc>,
}

/// Counts one attempt against both keys, atomically (one statement; concurrent attempts on a key queue
/// on its row, so each sees a distinct count). A window older than `window` starts again at 1.
pub async fn count_attempt(
    db: &impl GenericClient,
    keys: &AttemptKeys,
    window: std::time::Duration,
) -> Result<Counted, AppError> {
    // Rows are always locked account first, address second, so concurrent attempts cannot deadlock.
    let rows = db
        .query(
            &db.prepare_cached(
                "INSERT INTO login_attempts AS a (scope, key, window_start, attempts)
                 VALUES ($1, $2, now(), 1), ($3, $4, now(), 1)
                 ON CONFLICT (scope, key) DO UPDATE SET
                     window_start = CASE WHEN a.window_start <= now() - make_interval(secs => $5)
                                         THEN now() ELSE a.window_start END,
                     attempts = CASE WHEN a.window_start <= now() - make_interval(secs => $5)
                                     THEN 1 ELSE a.attempts + 1 END
                 RETURNING scope, attempts, window_start",
            )
            .await?,
            &[
                &Scope::Account.as_str(),
                &keys.account,
                &Scope::Address.as_str(),
                &keys.address,
                &window.as_secs_f64(),
            ],
        )
        .await?;
    let mut counts = AttemptCounts { account: 0, address: 0 };
    let mut address_window = None;
    for row in rows {
        let attempts: i64 = row.get("attempts");
        if row.get::<_, &str>("scope") == Scope::Account.as_str() {
            counts.account = attempts;
        } else {
            counts.address = attempts;
            address_window = Some(row.get("window_start"));
        }
    }
    let address_window =
        address_window.ok_or_else(|| AppError::internal("counting a sign-in attempt returned no address row"))?;
    Ok(Counted { counts, address_window })
}

/// After a successful sign-in: clears its account's count and gives its attempt back to its address (if
/// that window is still the one it was counted in). Nothing else is reset.
pub async fn succeeded(db: &impl GenericClient, keys: &AttemptKeys, counted: &Counted) -> Result<(), AppError> {
    db.execute(
        &db.prepare_cached(
            "WITH cleared AS (DELETE FROM login_attempts WHERE scope = $1 AND key = $2)
             UPDATE login_attempts SET attempts = attempts - 1
             WHERE scope = $3 AND key = $4 AND window_start = $5 AND attempts > 0",
        )
        .await?,
        &[
            &Scope::Account.as_str(),
            &keys.account,
            &Scope::Address.as_str(),
            &keys.address,
            &counted.address_window,
        ],
    )
    .await?;
    Ok(())
}

/// Deletes counts whose window has passed; returns how many.
pub async fn sweep(db: &impl GenericClient, window: std::time::Duration) -> Result<u64, AppError> {
    Ok(db
        .execute(
            &db.prepare_cached("DELETE FROM login_attempts WHERE window_start <= now() - make_interval(secs => $1)")
                .await?,
            &[&window.as_secs_f64()],
        )
        .await?)
}
