//! The browser half of certdesk: hydrates the server-rendered pages (each page's code may load
//! lazily, so hydration waits for it).

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
