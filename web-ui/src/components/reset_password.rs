//! The admins' "reset password" dialog: generate a password (shown once) or set one; either way the
//! agent's sign-ins end.

use crate::components::dialog::Dialog;
use loket_protocol::api::PasswordResetDone;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ResetPasswordProps {
    /// Whose password.
    pub name: AttrValue,
    /// `None`: generate one.
    pub on_submit: Callback<Option<String>>,
    pub on_close: Callback<()>,
    /// The answer, once the reset is done.
    #[prop_or_default]
    pub done: Option<PasswordResetDone>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or_default]
    pub busy: bool,
}

#[function_component]
pub fn ResetPasswordDialog(props: &ResetPasswordProps) -> Html {
    let choose = use_state(|| false);
    let password = use_state(String::new);
    let title = format!("Reset {}'s password", props.name);
    let close = props.on_close.reform(|_: MouseEvent| ());
    if let Some(done) = &props.done {
        return html! {
            <Dialog title={title} on_close={props.on_close.clone()} testid="reset-dialog">
                if let Some(generated) = &done.generated_password {
                    <p>{ format!("The new password for {} (shown only now; give it to them in person or by a \
                        private channel; they can change it under My account):", props.name) }</p>
                    <div class="field">
                        <label for="generated-password" class="sr-only">{ "Generated password" }</label>
                        <input id="generated-password" type="text" readonly=true value={generated.clone()}
                            data-testid="generated-password"
                            onfocus={|e: FocusEvent| e.target_unchecked_into::<HtmlInputElement>().select()} />
                    </div>
                } else {
                    <p>{ format!("{}'s password is set.", props.name) }</p>
                }
                <p>{ format!("{} sign-in(s) ended.", done.sessions_ended) }</p>
                <div class="modal-actions">
                    <button type="button" class="btn btn-primary" onclick={close}>{ "Done" }</button>
                </div>
            </Dialog>
        };
    }
    let on_submit = {
        let (choose, password, on_submit) = (choose.clone(), password.clone(), props.on_submit.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_submit.emit((*choose).then(|| (*password).clone()));
        })
    };
    let pick = |set: bool| {
        let choose = choose.clone();
        Callback::from(move |_: Event| choose.set(set))
    };
    let on_password = {
        let password = password.clone();
        Callback::from(move |e: InputEvent| password.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    html! {
        <Dialog title={title} on_close={props.on_close.clone()} testid="reset-dialog">
            <form class="form" onsubmit={on_submit}>
                <p>{ format!("{} will be signed out everywhere and must sign in with the new password.", props.name) }</p>
                <div class="field">
                    <label class="radio"><input type="radio" name="reset-kind" checked={!*choose} onchange={pick(false)} />
                        { "Generate a password" }</label>
                    <label class="radio"><input type="radio" name="reset-kind" checked={*choose} onchange={pick(true)}
                        id="reset-choose" />{ "Set one myself" }</label>
                </div>
                if *choose {
                    <div class="field">
                        <label for="reset-password">{ "New password" }</label>
                        <input id="reset-password" type="password" autocomplete="new-password" minlength="8"
                            value={(*password).clone()} oninput={on_password} />
                    </div>
                }
                if let Some(message) = &props.error {
                    <p class="form-error" role="alert">{ message }</p>
                }
                <div class="modal-actions">
                    <button type="button" class="btn btn-ghost" onclick={close}>{ "Cancel" }</button>
                    <button type="submit" class="btn btn-danger" disabled={props.busy}>{ "Reset password" }</button>
                </div>
            </form>
        </Dialog>
    }
}
