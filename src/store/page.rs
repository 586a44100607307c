//! Which page of a list to read: keyset pages over a sort key (the id, UUIDv7, so creation
//! order). The HTTP edge decodes `limit` and `cursor` into a [`PageRequest`]
//! (`api::http::pagination`); the store reads one more row than the page to know whether another
//! follows.

/// Which page to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    /// The sort key of the last row of the previous page.
    pub after: Option<String>,
}

impl PageRequest {
    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }
}

/// Fills a page when some rows are filtered out after they are read (rules evaluated in Rust,
/// such as a certificate's status on a date): reads batches in key order after the cursor,
/// keeps what `keep` keeps, and stops once it holds [`PageRequest::fetch_limit`] rows or the
/// rows run out. The next cursor is then the key of the last row shown, so a following page
/// neither skips nor repeats a row.
pub fn fill<T, E>(
    page: &PageRequest,
    mut fetch: impl FnMut(Option<&str>, i64) -> Result<Vec<T>, E>,
    key: impl Fn(&T) -> String,
    mut keep: impl FnMut(Vec<T>) -> Result<Vec<T>, E>,
) -> Result<Vec<T>, E> {
    let wanted = page.fetch_limit() as usize;
    let batch = page.fetch_limit().max(200);
    let mut kept = Vec::new();
    let mut after = page.after.clone();
    loop {
        let rows = fetch(after.as_deref(), batch)?;
        let exhausted = (rows.len() as i64) < batch;
        match rows.last() {
            Some(last) => after = Some(key(last)),
            None => break,
        }
        kept.extend(keep(rows)?);
        if kept.len() >= wanted || exhausted {
            break;
        }
    }
    kept.truncate(wanted);
    Ok(kept)
}
