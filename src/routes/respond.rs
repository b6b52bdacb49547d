//! How handlers answer: JSON through single-flight, or CSV (whole, or streamed page by page)
//! with the same provenance headers.

use std::future::Future;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::admission;
use crate::answers;
use crate::csv_export::{
    columns_of, csv_response, export_stream, filename, to_csv, truncation_row, wants_csv,
    ExportLimits, ExportPage, FormatParams,
};
use crate::error::ApiError;
use crate::params::{AgentParams, AgentQuery, PageParams};
use crate::provenance::{render, serialize, with_provenance, Answer, Source};
use crate::queries::PagedRow;
use crate::state::AppState;

/// Answers through single-flight: requests with the same path and query string that arrive
/// while one is being computed get its response (dashboards open the same views at once).
pub async fn shared<T, F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer<T>, ApiError>>,
{
    let key = format!("{}?{}", req.path(), req.query_string());
    let body = state
        .flights
        .run(key, || async { compute().await.and_then(serialize) })
        .await?;
    Ok(render(&body))
}

/// JSON (through single-flight), or — when the caller asks for CSV — the rows `rows_of` picks
/// from the answer, as a CSV download named `name`.
pub async fn respond<T, I, F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    format: &FormatParams,
    name: impl FnOnce(&T) -> String + Send + 'static,
    rows_of: impl FnOnce(&T) -> &[I] + Send + 'static,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    I: Serialize + Default,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer<T>, ApiError>>,
{
    respond_capped(state, req, format, name, rows_of, |_| None, compute).await
}

/// As [`respond`], for a list cut at CSV_EXPORT_MAX_ROWS: when `cut_at` names the cursor of the
/// rest, the CSV ends with a truncation row naming it. The CSV is written on a blocking thread.
pub async fn respond_capped<T, I, F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    format: &FormatParams,
    name: impl FnOnce(&T) -> String + Send + 'static,
    rows_of: impl FnOnce(&T) -> &[I] + Send + 'static,
    cut_at: impl FnOnce(&T) -> Option<String> + Send + 'static,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    I: Serialize + Default,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer<T>, ApiError>>,
{
    if !wants_csv(req, format)? {
        return shared(state, req, compute).await;
    }
    let answer = compute().await?;
    let (as_of, source) = (answer.as_of, answer.source);
    let max_rows = state.admission.settings().csv_max_rows;
    let (name, body) = crate::admission::off_worker(move || {
        let value = &answer.value;
        let rows = rows_of(value);
        let columns = match rows.first() {
            Some(first) => columns_of(first),
            None => columns_of(&I::default()),
        };
        let mut body = to_csv(&columns, rows, true)?;
        if let Some(cursor) = cut_at(value) {
            let why = format!(
                "stopped after {max_rows} rows (CSV_EXPORT_MAX_ROWS); ask again with the cursor \
                 for the rest"
            );
            body.extend_from_slice(&truncation_row(&why, Some(&cursor)));
        }
        Ok::<_, ApiError>((name(value), body))
    })
    .await??;
    Ok(with_provenance(csv_response(&name, body), as_of, source))
}

/// The first page a CSV export reads: the caller's `limit` rows when given (the export is that
/// one page), else a page of 1000 rows (fewer if CSV_EXPORT_MAX_ROWS is lower) and the export
/// walks on to the end of the list.
pub fn csv_first_page(page: &PageParams, state: &AppState) -> PageParams {
    let size = (CSV_PAGE_SIZE as usize).min(state.admission.settings().csv_max_rows.max(1));
    PageParams {
        limit: Some(page.limit.clone().unwrap_or_else(|| size.to_string())),
        cursor: page.cursor.clone(),
    }
}

/// The bounds of a CSV export of the running request (see csv_export.rs).
fn export_limits(req: &HttpRequest, state: &AppState) -> ExportLimits {
    ExportLimits::of(
        req,
        state.guard.settings.request_timeout,
        state.admission.settings().csv_max_rows,
    )
}

/// A list as one CSV download with the provenance of its first page: `first` is already read
/// (so that its errors were answered as problems); when `walk_on`, `next_page(cursor, size)`
/// reads each following page while the download streams, to the end of the list or the
/// export's bounds (csv_export.rs).
#[allow(clippy::too_many_arguments)]
pub fn csv_pages<R, F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    name: &str,
    first: ExportPage<R>,
    walk_on: bool,
    as_of: NaiveDateTime,
    source: Source,
    next_page: F,
) -> HttpResponse
where
    R: Serialize + Default + Send + 'static,
    F: FnMut(String, usize) -> Fut + 'static,
    Fut: Future<Output = Result<ExportPage<R>, ApiError>> + 'static,
{
    let limits = export_limits(req, state);
    let response = export_stream(
        name,
        first,
        walk_on,
        limits,
        CSV_PAGE_SIZE as usize,
        next_page,
    );
    with_provenance(response, as_of, source)
}

/// An agent's list (/detailed-usage, /recentmessages) as one CSV download named after `list`
/// and the agent: the first page (the caller's `limit` rows, or the export's page size) is read
/// before the response starts, so its errors are answered as problems; `items` turns rows into
/// CSV lines; further pages come from the same page walker while the download streams.
pub async fn agent_list_csv<T, R>(
    req: &HttpRequest,
    state: web::Data<AppState>,
    params: AgentParams,
    page: &PageParams,
    list: &str,
    items: fn(&AgentQuery, Vec<T>) -> Vec<R>,
) -> Result<HttpResponse, ApiError>
where
    T: PagedRow + 'static,
    R: Serialize + Default + Send + 'static,
{
    // A whole-list export is expensive work: admitted before its first page.
    admission::admit_database()?;
    let first = answers::agent_page::<T>(&state, &params, &csv_first_page(page, &state)).await?;
    let agent = &first.value.query.agent;
    let name = filename(&[list, &agent.name, &agent.version]);
    let walk_on = page.limit.is_none();
    let (as_of, source, first) = (first.as_of, first.source, first.value);
    let first = ExportPage {
        rows: items(&first.query, first.rows),
        next_cursor: first.next_cursor,
    };
    let (walker, params) = (state.clone(), Arc::new(params));
    let next_page = move |cursor: String, size: usize| {
        let (state, params) = (walker.clone(), params.clone());
        async move {
            let request = PageParams {
                limit: Some(size.to_string()),
                cursor: Some(cursor),
            };
            let page = answers::agent_page::<T>(&state, &params, &request)
                .await?
                .value;
            Ok(ExportPage {
                rows: items(&page.query, page.rows),
                next_cursor: page.next_cursor,
            })
        }
    };
    Ok(csv_pages(
        req, &state, &name, first, walk_on, as_of, source, next_page,
    ))
}

/// Rows per page while a CSV export walks a list.
pub(crate) const CSV_PAGE_SIZE: u32 = 1000;
