//! GET /total-tokens: token totals of the window, worked out by hand from the main fixture
//! (helpers/fixture.rs).

use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::{agent_query, TestApp};

#[tokio::test]
async fn total_tokens_match_the_fixture_for_every_days_value() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let expected = [
        (1, 421, 71),
        (2, 434, 74),
        (7, 784, 187),
        (15, 1784, 1187),
        (20, 2284, 1437),
    ];
    for (days, prompt, completion) in expected {
        let body = app
            .get_json(
                &format!("/total-tokens?{}", agent_query(NAME, VERSION, days)),
                200,
            )
            .await;
        assert_eq!(body["total_prompt_tokens"], prompt, "days={days}");
        assert_eq!(body["total_completion_tokens"], completion, "days={days}");
        assert_eq!(body["agent_name"], NAME);
        assert_eq!(body["agent_version"], VERSION);
        assert_eq!(body["date_range"]["end_date"], "2024-12-05");
    }
}

#[tokio::test]
async fn window_edges_are_inclusive_to_the_millisecond() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    // days=1 starts at 2024-12-04 14:30:00.000: sb-05 sits exactly there (in), sb-06 one
    // millisecond earlier (out); sb-12 one minute after now (out).
    let body = app
        .get_json(
            &format!("/total-tokens?{}", agent_query(NAME, VERSION, 1)),
            200,
        )
        .await;
    assert_eq!(body["total_prompt_tokens"], 100 + 200 + 60 + 50 + 11);
    assert_eq!(body["total_completion_tokens"], 20 + 40 + 10 + 1);
}
