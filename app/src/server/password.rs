//! argon2id hashing, always off the async threads.

use crate::error::AppError;
use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::LazyLock;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Each argon2 run holds 19 MiB for tens of milliseconds. At most this many run at once; the
/// rest queue briefly, then are told to come back, so a flood of sign-ins costs bounded memory.
const MAX_CONCURRENT_HASHES: usize = 4;
/// How long a password check may wait for its turn before the answer is "busy, try again".
const QUEUE_WAIT: Duration = Duration::from_secs(5);

static HASHING: Semaphore = Semaphore::const_new(MAX_CONCURRENT_HASHES);

/// Longest password certdesk reads; anything longer is refused before any hashing.
pub const MAX_PASSWORD_BYTES: usize = 1024;

fn busy() -> AppError {
    AppError::TooManyRequests(
        "The portal is busy checking passwords. Try again in a moment.".into(),
    )
}

/// Runs one argon2 computation on a blocking thread once a permit is free.
async fn with_permit<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let permit = tokio::time::timeout(QUEUE_WAIT, HASHING.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| AppError::Internal)?;
    let result = tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| AppError::Internal);
    drop(permit);
    result
}

/// Verified against when the email is unknown, so a miss costs the same time as a hit.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_now("certdesk dummy password that nobody has").expect("hashing a constant succeeds")
});

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

fn verify_now(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

pub async fn hash_password(password: SecretString) -> Result<String, AppError> {
    with_permit(move || hash_now(password.expose_secret()))
        .await?
        .map_err(|err| {
            tracing::error!(%err, "password hashing failed");
            AppError::Internal
        })
}

/// True when `password` matches `hash`. With no hash it still spends the time of one
/// verification and answers false. Busy (every permit taken for too long) is an error, so the
/// caller can answer 429 instead of queueing without bound.
pub async fn verify_password(
    hash: Option<String>,
    password: SecretString,
) -> Result<bool, AppError> {
    if password.expose_secret().len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    with_permit(move || match hash {
        Some(hash) => verify_now(&hash, password.expose_secret()),
        None => {
            let _ = verify_now(&DUMMY_HASH, password.expose_secret());
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let hash = hash_password(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            verify_password(
                Some(hash.clone()),
                SecretString::from("correct horse battery")
            )
            .await
            .unwrap()
        );
        assert!(
            !verify_password(Some(hash), SecretString::from("wrong horse battery"))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn salts_differ_between_hashes() {
        let a = hash_password(SecretString::from("same password!"))
            .await
            .unwrap();
        let b = hash_password(SecretString::from("same password!"))
            .await
            .unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn unknown_users_and_garbage_hashes_never_verify() {
        assert!(
            !verify_password(
                None,
                SecretString::from("certdesk dummy password that nobody has")
            )
            .await
            .unwrap()
        );
        assert!(
            !verify_password(Some("not a hash".into()), SecretString::from("x"))
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_a_few_hashes_run_at_once() {
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let jobs = (0..12).map(|_| {
            let (running, peak) = (running.clone(), peak.clone());
            with_permit(move || {
                use std::sync::atomic::Ordering::SeqCst;
                let now = running.fetch_add(1, SeqCst) + 1;
                peak.fetch_max(now, SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, SeqCst);
            })
        });
        for done in futures::future::join_all(jobs).await {
            done.unwrap();
        }
        let peak = peak.load(std::sync::atomic::Ordering::SeqCst);
        assert!((1..=MAX_CONCURRENT_HASHES).contains(&peak), "peak {peak}");
    }

    #[tokio::test]
    async fn an_oversized_password_is_refused_without_hashing() {
        let huge = SecretString::from("x".repeat(MAX_PASSWORD_BYTES + 1));
        assert!(!verify_password(None, huge).await.unwrap());
    }
}
