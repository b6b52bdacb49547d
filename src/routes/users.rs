//! GET /users — one row per agent_user_id of an agent version, sorted and paged.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::respond::respond_capped;
use crate::answers;
use crate::csv_export::{filename, wants_csv, FormatParams};
use crate::error::AgentErrors;
use crate::error::ApiError;
use crate::params::ranking::{parse_ranked, GroupParams};
use crate::params::{AgentParams, TimeParams};
use crate::state::AppState;
use crate::stats::round_to;
use crate::summaries::{SortKey, UserSummary};
use crate::window::{format_timestamp, DateRange};

pub(crate) const USER_SORTS: [SortKey; 4] = [
    SortKey::LastSeen,
    SortKey::Spend,
    SortKey::Requests,
    SortKey::Sessions,
];

/// One user's totals within the window.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct User {
    #[schema(example = "user-17")]
    pub user_id: String,
    /// Distinct sessions with a request by this user.
    #[schema(example = 4)]
    pub sessions: i64,
    #[schema(example = 23)]
    pub requests: i64,
    #[schema(example = 1)]
    pub failed: i64,
    #[schema(example = 20480)]
    pub prompt_tokens: i64,
    #[schema(example = 3100)]
    pub completion_tokens: i64,
    /// Sum of LiteLLM's `total_tokens` column (what LiteLLM's own UI shows; it can differ from
    /// prompt + completion where the provider reports so).
    #[schema(example = 23580)]
    pub total_tokens: i64,
    /// USD, 9 decimals.
    #[schema(example = 0.0893)]
    pub spend: f64,
    #[schema(example = "2024-11-29T08:01:12Z")]
    pub first_seen: String,
    #[schema(example = "2024-12-05T09:31:02Z")]
    pub last_seen: String,
}

impl From<&UserSummary> for User {
    fn from(u: &UserSummary) -> Self {
        User {
            user_id: u.user_id.clone(),
            sessions: u.sessions,
            requests: u.requests,
            failed: u.failed,
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.total_tokens,
            spend: round_to(u.spend, 9),
            first_seen: format_timestamp(u.first_seen),
            last_seen: format_timestamp(u.last_seen),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    #[schema(example = "last_seen")]
    pub sort: &'static str,
    #[schema(example = "desc")]
    pub order: &'static str,
    pub users: Vec<User>,
    /// Pass as `cursor` (with the same sort and order) for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// The users (agent_user_id) of one agent version in the window: sessions, requests, tokens,
/// spend and last seen per user, sorted and paged.
#[utoipa::path(
    get,
    path = "/users",
    tag = "analytics",
    params(AgentParams, TimeParams, GroupParams, FormatParams),
    responses(
        (status = 200, description = "One page of users (CSV: every user from the cursor on)",
         content((UserList = "application/json"), (String = "text/csv"))),
        AgentErrors
    )
)]
pub async fn users(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
    group: web::Query<GroupParams>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    let csv = wants_csv(&req, &format)?;
    let name = |l: &UserList| filename(&["users", &l.agent_name, &l.agent_version]);
    // A CSV of the whole list stops at CSV_EXPORT_MAX_ROWS and says where to go on.
    let whole_list = csv && group.limit.is_none();
    respond_capped(
        &state,
        &req,
        &format,
        name,
        |l| &l.users,
        move |l: &UserList| l.next_cursor.clone().filter(|_| whole_list),
        || async {
            let (q, request) = parse_ranked(&params, &group, &USER_SORTS, &state.clock)?;
            let limit = match whole_list {
                true => state.admission.settings().csv_max_rows,
                false => request.limit,
            };
            let answer = answers::users(&state, &q, &request.ranking(limit)).await?;
            Ok(answer.map(|page| UserList {
                agent_name: q.agent.name.clone(),
                agent_version: q.agent.version.clone(),
                date_range: q.window.date_range(),
                sort: request.sort.name(),
                order: request.order(),
                users: page.items.iter().map(User::from).collect(),
                next_cursor: request.next_cursor(q.window.end, page.next),
            }))
        },
    )
    .await
}
