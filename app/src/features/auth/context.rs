//! The signed-in person as every page reads them: one resource, provided by the app's root.

use super::CurrentUser;
use super::api::SignOut;
use crate::components::Json;
use crate::error::AppError;
use leptos::prelude::*;

/// Who is signed in. Provided once by [`crate::app::App`]; bumping `signed_in` reloads the user after a
/// sign-in (a resource refetches only when its source value changes).
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<CurrentUser>, AppError>, Json>,
    pub signed_in: RwSignal<u32>,
    pub sign_out: ServerAction<SignOut>,
}

impl Auth {
    pub fn reload_user(&self) {
        self.signed_in.update(|n| *n += 1);
    }
}
