//! Input limits and normalisation for everything people type: titles, bodies, names, emails, passwords,
//! search terms and idempotency keys.
//!
//! Every text bound for PostgreSQL is checked for NUL (U+0000), which PostgreSQL cannot store.

/// Longest ticket title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest ticket body or comment, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Longest name (agent, category), in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Shortest password an agent may set.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest reason for breaking a lock.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest search term in `GET /api/tickets?q=`, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Longest idempotency key, in characters.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// Why a value was refused; the text is safe to show to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// Refuses NUL (U+0000): PostgreSQL cannot store it in text.
pub fn no_nul(field: &str, value: &str) -> Result<(), Invalid> {
    if value.contains('\0') {
        return Err(Invalid(format!("{field} must not contain NUL characters (U+0000)")));
    }
    Ok(())
}

/// A trimmed, non-empty single line of at most `max` characters.
pub fn line(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    no_nul(field, value)?;
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(Invalid(format!("{field} is longer than {max} characters")));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(Invalid(format!("{field} must be a single line of text")));
    }
    Ok(value.to_string())
}

/// A ticket title.
pub fn title(value: &str) -> Result<String, Invalid> {
    line("title", value, MAX_TITLE_CHARS)
}

/// Free text (ticket body, comment): trimmed at the end, may be empty only if `allow_empty`.
pub fn text(field: &str, value: &str, allow_empty: bool) -> Result<String, Invalid> {
    no_nul(field, value)?;
    let value = value.trim_end();
    if !allow_empty && value.trim().is_empty() {
        return Err(Invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > MAX_BODY_CHARS {
        return Err(Invalid(format!("{field} is longer than {MAX_BODY_CHARS} characters")));
    }
    // PostgreSQL cannot store NUL in text.
    if value.contains('\0') {
        return Err(Invalid(format!("{field} must not contain NUL characters")));
    }
    Ok(value.to_string())
}

/// An email address, lower-cased; only the shape is checked.
pub fn email(value: &str) -> Result<String, Invalid> {
    no_nul("email", value)?;
    let value = value.trim().to_lowercase();
    let valid = match value.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    };
    if !valid || value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid("email must look like name@example.org".into()));
    }
    Ok(value)
}

/// A search term: trimmed; `None` when there is nothing to search for.
pub fn search(value: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(value) = value else { return Ok(None) };
    no_nul("q", value)?;
    let value = value.trim();
    if value.chars().count() > MAX_SEARCH_CHARS {
        return Err(Invalid(format!("q is longer than {MAX_SEARCH_CHARS} characters")));
    }
    Ok((!value.is_empty()).then(|| value.to_string()))
}

/// An idempotency key, as the client chose it: non-empty, at most [`MAX_IDEMPOTENCY_KEY_CHARS`], no control
/// characters. Not trimmed: the key is opaque.
pub fn idempotency_key(value: &str) -> Result<String, Invalid> {
    if value.is_empty() || value.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
        return Err(Invalid(format!(
            "an idempotency key must have 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid("an idempotency key must not contain control characters".into()));
    }
    Ok(value.to_string())
}

/// A new password: long enough; anything else is the agent's business.
pub fn password(value: &str) -> Result<(), Invalid> {
    if value.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Invalid(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if value.len() > 1024 {
        return Err(Invalid("password is too long".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  Printer on fire ").unwrap(), "Printer on fire");
        assert!(title("   ").is_err());
        assert!(title(&"x".repeat(MAX_TITLE_CHARS + 1)).is_err());
        assert!(title("two\nlines").is_err());
    }

    #[test]
    fn nul_characters_are_refused_because_postgresql_cannot_store_them() {
        assert!(text("body", "a\0b", true).unwrap_err().0.contains("NUL"));
        assert!(email("a\0@x.org").is_err());
        assert!(title("a\0b").is_err());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(email(" Ana@Example.ORG ").unwrap(), "ana@example.org");
        for bad in ["", "ana", "@x", "ana@", "a b@x.org", "a@b@c"] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies_may_be_empty_only_when_allowed() {
        assert_eq!(text("body", "", true).unwrap(), "");
        assert!(text("comment", "  \n", false).is_err());
        assert!(text("body", &"y".repeat(MAX_BODY_CHARS + 1), true).is_err());
        assert!(password("short").is_err());
        assert!(password("long enough").is_ok());
    }

    #[test]
    fn nul_is_refused_in_every_text_bound_for_the_database() {
        for refused in [
            title("Printer\0 on fire"),
            text("body", "a\0b", true),
            text("comment", "\0", false),
            line("name", "Ana\0", MAX_NAME_CHARS),
            email("ana\0@example.org"),
        ] {
            let Invalid(message) = refused.unwrap_err();
            assert!(message.contains("NUL"), "{message}");
        }
        assert!(search(Some("a\0")).is_err());
    }

    #[test]
    fn search_terms_are_trimmed_and_bounded() {
        assert_eq!(search(None).unwrap(), None);
        assert_eq!(search(Some("   ")).unwrap(), None);
        assert_eq!(search(Some(" lamp ")).unwrap().as_deref(), Some("lamp"));
        assert!(search(Some(&"q".repeat(MAX_SEARCH_CHARS + 1))).is_err());
    }

    #[test]
    fn idempotency_keys_are_opaque_but_bounded() {
        assert_eq!(idempotency_key(" k-1 ").unwrap(), " k-1 ");
        assert!(idempotency_key("").is_err());
        assert!(idempotency_key("a\nb").is_err());
        assert!(idempotency_key(&"k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1)).is_err());
    }
}
