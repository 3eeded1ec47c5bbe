//! A page's data, loaded once per page request however often its rendering asks.
//!
//! While rendering on the server, Leptos walks a `<Suspense>`'s children more than once: to find
//! the resources they read, again once those settle, and once more to write the HTML. A page
//! built inside `Guarded` (its children appear only after the signed-in user is known) is built
//! anew on each walk, and so are its resources: without this, each walk runs the page's queries
//! again (three times for the approvals page, six for a history search).
//!
//! Server functions that load a page's data wrap their body in [`load_once`]. Within one page
//! request, a second call with the same arguments awaits the first call's answer instead of
//! loading again. Anything else (a server function called over HTTP, an action) has no
//! [`PageLoads`] in its context and simply loads.

use crate::error::AppError;
use futures::future::{BoxFuture, Either, FutureExt, Shared};
use leptos::prelude::use_context;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// The loads of one page request, by server function, answer type and arguments. Provided fresh
/// for each page request, so nothing is shared between requests or people.
#[derive(Clone, Default)]
pub struct PageLoads(Arc<Mutex<HashMap<LoadKey, Arc<dyn Any + Send + Sync>>>>);

type LoadKey = (&'static str, TypeId, String);

type SharedLoad<T> = Shared<BoxFuture<'static, Result<T, AppError>>>;

impl PageLoads {
    fn share<T, Fut>(&self, key: LoadKey, load: Fut) -> SharedLoad<T>
    where
        T: Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    {
        let mut loads = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The key holds T's type, so what is stored under it is always a `SharedLoad<T>`.
        let earlier = loads
            .get(&key)
            .and_then(|stored| stored.clone().downcast::<SharedLoad<T>>().ok());
        match earlier {
            Some(earlier) => (*earlier).clone(),
            None => {
                let shared = load.boxed().shared();
                loads.insert(key, Arc::new(shared.clone()));
                shared
            }
        }
    }
}

/// Runs `load`, unless this page request already ran `function` with the same `arguments`; then
/// answers what that run answered (errors included).
pub fn load_once<T, Fut>(
    function: &'static str,
    arguments: String,
    load: Fut,
) -> impl Future<Output = Result<T, AppError>>
where
    T: Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    match use_context::<PageLoads>() {
        Some(loads) => Either::Left(loads.share((function, TypeId::of::<T>(), arguments), load)),
        None => Either::Right(load),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::{Owner, provide_context};
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn counted(runs: Arc<AtomicUsize>, answer: u32) -> Result<u32, AppError> {
        runs.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        Ok(answer)
    }

    #[tokio::test]
    async fn the_same_call_in_one_page_request_loads_once() {
        let runs = Arc::new(AtomicUsize::new(0));
        let owner = Owner::new();
        let (first, again, other_arguments, other_function) = owner.with(|| {
            provide_context(PageLoads::default());
            (
                load_once("queue", "page 1".into(), counted(runs.clone(), 1)),
                load_once("queue", "page 1".into(), counted(runs.clone(), 1)),
                load_once("queue", "page 2".into(), counted(runs.clone(), 2)),
                load_once("history", "page 1".into(), counted(runs.clone(), 3)),
            )
        });
        let answers = futures::join!(first, again, other_arguments, other_function);
        assert_eq!(
            (
                answers.0.unwrap(),
                answers.1.unwrap(),
                answers.2.unwrap(),
                answers.3.unwrap()
            ),
            (1, 1, 2, 3)
        );
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "the repeated call did not load"
        );
    }

    #[tokio::test]
    async fn an_error_is_answered_to_the_repeated_call_too() {
        let owner = Owner::new();
        let (first, again) = owner.with(|| {
            provide_context(PageLoads::default());
            let failing = || async { Err::<u32, _>(AppError::Forbidden) };
            (
                load_once("queue", String::new(), failing()),
                load_once("queue", String::new(), failing()),
            )
        });
        assert!(matches!(first.await, Err(AppError::Forbidden)));
        assert!(matches!(again.await, Err(AppError::Forbidden)));
    }

    #[tokio::test]
    async fn separate_requests_and_calls_without_a_page_each_load() {
        let runs = Arc::new(AtomicUsize::new(0));
        for _ in 0..2 {
            let owner = Owner::new();
            let answer = owner.with(|| {
                provide_context(PageLoads::default());
                load_once("queue", String::new(), counted(runs.clone(), 1))
            });
            answer.await.unwrap();
        }
        let owner = Owner::new();
        let (a, b) = owner.with(|| {
            (
                load_once("queue", String::new(), counted(runs.clone(), 1)),
                load_once("queue", String::new(), counted(runs.clone(), 1)),
            )
        });
        let _ = futures::join!(a, b);
        assert_eq!(runs.load(Ordering::SeqCst), 4);
    }
}
