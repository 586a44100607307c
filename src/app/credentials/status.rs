//! Status indexes and W3C Bitstring Status Lists (v1.0).
//!
//! A certificate's credentials share one status index, allocated on the first credential
//! request (`credential_status_indexes`, a unique key per index and per certificate and
//! generation), and appear in two lists, `revocation-N` and `suspension-N`. The lists are
//! computed when read, from the certificates' histories (`domain::credential_status`), so a
//! suspension recorded for today shows in the very next read.

use std::collections::HashMap;
use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use super::{Issuer, VC_CONTEXT};
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::credential_status::{self, LIST_SIZE, ListName, StatusPurpose};
use crate::domain::ids::CertificationId;
use crate::store::certification::{self, Certification};
use crate::store::credential_status::{self as indexes, StatusIndex};

/// How long a verifier may keep a list (the `ttl` member and `Cache-Control: max-age`), in
/// seconds. Short: a suspension must reach verifiers the day it happens.
pub const LIST_TTL_SECONDS: u64 = 300;

/// The index the certificate's credentials carry today, if it has a usable one: its current
/// generation, unless that one is revoked while the certificate is valid again (then a new
/// generation is due: [`allocate`]).
pub fn usable(
    conn: &mut DbConn,
    cert: &Certification,
    today: NaiveDate,
) -> Result<Option<StatusIndex>, AppError> {
    let Some(current) = indexes::current(conn, cert.id)? else {
        return Ok(None);
    };
    Ok((!needs_new_generation(cert, &current, today)).then_some(current))
}

fn needs_new_generation(cert: &Certification, current: &StatusIndex, today: NaiveDate) -> bool {
    let history = cert.snapshots();
    credential_status::revoked_since(&history, current.allocated(), today)
        && !credential_status::revoked_on(&history, today)
}

/// The certificate's usable index, allocating it (or its next generation) when it has none.
/// Run in a write transaction; a concurrent allocation for the same certificate or of the same
/// index fails on a unique key and is run again (`Db::write_upsert`), then finds it.
pub fn allocate(
    conn: &mut DbConn,
    cert: &Certification,
    today: NaiveDate,
) -> Result<StatusIndex, AppError> {
    let current = indexes::current(conn, cert.id)?;
    match current {
        Some(current) if !needs_new_generation(cert, &current, today) => Ok(current),
        current => {
            let generation = current.map_or(0, |c| c.generation + 1);
            Ok(indexes::allocate(
                conn,
                cert.id,
                generation,
                today,
                crate::domain::time::now(),
            )?)
        }
    }
}

/// The `credentialStatus` entries of a credential carrying `index`.
pub fn entries(issuer: &Issuer, index: &StatusIndex) -> Value {
    Value::Array(
        [StatusPurpose::Suspension, StatusPurpose::Revocation]
            .into_iter()
            .map(|purpose| {
                let (list, bit) = ListName::of(purpose, index.status_index);
                let list_url = issuer.url(&format!("/v1/credentials/status/{list}"));
                json!({
                    "id": format!("{list_url}#{bit}"),
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": purpose.as_str(),
                    "statusListIndex": bit.to_string(),
                    "statusListCredential": list_url,
                })
            })
            .collect(),
    )
}

/// The bits of a list that are set, by position in the list.
pub fn set_bits(conn: &mut DbConn, list: ListName, today: NaiveDate) -> Result<Vec<i64>, AppError> {
    let (first, end) = list.range();
    let allocated = indexes::in_range(conn, first, end)?;
    let mut ids: Vec<CertificationId> = allocated.iter().map(|i| i.certification_id).collect();
    ids.sort();
    ids.dedup();
    let certificates: HashMap<CertificationId, Certification> =
        certification::find_many(conn, &ids)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    let mut histories = HashMap::new();
    Ok(allocated
        .iter()
        .filter(|index| {
            let history = histories.entry(index.certification_id).or_insert_with(|| {
                certificates
                    .get(&index.certification_id)
                    .map(Certification::snapshots)
                    .unwrap_or_default()
            });
            credential_status::bit(history, index.allocated(), today, list.purpose)
        })
        .map(|index| index.status_index - first)
        .collect())
}

/// `encodedList`: the multibase (`u`, base64url without padding) of the GZIP of a bitstring of
/// [`LIST_SIZE`] bits, index 0 the most significant bit of the first byte.
pub fn encode(bits: &[i64]) -> Result<String, AppError> {
    let mut bitstring = vec![0u8; (LIST_SIZE / 8) as usize];
    for &bit in bits {
        if (0..LIST_SIZE).contains(&bit) {
            bitstring[(bit / 8) as usize] |= 0x80 >> (bit % 8);
        }
    }
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    gzip.write_all(&bitstring).map_err(AppError::internal)?;
    let compressed = gzip.finish().map_err(AppError::internal)?;
    Ok(format!("u{}", URL_SAFE_NO_PAD.encode(compressed)))
}

/// The `BitstringStatusListCredential` of a list, as it stands today.
pub fn list_credential(
    conn: &mut DbConn,
    issuer: &Issuer,
    list: ListName,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, AppError> {
    let bits = set_bits(conn, list, now.date_naive())?;
    let url = issuer.url(&format!("/v1/credentials/status/{list}"));
    Ok(json!({
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.base,
        "validFrom": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": list.purpose.as_str(),
            "encodedList": encode(&bits)?,
            "ttl": LIST_TTL_SECONDS * 1000,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    #[test]
    fn encodes_most_significant_bit_first_in_a_16_kib_gzip() {
        let encoded = encode(&[0, 9, LIST_SIZE - 1]).unwrap();
        assert!(encoded.starts_with('u'));
        let gz = URL_SAFE_NO_PAD.decode(&encoded[1..]).unwrap();
        let mut bytes = Vec::new();
        GzDecoder::new(&gz[..]).read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes.len(), 16_384);
        assert_eq!(bytes[0], 0b1000_0000);
        assert_eq!(bytes[1], 0b0100_0000);
        assert_eq!(bytes[16_383], 0b0000_0001);
        assert_eq!(bytes.iter().map(|b| b.count_ones()).sum::<u32>(), 3);
    }
}
