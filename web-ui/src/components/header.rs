//! The top bar: brand, main navigation, connection state, theme toggle and the agent's menu.

use crate::app::Route;
use crate::components::AppLink;
use crate::components::badges::Avatar;
use crate::components::connection_badge::ConnectionBadge;
use crate::components::icons::{Icon, icon};
use crate::hooks::{Theme, use_live, use_session, use_theme};
use yew::prelude::*;
use yew_router::prelude::*;

#[function_component]
pub fn Header() -> Html {
    let session = use_session();
    let live = use_live();
    let (theme, cycle_theme) = use_theme();
    let route = use_route::<Route>();
    let here = |r: &Route| route.as_ref() == Some(r);
    let on_board = matches!(route, Some(Route::Board));
    let sign_out = session.sign_out.reform(|_: MouseEvent| ());
    let theme_icon = match theme {
        Theme::System => Icon::Monitor,
        Theme::Light => Icon::Sun,
        Theme::Dark => Icon::Moon,
    };
    let admin_links = session.is_admin().then(|| {
        html! { <>
            <AppLink to={Route::Agents} classes="nav-link" current={here(&Route::Agents)}>{ "Agents" }</AppLink>
            <AppLink to={Route::InviteCodes} classes="nav-link" current={here(&Route::InviteCodes)}>
                { "Invite codes" }
            </AppLink>
            <AppLink to={Route::Categories} classes="nav-link" current={here(&Route::Categories)}>
                { "Categories" }
            </AppLink>
            <AppLink to={Route::Queues} classes="nav-link" current={here(&Route::Queues)}>{ "Queues" }</AppLink>
            <AppLink to={Route::Sla} classes="nav-link" current={here(&Route::Sla)}>{ "Service levels" }</AppLink>
            <AppLink to={Route::Sessions} classes="nav-link" current={here(&Route::Sessions)}>{ "Sessions" }</AppLink>
            <AppLink to={Route::Audit} classes="nav-link" current={here(&Route::Audit)}>{ "Audit" }</AppLink>
        </> }
    });
    html! {
        <header class="topbar">
            <a class="skip-link" href="#main">{ "Skip to content" }</a>
            <div class="topbar-inner">
                <AppLink to={Route::Board} classes="brand" label="Loket, ticket board">
                    <span class="brand-mark">{ icon(Icon::Logo) }</span>
                    <span class="brand-name">{ "Loket" }</span>
                </AppLink>
                <nav class="nav" aria-label="Main">
                    <AppLink to={Route::Board} classes="nav-link" current={on_board}>{ "Board" }</AppLink>
                    <AppLink to={Route::NewTicket} classes="nav-link" current={here(&Route::NewTicket)}>
                        { "New ticket" }
                    </AppLink>
                    <AppLink to={Route::Stats} classes="nav-link" current={here(&Route::Stats)}>{ "Statistics" }</AppLink>
                    { admin_links }
                </nav>
                <div class="topbar-end">
                    <ConnectionBadge status={live.status} />
                    <button type="button" class="icon-btn" onclick={cycle_theme.reform(|_: MouseEvent| ())}
                        aria-label={theme.label()} title={theme.label()} data-testid="theme-toggle">
                        { icon(theme_icon) }
                    </button>
                    <AppLink to={Route::Account} classes="me" current={here(&Route::Account)} testid="me"
                        label={format!("{} ({}): my account and password", session.agent.name, session.agent.email)}>
                        <Avatar name={session.agent.name.clone()} />
                        <span class="me-name">{ &session.agent.name }</span>
                    </AppLink>
                    <button type="button" class="btn btn-ghost btn-small" onclick={sign_out} aria-label="Sign out">
                        { icon(Icon::SignOut) }<span>{ "Sign out" }</span>
                    </button>
                </div>
            </div>
        </header>
    }
}
