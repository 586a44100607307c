//! API client identifiers and secrets: random, shown once, stored as argon2id hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;

/// `otc_` and 24 hex digits (96 random bits): not secret, but not guessable either.
pub fn new_client_id() -> String {
    let mut bytes = [0u8; 12];
    OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("otc_{hex}")
}

/// `ots_` and 256 random bits, base64url. The prefix lets secret scanners recognise a leak.
pub fn new_client_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("ots_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// argon2id with the crate's default (OWASP-recommended) parameters, as a PHC string.
pub fn hash_secret(secret: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("argon2: {e}"))
}

/// Constant-time check of a presented secret against a stored hash.
pub fn verify_secret(secret: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as a real verification, so that an unknown client id cannot be told
/// from a wrong secret by timing.
pub fn verify_against_dummy(secret: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_secret("dummy-secret-for-timing").unwrap_or_default());
    let _ = verify_secret(secret, hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_differ() {
        let secret = new_client_secret();
        assert!(secret.starts_with("ots_") && secret.len() == 47);
        let hash = hash_secret(&secret).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret(&secret, &hash));
        assert!(!verify_secret("ots_wrong", &hash));
        assert!(!verify_secret(&secret, "not a hash"));
        assert_ne!(new_client_secret(), new_client_secret());
        assert_ne!(new_client_id(), new_client_id());
    }
}
