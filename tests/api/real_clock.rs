//! With the system clock: the window is measured back from the real "now" of each request.

use chrono::{Duration, Utc};
use litellm_analytics::window::Clock;

use crate::helpers::{agent_query, Agent, Place, Row, TestApp};

#[tokio::test]
async fn window_follows_the_wall_clock() {
    let now = Utc::now().naive_utc();
    let agent = || Agent::new("live-bot", "1").session("s").user("u");
    let app = TestApp::builder()
        .rows(&[
            Row::new("live-1", now - Duration::hours(1))
                .agent(Place::SpendLogsMetadata, agent())
                .tokens(1, 0),
            // Five minutes inside the one-day window.
            Row::new("live-2", now - Duration::hours(24) + Duration::minutes(5))
                .agent(Place::SpendLogsMetadata, agent())
                .tokens(10, 0),
            // Five minutes outside it.
            Row::new("live-3", now - Duration::hours(24) - Duration::minutes(5))
                .agent(Place::SpendLogsMetadata, agent())
                .tokens(100, 0),
            // In the future (a clock-skewed writer): not yet in any window.
            Row::new("live-4", now + Duration::hours(1))
                .agent(Place::SpendLogsMetadata, agent())
                .tokens(1000, 0),
        ])
        .clock(Clock::System)
        .spawn()
        .await;
    let before = Utc::now().date_naive();
    let body = app
        .get_json(
            &format!("/total-tokens?{}", agent_query("live-bot", "1", 1)),
            200,
        )
        .await;
    let after = Utc::now().date_naive();
    assert_eq!(body["total_prompt_tokens"], 11);
    let end_date = body["date_range"]["end_date"].as_str().unwrap().to_string();
    assert!(
        end_date == before.to_string() || end_date == after.to_string(),
        "{end_date}"
    );
    let timeline = app
        .get_json(
            &format!("/activitytimeline?{}", agent_query("live-bot", "1", 2)),
            200,
        )
        .await;
    assert_eq!(timeline["daily_sessions"].as_array().unwrap().len(), 3);
}
