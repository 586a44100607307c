//! API client identifiers and secrets: random, shown once, stored as argon2id hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
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

/// Constant-time check of a presented secret against a stored hash (allocates argon2's memory
/// for this one check; the token endpoint uses a [`Verifier`] instead).
pub fn verify_secret(secret: &str, stored_hash: &str) -> bool {
    Verifier::default().verify(secret, stored_hash)
}

/// Spends the same time as a real verification, so that an unknown client id cannot be told
/// from a wrong secret by timing.
pub fn verify_against_dummy(secret: &str) {
    Verifier::default().verify_against_dummy(secret);
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret("dummy-secret-for-timing").unwrap_or_default())
}

/// Verifies secrets in argon2 memory of its own, kept from one check to the next.
///
/// `Argon2::verify_password` allocates its memory (about 19 MiB with the default parameters)
/// for every check. glibc's allocator then raises its mmap threshold after the first such
/// buffer is freed, and later buffers come from the heap and stay resident: a replica grew by
/// 19 MiB per token request and never gave it back (measured in `bench/token-flood.sh`). Each
/// secret-checking thread owns one `Verifier`, so the memory is allocated once per thread.
#[derive(Default)]
pub struct Verifier {
    blocks: Vec<argon2::Block>,
}

impl Verifier {
    /// Whether `secret` matches the PHC string `stored_hash`; the comparison is constant-time.
    pub fn verify(&mut self, secret: &str, stored_hash: &str) -> bool {
        self.check(secret, stored_hash).unwrap_or(false)
    }

    /// As long as a real check, against a hash nobody holds the secret of.
    pub fn verify_against_dummy(&mut self, secret: &str) {
        let _ = self.verify(secret, dummy_hash());
    }

    fn check(&mut self, secret: &str, stored_hash: &str) -> Option<bool> {
        use argon2::password_hash::Output;
        let hash = PasswordHash::new(stored_hash).ok()?;
        let (salt, expected) = (hash.salt?, hash.hash?);
        let algorithm = argon2::Algorithm::try_from(hash.algorithm).ok()?;
        let version = match hash.version {
            Some(v) => argon2::Version::try_from(v).ok()?,
            None => argon2::Version::default(),
        };
        let params = argon2::Params::try_from(&hash).ok()?;
        let needed = params.block_count();
        if self.blocks.len() < needed {
            self.blocks.resize(needed, argon2::Block::default());
        }
        let mut salt_bytes = [0u8; 64];
        let salt = salt.decode_b64(&mut salt_bytes).ok()?;
        let mut computed = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                secret.as_bytes(),
                salt,
                &mut computed,
                &mut self.blocks[..needed],
            )
            .ok()?;
        // `Output`'s equality is constant-time.
        Some(Output::new(&computed).ok()? == expected)
    }
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

    #[test]
    fn the_reusing_verifier_agrees_with_argon2() {
        use argon2::PasswordVerifier;
        let secret = new_client_secret();
        let hash = hash_secret(&secret).unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        let mut verifier = Verifier::default();
        for candidate in [secret.as_str(), "ots_wrong", ""] {
            let ours = verifier.verify(candidate, &hash);
            let theirs = Argon2::default()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok();
            assert_eq!(ours, theirs, "{candidate}");
        }
        // Other parameters than the default ones (a larger memory cost) are honoured too.
        let params = argon2::Params::new(32 * 1024, 2, 1, None).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        let bigger = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(b"s3cret", &salt)
            .unwrap()
            .to_string();
        assert!(verifier.verify("s3cret", &bigger));
        assert!(!verifier.verify("other", &bigger));
        assert!(!verifier.verify("s3cret", "$argon2id$v=19$m=8,t=1,p=1$bm90$"));
    }
}
