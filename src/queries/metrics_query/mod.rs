//! GET /metrics/query by SQL (sql/metrics_query.sql with whitelisted fragments).

use chrono::NaiveDateTime;
use deadpool_postgres::Object;
use tokio_postgres::types::ToSql;

pub mod request;

use super::{get, Statements};
use crate::queries::error::DbError;
use request::{build_sql, MetricsRequest};

/// One result row: a group's totals (bucket None) or one bucket of it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRow {
    pub bucket: Option<i32>,
    /// Values of the request's group_by dimensions, in order.
    pub key: Vec<Option<String>>,
    /// Values of the request's metrics, in order.
    pub values: Vec<Option<f64>>,
}

pub async fn metrics_query(
    client: &Object,
    sql: &Statements,
    request: &MetricsRequest,
    start: NaiveDateTime,
    end: NaiveDateTime,
    boundaries: &[NaiveDateTime],
) -> Result<Vec<MetricsRow>, DbError> {
    let text = build_sql(&sql.metrics_template, &sql.metrics_fragments, request);
    let filters: Vec<&Vec<String>> = request.filters.iter().map(|(_, values)| values).collect();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&start, &end, &boundaries];
    params.extend(filters.iter().map(|v| *v as &(dyn ToSql + Sync)));
    params.push(&request.limit);
    // Not prepare_cached: the text varies with the request's choices.
    let rows = client.query(text.as_str(), &params).await?;
    rows.iter()
        .map(|row| {
            let key = request
                .group_by
                .iter()
                .map(|d| get::<Option<String>>(row, &format!("d_{d}")))
                .collect::<Result<Vec<_>, _>>()?;
            let values = request
                .metrics
                .iter()
                .map(|m| get::<Option<f64>>(row, &format!("m_{m}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(MetricsRow {
                bucket: get(row, "bucket")?,
                key,
                values,
            })
        })
        .collect()
}
