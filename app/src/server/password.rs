//! argon2id hashing, always off the async threads.

use crate::error::AppError;
use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::LazyLock;

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
    tokio::task::spawn_blocking(move || hash_now(password.expose_secret()))
        .await
        .map_err(|_| AppError::Internal)?
        .map_err(|err| {
            tracing::error!(%err, "password hashing failed");
            AppError::Internal
        })
}

/// True when `password` matches `hash`. With no hash it still spends the time of one
/// verification and answers false.
pub async fn verify_password(hash: Option<String>, password: SecretString) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_now(&hash, password.expose_secret()),
        None => {
            let _ = verify_now(&DUMMY_HASH, password.expose_secret());
            false
        }
    })
    .await
    .unwrap_or(false)
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
        );
        assert!(!verify_password(Some(hash), SecretString::from("wrong horse battery")).await);
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
        );
        assert!(!verify_password(Some("not a hash".into()), SecretString::from("x")).await);
    }
}
