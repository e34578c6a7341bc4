//! Inline SVG icons (bundled, stroke-drawn, `currentColor`), decorative unless given a label.

use yew::prelude::*;

/// The icons the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Logo,
    Lock,
    Unlock,
    Plus,
    Search,
    Sun,
    Moon,
    Monitor,
    SignOut,
    Paperclip,
    Reply,
    Clock,
    Alert,
    Check,
    Copy,
    Edit,
    Back,
}

fn paths(icon: Icon) -> Html {
    match icon {
        Icon::Logo => html! { <>
            <rect x="3" y="4" width="18" height="16" rx="3" />
            <path d="M3 10h18" /><path d="M8 15h3" /><circle cx="16.5" cy="15" r="1.5" />
        </> },
        Icon::Lock => html! { <>
            <rect x="4" y="11" width="16" height="10" rx="2" /><path d="M8 11V7a4 4 0 0 1 8 0v4" />
        </> },
        Icon::Unlock => html! { <>
            <rect x="4" y="11" width="16" height="10" rx="2" /><path d="M8 11V7a4 4 0 0 1 7.5-2" />
        </> },
        Icon::Plus => html! { <path d="M12 5v14M5 12h14" /> },
        Icon::Search => html! { <><circle cx="11" cy="11" r="7" /><path d="m20 20-3.5-3.5" /></> },
        Icon::Sun => html! { <>
            <circle cx="12" cy="12" r="4" />
            <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
        </> },
        Icon::Moon => html! { <path d="M20 14.5A8.5 8.5 0 1 1 9.5 4a7 7 0 0 0 10.5 10.5z" /> },
        Icon::Monitor => html! { <><rect x="3" y="4" width="18" height="12" rx="2" /><path d="M8 20h8M12 16v4" /></> },
        Icon::SignOut => {
            html! { <><path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4" /><path d="m16 17 5-5-5-5M21 12H9" /></> }
        }
        Icon::Paperclip => html! {
            <path d="m21 11-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7" />
        },
        Icon::Reply => html! { <path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z" /> },
        Icon::Clock => html! { <><circle cx="12" cy="12" r="9" /><path d="M12 7v5l3 2" /></> },
        Icon::Alert => html! { <><path d="M12 3 2 20h20z" /><path d="M12 10v4M12 17h.01" /></> },
        Icon::Check => html! { <path d="m5 12 5 5 9-10" /> },
        Icon::Copy => {
            html! { <><rect x="9" y="9" width="12" height="12" rx="2" /><path d="M5 15V5a2 2 0 0 1 2-2h10" /></> }
        }
        Icon::Edit => html! { <path d="M4 20h4L19 9l-4-4L4 16zM14 6l4 4" /> },
        Icon::Back => html! { <path d="M15 18l-6-6 6-6" /> },
    }
}

/// An icon at text size.
pub fn icon(which: Icon) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor"
            stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
            { paths(which) }
        </svg>
    }
}
