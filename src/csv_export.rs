//! CSV (RFC 4180) for every list and series endpoint: asked for with `format=csv` or
//! `Accept: text/csv`. Items are serialized as for JSON, flattened (`duration.p50_ms` becomes
//! the column `duration_p50_ms`, lists are joined with `;`) and written in the endpoint's column
//! order, with a header row. Lists stream page by page, never held in memory whole.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::stream::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::IntoParams;

use crate::error::ApiError;

/// Response format.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// `json` (default) or `csv`. CSV can also be asked for with `Accept: text/csv`. For lists,
    /// CSV holds every row from the cursor (or the newest) to the end of the window, or at most
    /// `limit` rows when `limit` is given.
    #[param(value_type = Option<String>, pattern = "^(|json|csv)$", example = "json")]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub format: Option<String>,
}

/// Whether the caller wants CSV: `format=csv`, or `Accept: text/csv` without `format=json`.
pub fn wants_csv(req: &HttpRequest, format: &FormatParams) -> Result<bool, ApiError> {
    match format.format.as_deref().map(str::trim) {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::invalid(
            "format",
            format!("must be json or csv (got {other:?})"),
        )),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.split(',').any(|a| a.trim().starts_with("text/csv")))),
    }
}

/// Flattens a serialized item into column → text.
fn flatten(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
    match value {
        Value::Object(fields) => {
            for (key, v) in fields {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}_{key}")
                };
                flatten(&name, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| cell(Some(i)))
            .collect::<Vec<_>>()
            .join(";"),
        Some(other) => other.to_string(),
    }
}

/// CSV text of `items` (a header row first when `header`), columns in `columns` order.
pub fn to_csv<T: Serialize>(
    columns: &[String],
    items: &[T],
    header: bool,
) -> Result<Vec<u8>, ApiError> {
    // RFC 4180 ends records with CRLF.
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let fail = |e: &dyn std::fmt::Display| ApiError::Internal(format!("writing CSV: {e}"));
    if header {
        writer.write_record(columns).map_err(|e| fail(&e))?;
    }
    for item in items {
        let value = serde_json::to_value(item).map_err(|e| fail(&e))?;
        let mut flat = Map::new();
        flatten("", &value, &mut flat);
        let record: Vec<String> = columns.iter().map(|c| cell(flat.get(c))).collect();
        writer.write_record(&record).map_err(|e| fail(&e))?;
    }
    writer.into_inner().map_err(|e| fail(&e))
}

/// The columns of `example` (an item of the endpoint's type), flattened, in field order.
pub fn columns_of<T: Serialize>(example: &T) -> Vec<String> {
    let mut flat = Map::new();
    if let Ok(value) = serde_json::to_value(example) {
        flatten("", &value, &mut flat);
    }
    flat.keys().cloned().collect()
}

/// A download name: `<endpoint>-<agent>-<version>.csv`, other characters replaced by `_`.
pub fn filename(parts: &[&str]) -> String {
    let safe: Vec<String> = parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    format!("{}.csv", safe.join("-"))
}

fn csv_headers(response: &mut actix_web::HttpResponseBuilder, name: &str) {
    response
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ));
}

/// A CSV response from data already in memory.
pub fn csv_response(name: &str, body: Vec<u8>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    csv_headers(&mut response, name);
    response.body(body)
}

/// A CSV response streamed chunk by chunk (each chunk is CSV text: the first with the header).
pub fn csv_stream<S>(name: &str, chunks: S) -> HttpResponse
where
    S: Stream<Item = Result<web::Bytes, ApiError>> + 'static,
{
    let mut response = HttpResponse::Ok();
    csv_headers(&mut response, name);
    response.streaming(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_flattened_quoted_and_ordered() {
        let items = [
            json!({"a": "x,y", "b": {"c": 1, "d": null}, "e": ["m1", "m2"], "f": "say \"hi\"\nbye"}),
        ];
        let columns = columns_of(&items[0]);
        assert_eq!(columns, ["a", "b_c", "b_d", "e", "f"]);
        let text = String::from_utf8(to_csv(&columns, &items, true).unwrap()).unwrap();
        assert_eq!(
            text,
            "a,b_c,b_d,e,f\r\n\"x,y\",1,,m1;m2,\"say \"\"hi\"\"\nbye\"\r\n"
        );
    }

    #[test]
    fn filenames_are_safe() {
        assert_eq!(
            filename(&["sessions", "my bot/1", "2.0"]),
            "sessions-my_bot_1-2.0.csv"
        );
    }
}
