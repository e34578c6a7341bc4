//! Names for pickers and labels: categories, agents and queues, loaded once per connection and on demand.

use crate::api;
use crate::hooks::use_live;
use loket_protocol::api::Category;
use loket_protocol::queue::Queue;
use loket_protocol::ticket::{AgentRef, Field};
use loket_protocol::{AgentId, CategoryId, QueueId};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// Categories and agents, for select boxes and for turning ids into names.
#[derive(Clone, PartialEq, Default)]
pub struct Directory {
    pub categories: Rc<Vec<Category>>,
    pub agents: Rc<Vec<AgentRef>>,
    /// Every queue, by name.
    pub queues: Rc<Vec<Queue>>,
    /// Loads the lists again (after an admin added something).
    pub reload: Callback<()>,
}

impl Directory {
    pub fn agent_name(&self, id: AgentId) -> Option<String> {
        self.agents.iter().find(|a| a.id == id).map(|a| a.name.clone())
    }

    pub fn queue_name(&self, id: QueueId) -> Option<String> {
        self.queues.iter().find(|q| q.id == id).map(|q| q.name.clone())
    }

    pub fn category_name(&self, id: CategoryId) -> Option<String> {
        self.categories.iter().find(|c| c.id == id).map(|c| c.name.clone())
    }

    /// Names an id found in the audit trail as a value of `field` (an assignee `"3"`), if it is one.
    pub fn lookup(&self, field: Field, value: &str) -> Option<String> {
        let id: i64 = value.parse().ok()?;
        match field {
            Field::Assignee => self.agent_name(AgentId(id)),
            Field::Category => self.category_name(CategoryId(id)),
            _ => None,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ProviderProps {
    pub children: Html,
}

#[function_component]
pub fn DirectoryProvider(props: &ProviderProps) -> Html {
    let live = use_live();
    let categories = use_state(|| Rc::new(Vec::new()));
    let agents = use_state(|| Rc::new(Vec::new()));
    let queues = use_state(|| Rc::new(Vec::new()));
    let round = use_state(|| 0u32);
    {
        let categories = categories.setter();
        let agents = agents.setter();
        let queues = queues.setter();
        use_effect_with((live.epoch, *round), move |_| {
            spawn_local(async move {
                if let Ok(list) = api::queues().await {
                    queues.set(Rc::new(list));
                }
                if let Ok(list) = api::categories().await {
                    categories.set(Rc::new(list));
                }
                if let Ok(mut list) = api::directory().await {
                    list.sort_by_key(|a| a.name.to_lowercase());
                    agents.set(Rc::new(list));
                }
            });
        });
    }
    let reload = {
        let round = round.clone();
        Callback::from(move |_| round.set(*round + 1))
    };
    let directory = Directory {
        categories: (*categories).clone(),
        agents: (*agents).clone(),
        queues: (*queues).clone(),
        reload,
    };
    html! {
        <ContextProvider<Directory> context={directory}>
            { props.children.clone() }
        </ContextProvider<Directory>>
    }
}

#[hook]
pub fn use_directory() -> Directory {
    use_context::<Directory>().unwrap_or_default()
}
