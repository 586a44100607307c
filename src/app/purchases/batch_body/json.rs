//! JSON batches: an array of purchase lines, or one line per row (NDJSON).

use serde_json::Value;
use serde_path_to_error::Segment;

use super::{BodyError, ParsedRow, check_count};
use crate::app::purchases::input::PurchaseInput;
use crate::store::Rejection;

/// A JSON array of lines.
pub(super) fn parse_array(body: &[u8]) -> Result<Vec<ParsedRow>, BodyError> {
    let values: Vec<Value> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(values)) => values,
        Ok(_) => {
            return Err(BodyError::Refused(vec![Rejection::at(
                "",
                "a JSON batch is an array of purchase lines",
            )]));
        }
        Err(e) => {
            return Err(BodyError::Malformed(format!(
                "the body is not valid JSON: {e}"
            )));
        }
    };
    check_count(values.len())?;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(index, value)| (index, row_from_value(index, value)))
        .collect())
}

/// One line per row; blank rows are skipped.
pub(super) fn parse_lines(body: &[u8]) -> Result<Vec<ParsedRow>, BodyError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| BodyError::Malformed("the body is not valid UTF-8".into()))?;
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    check_count(lines.len())?;
    Ok(lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let row = match serde_json::from_str::<Value>(line) {
                Ok(value) => row_from_value(index, value),
                Err(e) => Err(vec![Rejection::in_row(
                    index,
                    "",
                    format!("line {} is not valid JSON: {e}", index + 1),
                )]),
            };
            (index, row)
        })
        .collect())
}

/// Deserialises one JSON value as a purchase line, naming the bad member of row `index`.
fn row_from_value(index: usize, value: Value) -> Result<PurchaseInput, Vec<Rejection>> {
    serde_path_to_error::deserialize::<_, PurchaseInput>(value).map_err(|error| {
        let message = error.inner().to_string();
        vec![Rejection::in_row(
            index,
            member(error.path(), &message),
            message,
        )]
    })
}

/// Where serde stopped, as a JSON pointer inside the row. serde reports a missing or unknown
/// member at the enclosing object: the member is named.
fn member(path: &serde_path_to_error::Path, message: &str) -> String {
    let mut pointer: String = path
        .iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                Some(key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => None,
        })
        .map(|token| format!("/{token}"))
        .collect();
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(end) = rest.find('`')
        {
            let field = format!("/{}", &rest[..end]);
            if !pointer.ends_with(&field) {
                pointer.push_str(&field);
            }
        }
    }
    pointer
}
