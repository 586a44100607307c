//! Signing and verification keys, and the JWKS that publishes the public ones.
//!
//! The default is one Ed25519 key (EdDSA) kept in a PKCS#8 PEM file; HS256 with a shared secret
//! is the alternative. Every key has a `kid` (the RFC 7638 thumbprint of its public JWK, or a
//! hash prefix for HS256) and exactly one algorithm: a token is verified only with the key its
//! `kid` names and only under that key's algorithm, which rules out algorithm confusion.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};

use crate::config::{SigningConfig, TokenConfig};

/// The key new tokens are signed with.
pub struct ActiveKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub key: EncodingKey,
}

/// A key tokens may be verified with, and the one algorithm it accepts.
pub struct VerificationKey {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

pub struct KeyRing {
    pub active: ActiveKey,
    verification: HashMap<String, VerificationKey>,
    jwks: JwkSet,
}

impl KeyRing {
    /// Loads (or, for the default key file, creates) the signing key and any previous keys.
    pub fn load(config: &TokenConfig) -> Result<KeyRing, String> {
        let mut ring = match &config.signing {
            SigningConfig::Hs256 { secret } => KeyRing::hs256(secret.as_bytes()),
            SigningConfig::Ed25519 { key_file, generate } => {
                if !key_file.exists() {
                    if *generate {
                        write_new_key_file(key_file)?;
                        log::warn!(
                            "generated a new Ed25519 signing key at {}; every replica must use \
                             the same key file (ORETRACE_SIGNING_KEY_FILE)",
                            key_file.display()
                        );
                    } else {
                        return Err(format!(
                            "ORETRACE_SIGNING_KEY_FILE {} does not exist; create one with \
                             `oretrace keys generate {}`",
                            key_file.display(),
                            key_file.display()
                        ));
                    }
                }
                let pem = std::fs::read_to_string(key_file)
                    .map_err(|e| format!("cannot read {}: {e}", key_file.display()))?;
                let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                    format!(
                        "{} is not an Ed25519 PKCS#8 private key: {e}",
                        key_file.display()
                    )
                })?;
                KeyRing::ed25519(&signing)?
            }
        };
        for file in &config.verify_key_files {
            let pem = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let public = match SigningKey::from_pkcs8_pem(&pem) {
                Ok(private) => private.verifying_key(),
                Err(_) => VerifyingKey::from_public_key_pem(&pem)
                    .map_err(|e| format!("{} is not an Ed25519 key (PEM): {e}", file.display()))?,
            };
            ring.add_ed25519_verifier(&public)?;
        }
        Ok(ring)
    }

    /// A key ring around one Ed25519 private key.
    pub fn ed25519(signing: &SigningKey) -> Result<KeyRing, String> {
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| format!("cannot encode the signing key: {e}"))?;
        let jwk = ed25519_jwk(&signing.verifying_key());
        let kid = jwk_kid(&jwk)?;
        let mut ring = KeyRing {
            active: ActiveKey {
                kid,
                algorithm: Algorithm::EdDSA,
                key: EncodingKey::from_ed_der(der.as_bytes()),
            },
            verification: HashMap::new(),
            jwks: JwkSet::default(),
        };
        ring.add_ed25519_verifier(&signing.verifying_key())?;
        Ok(ring)
    }

    /// A key ring around an HS256 secret. The secret is never published.
    pub fn hs256(secret: &[u8]) -> KeyRing {
        let digest = Sha256::digest([b"oretrace-hs256-kid:".as_slice(), secret].concat());
        let kid = format!("hs256-{}", URL_SAFE_NO_PAD.encode(&digest[..9]));
        let mut verification = HashMap::new();
        verification.insert(
            kid.clone(),
            VerificationKey {
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(secret),
            },
        );
        KeyRing {
            active: ActiveKey {
                kid,
                algorithm: Algorithm::HS256,
                key: EncodingKey::from_secret(secret),
            },
            verification,
            jwks: JwkSet::default(),
        }
    }

    fn add_ed25519_verifier(&mut self, public: &VerifyingKey) -> Result<(), String> {
        let mut jwk = ed25519_jwk(public);
        let kid = jwk_kid(&jwk)?;
        if self.verification.contains_key(&kid) {
            return Ok(());
        }
        let key = DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(public.as_bytes()))
            .map_err(|e| format!("invalid Ed25519 public key: {e}"))?;
        jwk.common.key_id = Some(kid.clone());
        self.jwks.keys.push(jwk);
        self.verification.insert(
            kid,
            VerificationKey {
                algorithm: Algorithm::EdDSA,
                key,
            },
        );
        Ok(())
    }

    pub fn verification_key(&self, kid: &str) -> Option<&VerificationKey> {
        self.verification.get(kid)
    }

    /// The public keys, for `/.well-known/jwks.json` (empty under HS256).
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }
}

fn ed25519_jwk(public: &VerifyingKey) -> Jwk {
    Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::EdDSA),
            ..CommonParameters::default()
        },
        algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: URL_SAFE_NO_PAD.encode(public.as_bytes()),
        }),
    }
}

fn jwk_kid(jwk: &Jwk) -> Result<String, String> {
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| format!("cannot compute the key thumbprint: {e}"))
}

/// A new Ed25519 private key as PKCS#8 PEM.
pub fn generate_ed25519_pem() -> Result<String, String> {
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    signing
        .to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| format!("cannot encode the new key: {e}"))
}

/// Writes a new Ed25519 key to `path` (mode 0600), refusing to overwrite an existing file.
pub fn write_new_key_file(path: &Path) -> Result<(), String> {
    let pem = generate_ed25519_pem()?;
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(pem.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_ring_publishes_its_public_key_under_its_thumbprint() {
        let pem = generate_ed25519_pem().unwrap();
        let signing = SigningKey::from_pkcs8_pem(&pem).unwrap();
        let ring = KeyRing::ed25519(&signing).unwrap();
        assert_eq!(ring.jwks().keys.len(), 1);
        let jwk = &ring.jwks().keys[0];
        assert_eq!(jwk.common.key_id.as_deref(), Some(ring.active.kid.as_str()));
        assert!(ring.verification_key(&ring.active.kid).is_some());
        let json = serde_json::to_value(jwk).unwrap();
        assert_eq!(json["kty"], "OKP");
        assert_eq!(json["crv"], "Ed25519");
        assert!(
            json.get("d").is_none(),
            "the private key must never be published"
        );
    }

    #[test]
    fn hs256_ring_publishes_nothing() {
        let ring = KeyRing::hs256(b"0123456789abcdef0123456789abcdef");
        assert!(ring.jwks().keys.is_empty());
        assert!(ring.active.kid.starts_with("hs256-"));
    }
}
