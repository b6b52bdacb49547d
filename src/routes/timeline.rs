//! GET /activitytimeline — sessions per day.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::{agent_not_found, shared, AppState};
use crate::error::ApiError;
use crate::openapi::AgentErrors;
use crate::params::{AgentParams, AgentQuery};
use crate::queries::DailySessionsRow;
use crate::window::{each_date, DateRange};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "date_range": {"start_date": "2024-12-04", "end_date": "2024-12-05",
                   "window_start": "2024-12-04T14:30:00Z", "window_end": "2024-12-05T14:30:00Z"},
    "daily_sessions": [{"date": "2024-12-04", "sessions": 3, "messages": 11},
                       {"date": "2024-12-05", "sessions": 5, "messages": 19}]
}))]
pub struct ActivityTimeline {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    /// One entry per UTC date from start_date to end_date, oldest first, zero-filled.
    pub daily_sessions: Vec<DailySessions>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct DailySessions {
    #[schema(example = "2024-12-05")]
    pub date: NaiveDate,
    /// Distinct sessions with at least one row (inside the window) on this date.
    #[schema(example = 5)]
    pub sessions: i64,
    /// Requests on this date inside the window.
    #[schema(example = 19)]
    pub messages: i64,
}

impl ActivityTimeline {
    fn new(q: &AgentQuery, rows: &[DailySessionsRow]) -> Self {
        let by_date: HashMap<NaiveDate, DailySessionsRow> =
            rows.iter().map(|r| (r.day, *r)).collect();
        let daily_sessions = each_date(&q.window, &by_date)
            .into_iter()
            .map(|(date, row)| DailySessions {
                date,
                sessions: row.map_or(0, |r| r.sessions),
                messages: row.map_or(0, |r| r.messages),
            })
            .collect();
        ActivityTimeline {
            agent_name: q.agent.name.clone(),
            agent_version: q.agent.version.clone(),
            date_range: q.window.date_range(),
            daily_sessions,
        }
    }
}

/// Distinct sessions per UTC date of one agent version.
#[utoipa::path(
    get,
    path = "/activitytimeline",
    tag = "analytics",
    params(AgentParams),
    responses(
        (status = 200, description = "Sessions per date, days + 1 entries", body = ActivityTimeline,
         headers(
             ("X-Data-As-Of" = String, description = "The database state the answer reflects (RFC 3339): the in-memory rollup's last refresh, or the query's time"),
             ("X-Data-Source" = String, description = "memory (the rollup) or database (SQL)")
         )),
        AgentErrors
    )
)]
pub async fn activity_timeline(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
) -> Result<HttpResponse, ApiError> {
    shared(&state, &req, || async {
        let q = params.parse(&state.clock)?;
        let answer = state.daily_sessions(&q).await?;
        if answer.value.is_empty() {
            return Err(agent_not_found(&q, &state.db));
        }
        Ok(answer.map(|rows| ActivityTimeline::new(&q, &rows)))
    })
    .await
}
