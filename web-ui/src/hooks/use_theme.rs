//! Light, dark or follow the system: stored in `localStorage`, applied as `data-theme` on `<html>`.
//! `index.html` applies the stored choice before the app loads, so there is no flash.

use yew::prelude::*;

const STORAGE_KEY: &str = "loket-theme";

/// The agent's theme choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(text: &str) -> Theme {
        match text {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }

    /// The next choice when the toggle is pressed.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "Theme: system",
            Theme::Light => "Theme: light",
            Theme::Dark => "Theme: dark",
        }
    }
}

fn stored() -> Theme {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .map(|v| Theme::parse(&v))
        .unwrap_or(Theme::System)
}

fn apply(theme: Theme) {
    let Some(window) = web_sys::window() else { return };
    if let Some(root) = window.document().and_then(|d| d.document_element()) {
        let _ = match theme {
            Theme::System => root.remove_attribute("data-theme"),
            other => root.set_attribute("data-theme", other.as_str()),
        };
    }
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.set_item(STORAGE_KEY, theme.as_str());
    }
}

/// The current theme and a callback that switches to the next one.
#[hook]
pub fn use_theme() -> (Theme, Callback<()>) {
    let theme = use_state(stored);
    let cycle = {
        let theme = theme.clone();
        Callback::from(move |_| {
            let next = theme.next();
            apply(next);
            theme.set(next);
        })
    };
    (*theme, cycle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_through_all_three() {
        let mut theme = Theme::System;
        let mut seen = vec![];
        for _ in 0..3 {
            theme = theme.next();
            seen.push(theme.as_str());
        }
        assert_eq!(seen, vec!["light", "dark", "system"]);
        assert_eq!(Theme::parse("bogus"), Theme::System);
    }
}
