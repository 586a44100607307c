//! Verifiable credentials secured as VC-JOSE-COSE `application/vc+jwt`: a compact JWS whose
//! payload is the credential itself, signed with the service's active Ed25519 key (header
//! `alg: EdDSA`, `kid` (its RFC 7638 thumbprint, published in `/.well-known/jwks.json`), `typ:
//! vc+jwt`, `cty: vc`). The same key ring signs the access tokens.

use jsonwebtoken::{Algorithm, Header};

use crate::auth::keys::KeyRing;

/// Why a credential cannot be signed.
#[derive(Debug, PartialEq, Eq)]
pub enum SignError {
    /// The service signs with HS256: a shared secret no verifier may hold.
    NotPublicKey,
    /// The signer failed (never expected with a loaded Ed25519 key).
    Failed(String),
}

/// The credential as a compact JWS (`application/vc+jwt`).
pub fn sign(keys: &KeyRing, credential: &serde_json::Value) -> Result<String, SignError> {
    if keys.active.algorithm != Algorithm::EdDSA {
        return Err(SignError::NotPublicKey);
    }
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(keys.active.kid.clone());
    header.typ = Some("vc+jwt".into());
    header.cty = Some("vc".into());
    jsonwebtoken::encode(&header, credential, &keys.active.key)
        .map_err(|e| SignError::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    use ed25519_dalek::{Signature, SigningKey, Verifier};

    #[test]
    fn signs_the_credential_itself_with_the_published_key() {
        let pem = crate::auth::keys::generate_ed25519_pem().unwrap();
        let signing = SigningKey::from_pkcs8_pem(&pem).unwrap();
        let ring = KeyRing::ed25519(&signing).unwrap();
        let credential =
            serde_json::json!({"id": "https://example.com/c/1", "type": ["VerifiableCredential"]});
        let jws = sign(&ring, &credential).unwrap();
        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["typ"], "vc+jwt");
        assert_eq!(header["cty"], "vc");
        assert_eq!(header["kid"], ring.active.kid.as_str());
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(payload, credential);
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        signing
            .verifying_key()
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn hs256_cannot_sign_credentials() {
        let ring = KeyRing::hs256(b"0123456789abcdef0123456789abcdef");
        assert_eq!(
            sign(&ring, &serde_json::json!({})),
            Err(SignError::NotPublicKey)
        );
    }
}
