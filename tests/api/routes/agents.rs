//! GET /agents: the catalog of agents and versions, busiest first, on the operations fixture
//! (helpers/ops.rs holds the table the numbers come from).

use serde_json::{json, Value};

use crate::helpers::ops::{self, MAIL, PAY, V1, V2};

#[tokio::test]
async fn catalog_lists_agents_and_versions_busiest_first() {
    let app = ops::app().await;
    // Default: 20 days, from 2024-11-15 14:30. m02 (11-10) is older; x01 has no version and
    // z01 no agent, so neither names a catalog entry.
    let body = app.get_json("/agents", 200).await;
    assert_eq!(body["truncated"], false);
    assert_eq!(body["date_range"]["window_start"], "2024-11-15T14:30:00Z");
    assert_eq!(
        body["agents"],
        json!([
            {"agent_name": PAY, "requests": 12,
             "first_seen": "2024-12-04T14:29:59Z", "last_seen": "2024-12-05T13:00:00Z",
             "versions": [
                 // p01..p08
                 {"agent_version": V2, "requests": 8,
                  "first_seen": "2024-12-04T14:29:59Z", "last_seen": "2024-12-05T13:00:00Z"},
                 // q01..q04
                 {"agent_version": V1, "requests": 4,
                  "first_seen": "2024-12-04T18:00:00Z", "last_seen": "2024-12-05T10:00:00Z"}
             ]},
            {"agent_name": MAIL, "requests": 2,
             "first_seen": "2024-11-25T08:00:00Z", "last_seen": "2024-12-05T08:00:00Z",
             "versions": [
                 {"agent_version": "0.1", "requests": 2,
                  "first_seen": "2024-11-25T08:00:00Z", "last_seen": "2024-12-05T08:00:00Z"}
             ]}
        ])
    );
}

#[tokio::test]
async fn catalog_follows_the_window() {
    let app = ops::app().await;
    let day = app.get_json("/agents?days=1", 200).await;
    let counts: Vec<(Value, Value)> = day["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["agent_name"].clone(), a["requests"].clone()))
        .collect();
    // p07 drops out of 2.0.0 (7 left) and m03 out of mail-bot.
    assert_eq!(
        counts,
        vec![(json!(PAY), json!(11)), (json!(MAIL), json!(1))]
    );
    assert_eq!(day["agents"][0]["versions"][0]["requests"], 7);
    assert_eq!(
        day["agents"][0]["versions"][0]["first_seen"],
        "2024-12-04T20:00:00Z"
    );

    let range = app
        .get_json("/agents?start=2024-11-24&end=2024-11-26", 200)
        .await;
    assert_eq!(range["agents"].as_array().unwrap().len(), 1);
    assert_eq!(range["agents"][0]["agent_name"], MAIL);
    assert_eq!(range["agents"][0]["requests"], 1);

    let empty = app
        .get_json("/agents?start=2024-01-01&end=2024-01-02", 200)
        .await;
    assert_eq!(empty["agents"], json!([]));
}
