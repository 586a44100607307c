//! Cursor pagination: `limit` (default 50, at most 500) and a `cursor`; the body carries
//! `next_cursor` and a `Link: <…>; rel="next"` header points at the next page.
//!
//! A cursor is `ot1.` and the key of the last row of the previous page. Its exact shape is in
//! the OpenAPI document (a pattern per list), and every cursor of that shape is a valid
//! position, so a schema-driven client never meets a well-formed cursor that is refused; a
//! cursor of another shape is 400 `invalid-cursor`. The key only positions the page: every
//! query still filters by the caller's organisation.
//!
//! Pages are keyset pages over the id (UUIDv7, so creation order): a row inserted between two
//! page requests never makes the next page skip or repeat a row.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::api::error::{ApiError, ProblemType};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
const CURSOR_PREFIX: &str = "ot1.";

/// The `cursor` pattern of lists keyed by id (UUIDv7); keep `#[param(pattern)]` literals equal.
pub const ID_CURSOR_PATTERN: &str =
    "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

pub use crate::store::page::{PageRequest, fill};

impl PageRequest {
    /// Validates `limit` and decodes `cursor`, whose key must be an id.
    pub fn new(limit: Option<i64>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
        PageRequest::keyed_by(limit, cursor, |key| {
            // Exactly the pattern: lowercase and hyphenated, as issued.
            uuid::Uuid::parse_str(key).is_ok_and(|id| id.hyphenated().to_string() == key)
        })
    }

    /// Like [`PageRequest::new`] for lists keyed by something else than an id (such as the
    /// text ids of schemes): `valid_key` says whether a decoded key could have been issued.
    pub fn keyed_by(
        limit: Option<i64>,
        cursor: Option<&str>,
        valid_key: impl Fn(&str) -> bool,
    ) -> Result<PageRequest, ApiError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(l) if (1..=MAX_LIMIT).contains(&l) => l,
            Some(_) => {
                return Err(ApiError::invalid_parameter(
                    "limit",
                    format!("must be between 1 and {MAX_LIMIT}"),
                ));
            }
        };
        let after = cursor.map(decode_cursor).transpose()?;
        if let Some(key) = &after
            && !valid_key(key)
        {
            return Err(invalid_cursor());
        }
        Ok(PageRequest { limit, after })
    }
}

fn invalid_cursor() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::BAD_REQUEST,
        ProblemType::InvalidCursor,
        "the cursor is not one this API issues",
    )
    .with_errors(vec![crate::api::error::FieldError::parameter(
        "cursor",
        "pass back the next_cursor of a previous page unchanged",
    )])
}

pub fn encode_cursor(key: &str) -> String {
    format!("{CURSOR_PREFIX}{key}")
}

pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    cursor
        .strip_prefix(CURSOR_PREFIX)
        .filter(|key| !key.is_empty() && key.len() <= 256)
        .map(str::to_owned)
        .ok_or_else(invalid_cursor)
}

/// One page of results.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts the extra row fetched by [`PageRequest::fetch_limit`] and derives the next cursor
    /// from the last row kept.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> String,
    ) -> Page<T> {
        let has_more = rows.len() as i64 > request.limit;
        rows.truncate(request.limit as usize);
        let next_cursor = if has_more {
            rows.last().map(|row| encode_cursor(&key(row)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// 200 with the page as JSON and, when there is a next page, a `Link` header to it.
pub fn respond<T: Serialize>(req: &HttpRequest, page: &Page<T>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = &page.next_cursor {
        response.insert_header((header::LINK, next_link(req, cursor)));
    }
    response.json(page)
}

/// `<path?query-with-the-new-cursor>; rel="next"`, relative to the request.
pub fn next_link(req: &HttpRequest, cursor: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if name != "cursor" {
            query.append_pair(&name, &value);
        }
    }
    query.append_pair("cursor", cursor);
    format!("<{}?{}>; rel=\"next\"", req.path(), query.finish())
}

/// Declares the documented list type of a resource: `page_type!(OrganisationList, Organisation)`.
#[macro_export]
macro_rules! page_type {
    ($name:ident, $item:ty) => {
        #[doc = concat!("A page of ", stringify!($item), " results.")]
        #[derive(utoipa::ToSchema)]
        pub struct $name {
            /// The results, oldest first.
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; null on the last page.
            pub next_cursor: Option<String>,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let id = "019300aa-0000-7000-8000-000000000001";
        let cursor = encode_cursor(id);
        assert_eq!(decode_cursor(&cursor).unwrap(), id);
        assert!(decode_cursor("garbage!").is_err());
        assert!(
            decode_cursor("b3QxOmFzaV9jb2M").is_err(),
            "the old base64 form"
        );
        assert!(decode_cursor("ot1.").is_err());
        let request = PageRequest::new(None, Some(&encode_cursor("not-an-id")));
        assert!(request.is_err());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(PageRequest::new(None, None).unwrap().limit, 50);
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(501), None).is_err());
        assert_eq!(PageRequest::new(Some(500), None).unwrap().limit, 500);
    }

    #[test]
    fn filled_pages_keep_reading_past_filtered_rows() {
        let rows: Vec<u32> = (1..=1000).collect();
        let fetch = |after: Option<&str>, limit: i64| -> Result<Vec<u32>, ()> {
            let after: u32 = after.map_or(0, |a| a.parse().unwrap());
            Ok(rows
                .iter()
                .copied()
                .filter(|r| *r > after)
                .take(limit as usize)
                .collect())
        };
        let multiples_of_300 =
            |batch: Vec<u32>| Ok(batch.into_iter().filter(|r| r % 300 == 0).collect());
        let request = PageRequest::new(Some(2), None).unwrap();
        let kept = fill(&request, fetch, |r| r.to_string(), multiples_of_300).unwrap();
        assert_eq!(kept, vec![300, 600, 900]);
        let page = Page::from_rows(kept, &request, |r| r.to_string());
        assert_eq!(page.items, vec![300, 600]);
        let next = PageRequest {
            limit: 2,
            after: Some("600".into()),
        };
        let kept = fill(&next, fetch, |r| r.to_string(), multiples_of_300).unwrap();
        assert_eq!(kept, vec![900]);
    }

    #[test]
    fn pages_cut_the_extra_row() {
        let request = PageRequest::new(Some(2), None).unwrap();
        let page = Page::from_rows(vec![1, 2, 3], &request, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(
            decode_cursor(page.next_cursor.as_deref().unwrap()).unwrap(),
            "2"
        );
        let last = Page::from_rows(vec![1, 2], &request, |n| n.to_string());
        assert!(last.next_cursor.is_none());
    }
}

/// Whatever cursor and limit arrive, a page request is made or refused, never a panic; and every
/// cursor this API issues decodes to its key.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{PageRequest, decode_cursor, encode_cursor};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn cursors_and_limits_never_panic(cursor in any::<String>(), limit in any::<Option<i64>>()) {
            let _ = decode_cursor(&cursor);
            let _ = PageRequest::new(limit, Some(&cursor));
            let _ = PageRequest::keyed_by(limit, Some(&cursor), |k| !k.is_empty());
        }

        #[test]
        fn issued_cursors_always_decode(id in any::<u128>()) {
            let key = uuid::Uuid::from_u128(id).hyphenated().to_string();
            let page = PageRequest::new(None, Some(&encode_cursor(&key)));
            prop_assert_eq!(page.ok().and_then(|p| p.after), Some(key));
        }
    }
}
