//! A modal dialog: labelled, closes on Escape or a click outside, and moves focus into itself.

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DialogProps {
    pub title: AttrValue,
    pub on_close: Callback<()>,
    pub children: Html,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

#[function_component]
pub fn Dialog(props: &DialogProps) -> Html {
    let panel = use_node_ref();
    {
        let panel = panel.clone();
        use_effect_with((), move |_| {
            // Focus the first field (or button) inside the dialog.
            if let Some(root) = panel.cast::<HtmlElement>()
                && let Ok(Some(first)) = root.query_selector("textarea, input, select, button")
                && let Ok(first) = first.dyn_into::<HtmlElement>()
            {
                let _ = first.focus();
            }
        });
    }
    let on_key = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.stop_propagation();
                on_close.emit(());
            }
        })
    };
    let on_backdrop = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: MouseEvent| {
            if e.target() == e.current_target() {
                on_close.emit(());
            }
        })
    };
    html! {
        <div class="modal-backdrop" onclick={on_backdrop} onkeydown={on_key}>
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="dialog-title" ref={panel}
                data-testid={props.testid.clone()}>
                <h2 id="dialog-title" class="modal-title">{ &props.title }</h2>
                { props.children.clone() }
            </div>
        </div>
    }
}
