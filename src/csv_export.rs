//! CSV (RFC 4180) for every list and series endpoint: asked for with `format=csv` or
//! `Accept: text/csv`. Items are serialized as for JSON, flattened (`duration.p50_ms` becomes
//! the column `duration_p50_ms`, lists are joined with `;`) and written in the endpoint's column
//! order, with a header row. Lists stream page by page, never held in memory whole.
//!
//! Text from LiteLLM's callers (agent, user and session ids, messages, models) is data, never a
//! spreadsheet formula: a text cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets
//! a leading `'` (OWASP's CSV injection advice). Numbers are JSON numbers and are written as they
//! are, so a negative number stays a number.
//!
//! Exports are bounded: a streamed export stops at the request deadline
//! (REQUEST_TIMEOUT_SECONDS) and after CSV_EXPORT_MAX_ROWS rows; one that stops early ends with a
//! truncation row `#truncated,<why>,<cursor>` (the cursor continues the export where it stopped).

use std::sync::Arc;
use std::time::Duration;

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

/// A cell's text: numbers and booleans as they are, text neutralised against formulas.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(text @ (Value::String(_) | Value::Array(_))) => neutralised(raw_text(text)),
        Some(other) => other.to_string(),
    }
}

fn raw_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(raw_text).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

/// `text`, with a leading `'` when a spreadsheet would read it as a formula (it starts with
/// `=`, `+`, `-`, `@`, tab or carriage return).
pub fn neutralised(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
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

/// The first cell of the row that ends an export cut short.
pub const TRUNCATED_MARKER: &str = "#truncated";

/// The truncation row: `#truncated,<why>,<cursor to continue with, or empty>`.
pub fn truncation_row(why: &str, cursor: Option<&str>) -> web::Bytes {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    let written = writer
        .write_record([TRUNCATED_MARKER, why, cursor.unwrap_or_default()])
        .ok()
        .and_then(|_| writer.into_inner().ok());
    // Writing to memory cannot fail; should it, the marker is still a valid row.
    web::Bytes::from(written.unwrap_or_else(|| format!("{TRUNCATED_MARKER}\r\n").into_bytes()))
}

/// How far one export may go: until `deadline` (a little before the request's own, so the
/// truncation row is written in time) and at most `max_rows` rows.
#[derive(Debug, Clone, Copy)]
pub struct ExportLimits {
    pub deadline: tokio::time::Instant,
    pub max_rows: usize,
    /// REQUEST_TIMEOUT_SECONDS, named in the truncation row.
    pub timeout_secs: u64,
}

impl ExportLimits {
    /// The limits of the running request: its deadline (REQUEST_TIMEOUT_SECONDS after it was
    /// routed) less a margin for the last row, and CSV_EXPORT_MAX_ROWS.
    pub fn of(req: &HttpRequest, timeout: Duration, max_rows: usize) -> ExportLimits {
        use actix_web::HttpMessage;
        let deadline = req
            .extensions()
            .get::<crate::guard::RequestDeadline>()
            .map_or_else(|| tokio::time::Instant::now() + timeout, |d| d.0);
        let margin = (timeout / 10).min(Duration::from_millis(500));
        ExportLimits {
            deadline: deadline - margin,
            max_rows: max_rows.max(1),
            timeout_secs: timeout.as_secs(),
        }
    }

    /// Rows to ask for next, when `emitted` are out: a page, or what is left of the row limit.
    pub fn next_page_size(&self, emitted: usize, page: usize) -> usize {
        page.min(self.max_rows.saturating_sub(emitted))
    }
}

/// One page of an export: its rows and the cursor of the next page (None at the end).
pub struct ExportPage<R> {
    pub rows: Vec<R>,
    pub next_cursor: Option<String>,
}

/// A list as one CSV download, page after page: `first` is the page already read (so that its
/// errors were answered as problems); `fetch(cursor, size)` reads the next while the download
/// streams, when `walk_on`. The walk stops at the end of the list, or — with a truncation row —
/// at the deadline, at the row limit, or on an error (logged; the row says only that it stopped).
/// The running request's admission ticket is kept until the last row.
pub fn export_stream<R, F, Fut>(
    name: &str,
    first: ExportPage<R>,
    walk_on: bool,
    limits: ExportLimits,
    page_size: usize,
    fetch: F,
) -> HttpResponse
where
    R: Serialize + Default + Send + 'static,
    F: FnMut(String, usize) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<ExportPage<R>, ApiError>> + 'static,
{
    struct Walk<R, F> {
        first: Option<ExportPage<R>>,
        next: Option<String>,
        emitted: usize,
        columns: Option<Arc<Vec<String>>>,
        finished: bool,
        fetch: F,
        ticket: Option<Arc<crate::admission::Ticket>>,
    }
    let walk = Walk {
        first: Some(first),
        next: None,
        emitted: 0,
        columns: None,
        finished: false,
        fetch,
        ticket: crate::admission::current(),
    };
    let stream = futures_util::stream::unfold(walk, move |mut walk| async move {
        if walk.finished {
            return None;
        }
        let page = match walk.first.take() {
            Some(page) => page,
            None => {
                let cursor = walk.next.take()?;
                let stop = |why: String, walk: Walk<R, F>| {
                    Some((Ok(truncation_row(&why, Some(&cursor))), walk))
                };
                walk.finished = true;
                if walk.emitted >= limits.max_rows {
                    let why = format!(
                        "stopped after {} rows (CSV_EXPORT_MAX_ROWS); ask again with the cursor \
                         for the rest",
                        walk.emitted
                    );
                    return stop(why, walk);
                }
                let size = limits.next_page_size(walk.emitted, page_size);
                let read = (walk.fetch)(cursor.clone(), size);
                let read = async {
                    match walk.ticket.clone() {
                        Some(ticket) => crate::admission::within(ticket, read).await,
                        None => read.await,
                    }
                };
                match tokio::time::timeout_at(limits.deadline, read).await {
                    Ok(Ok(page)) => {
                        walk.finished = false;
                        page
                    }
                    Ok(Err(e)) => {
                        log::warn!("CSV export stopped after {} rows: {e}", walk.emitted);
                        let why = format!(
                            "stopped after {} rows: the next page could not be read; ask again \
                             with the cursor for the rest",
                            walk.emitted
                        );
                        return stop(why, walk);
                    }
                    Err(_) => {
                        log::warn!(
                            "CSV export stopped at the request deadline after {} rows",
                            walk.emitted
                        );
                        let why = format!(
                            "stopped after {} rows at the request deadline \
                             (REQUEST_TIMEOUT_SECONDS={}); ask again with the cursor for the rest",
                            walk.emitted, limits.timeout_secs
                        );
                        return stop(why, walk);
                    }
                }
            }
        };
        walk.next = page.next_cursor.filter(|_| walk_on);
        walk.emitted += page.rows.len();
        let header = walk.columns.is_none();
        let columns = walk
            .columns
            .get_or_insert_with(|| {
                Arc::new(match page.rows.first() {
                    Some(first) => columns_of(first),
                    None => columns_of(&R::default()),
                })
            })
            .clone();
        let rows = page.rows;
        let chunk = crate::admission::off_worker(move || to_csv(&columns, &rows, header))
            .await
            .and_then(|chunk| chunk)
            .map(web::Bytes::from);
        Some((chunk, walk))
    });
    csv_stream(name, stream)
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
