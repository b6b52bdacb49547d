//! One module per route file of src/routes/, named alike: a test about one endpoint lives in
//! that endpoint's module.

mod activitytimeline;
mod agents;
mod agents_compare;
mod analytics_agent;
mod dashboard;
mod detailed_usage;
mod docs;
mod health;
mod latency;
mod metrics_query;
mod recentmessages;
mod root;
mod sessions;
mod sessions_by_id;
mod tokens_usage;
mod total_tokens;
mod users;
