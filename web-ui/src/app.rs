//! The application shell: routes, the session gate (sign-in page or the signed-in shell) and the
//! providers every page relies on (session → connection → directory → board → attention).

use crate::api;
use crate::components::connection_badge::ConnectionBanner;
use crate::components::header::Header;
use crate::hooks::use_session;
use crate::hooks::{
    AttentionProvider, BoardProvider, ConnectionProvider, DirectoryProvider, NoticeProvider, Session, use_live,
};
use crate::pages::{
    account::AccountPage, agents::AgentsPage, audit::AuditPage, board::BoardPage, categories::CategoriesPage,
    invite_codes::InviteCodesPage, login::LoginPage, new_ticket::NewTicketPage, not_found::NotFoundPage,
    queues::QueuesPage, sessions::SessionsPage, sla::SlaPage, stats::StatsPage, ticket::TicketPage,
};
use loket_protocol::api::Agent;
use loket_protocol::{ApiError, ErrorCode, TicketId};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

/// Client routes. They never collide with `/api` or `/ws`; the server answers them with `index.html`.
#[derive(Routable, Clone, Debug, PartialEq)]
pub enum Route {
    #[at("/")]
    Board,
    #[at("/tickets/:id")]
    Ticket { id: i64 },
    #[at("/new")]
    NewTicket,
    /// Statistics of the queues the agent may see (docs/stats.md).
    #[at("/stats")]
    Stats,
    #[at("/admin/agents")]
    Agents,
    #[at("/admin/invite-codes")]
    InviteCodes,
    #[at("/admin/categories")]
    Categories,
    #[at("/admin/queues")]
    Queues,
    #[at("/admin/sessions")]
    Sessions,
    /// Service levels: calendars and promises per queue and priority.
    #[at("/admin/sla")]
    Sla,
    #[at("/admin/audit")]
    Audit,
    /// The signed-in agent's own account: change the password.
    #[at("/account")]
    Account,
    #[at("/login")]
    Login,
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Board => html! { <BoardPage /> },
        Route::Ticket { id } => html! { <TicketPage key={id} id={TicketId(id)} /> },
        Route::NewTicket => html! { <NewTicketPage /> },
        Route::Stats => html! { <StatsPage /> },
        Route::Agents => html! { <AgentsPage /> },
        Route::InviteCodes => html! { <InviteCodesPage /> },
        Route::Categories => html! { <CategoriesPage /> },
        Route::Queues => html! { <QueuesPage /> },
        Route::Sessions => html! { <SessionsPage /> },
        Route::Sla => html! { <SlaPage /> },
        Route::Audit => html! { <AuditPage /> },
        Route::Account => html! { <AccountPage /> },
        Route::Login => html! { <Redirect<Route> to={Route::Board} /> },
        Route::NotFound => html! { <NotFoundPage /> },
    }
}

#[function_component]
pub fn App() -> Html {
    html! {
        <BrowserRouter>
            <NoticeProvider>
                <SessionGate />
            </NoticeProvider>
        </BrowserRouter>
    }
}

/// Where the session stands.
#[derive(Debug, Clone, PartialEq)]
enum Gate {
    Checking,
    SignedOut {
        expired: bool,
    },
    /// The server could not be asked (it is down, or a proxy failed).
    Unreachable(ApiError),
    SignedIn(Agent),
}

#[function_component]
fn SessionGate() -> Html {
    let gate = use_state(|| Gate::Checking);
    let round = use_state(|| 0u32);
    {
        let gate = gate.setter();
        use_effect_with(*round, move |_| {
            spawn_local(async move {
                gate.set(match api::me().await {
                    Ok(agent) => Gate::SignedIn(agent),
                    Err(error) if error.code == ErrorCode::Unauthorized => Gate::SignedOut { expired: false },
                    Err(error) => Gate::Unreachable(error),
                });
            });
        });
    }
    match &*gate {
        Gate::Checking => html! {
            <div class="splash" aria-busy="true"><span class="spinner" aria-hidden="true" />{ "Loading Loket…" }</div>
        },
        Gate::Unreachable(error) => {
            let retry = {
                let round = round.clone();
                Callback::from(move |_: MouseEvent| round.set(*round + 1))
            };
            html! {
                <div class="splash">
                    <div class="card narrow" role="alert">
                        <h1>{ "Cannot reach Loket" }</h1>
                        <p>{ &error.message }</p>
                        <button type="button" class="btn btn-primary" onclick={retry}>{ "Try again" }</button>
                    </div>
                </div>
            }
        }
        Gate::SignedOut { expired } => {
            let on_signed_in = {
                let gate = gate.setter();
                Callback::from(move |agent| gate.set(Gate::SignedIn(agent)))
            };
            html! { <LoginPage {on_signed_in} expired={*expired} /> }
        }
        Gate::SignedIn(agent) => {
            let sign_out = {
                let gate = gate.setter();
                Callback::from(move |_| {
                    let gate = gate.clone();
                    spawn_local(async move {
                        let _ = api::logout().await;
                        gate.set(Gate::SignedOut { expired: false });
                    });
                })
            };
            let expired = {
                let gate = gate.setter();
                Callback::from(move |_| gate.set(Gate::SignedOut { expired: true }))
            };
            let changed = {
                let gate = gate.setter();
                Callback::from(move |agent| gate.set(Gate::SignedIn(agent)))
            };
            let session = Session {
                agent: agent.clone(),
                sign_out,
                expired,
                changed,
            };
            html! {
                <ContextProvider<Session> context={session}>
                    <ConnectionProvider>
                        <DirectoryProvider>
                            <BoardProvider>
                                <AttentionProvider>
                                    <Shell />
                                </AttentionProvider>
                            </BoardProvider>
                        </DirectoryProvider>
                    </ConnectionProvider>
                </ContextProvider<Session>>
            }
        }
    }
}

/// The signed-in layout: header, connection banner, the routed page.
#[function_component]
fn Shell() -> Html {
    let live = use_live();
    let session = use_session();
    {
        // Every reconnect asks who we are: the server closes sockets when an admin changes the agent's role,
        // and the shell (admin links, admin pages) follows what it answers.
        let (current, changed) = (session.agent.clone(), session.changed.clone());
        use_effect_with(live.epoch, move |epoch| {
            if *epoch > 1 {
                spawn_local(async move {
                    if let Ok(agent) = api::me().await
                        && agent != current
                    {
                        changed.emit(agent);
                    }
                });
            }
        });
    }
    let was_connected = live.epoch > 0;
    let retry = {
        let conn = live.conn.clone();
        Callback::from(move |_| conn.retry_now())
    };
    html! {
        <>
            <Header />
            <ConnectionBanner status={live.status} {was_connected} on_retry={retry} />
            <main id="main" class="main" tabindex="-1">
                <Switch<Route> render={switch} />
            </main>
        </>
    }
}
