//! The operations fixture: cost, latency, sessions, users, versions and teams of agent "pay-bot",
//! seen from a pinned "now" of 2024-12-05 14:30:00 UTC (days=1 → window from 12-04 14:30:00).
//!
//! Durations: `request_duration_ms` where set, else endTime − startTime (failed rows: 0).
//! TTFT: completionStartTime − startTime, only where it is before endTime.
//!
//! pay-bot 2.0.0 (sessions A, B, C; users alice, bob, carol)
//!
//! | id  | start (UTC)      | model             | p/c      | spend  | dur ms      | ttft | sess/user | notes |
//! |-----|------------------|-------------------|----------|--------|-------------|------|-----------|-------|
//! | p01 | 12-05 10:00      | gpt-4o            | 100/20   | 0.0015 | 1200        | 300  | A/alice   | cached 40, team-red/key-red, reply with `,` `"` and a newline, litellm session ls-1 |
//! | p02 | 12-05 11:00      | gpt-4o            | 200/50   | 0.0030 | 1800 (rdm)  | —    | A/alice   | unstreamed (completionStartTime = endTime), cache hit, cached 0, tool call, team-red, ls-1 |
//! | p03 | 12-05 12:00      | gpt-4o-mini       | 50/10    | 0.0001 | 500         | 100  | B/bob     | cached 10, MCP tool, ls-2 |
//! | p04 | 12-05 13:00      | gpt-4o            | 60/0     | 0      | 0           | —    | B/bob     | failed: RateLimitError "Rate limit reached" |
//! | p05 | 12-04 20:00      | gpt-4o            | 400/100  | 0.0075 | 4000        | 250  | C/alice   | cache hit, cached 100 |
//! | p06 | 12-04 21:00      | claude-3-5-sonnet | 10/5     | 0.0002 | 900 (rdm)   | —    | C/carol   | endTime says 800 |
//! | p08 | 12-05 11:30      | gpt-4o            | 20/5     | 0.0005 | 600         | —    | A/alice   | |
//! | p07 | 12-04 14:29:59   | gpt-4o            | 1000/1000| 1.0    | 1000        | —    | D/dave    | one second before the days=1 window |
//!
//! pay-bot 1.0.0: q01 12-05 09:00 100/10 $0.0010 1000 ms E/erin; q02 09:30 100/10 $0.0010
//! 3000 ms E/erin; q03 10:00 50/0 failed F/frank; q04 12-04 18:00 150/30 $0.0020 2000 ms ttft 400
//! F/frank.
//!
//! Others: mail-bot 0.1 m01 12-05 08:00 gpt-4o-mini 30/3 $0.0003 700 ms M/mia team-blue/key-blue,
//! m02 11-10 (outside 20 days), m03 11-25 08:00 20/2 $0.0002; x01 12-05 07:00 pay-bot without a
//! version, 5/5 $0.0001 100 ms; z01 12-05 06:00 no agent fields, gpt-4o-mini 1/1 $0 50 ms.

use chrono::NaiveDateTime;

use super::{ts, Agent, Place, Row};

pub const PAY: &str = "pay-bot";
pub const V1: &str = "1.0.0";
pub const V2: &str = "2.0.0";
pub const MAIL: &str = "mail-bot";

/// p01's reply: a comma, quotes and a line break, for CSV quoting.
pub const TRICKY_REPLY: &str = "Refund of $12, \"approved\"\nThanks!";

pub fn now() -> NaiveDateTime {
    ts("2024-12-05 14:30:00")
}

fn who(name: &str, version: Option<&str>, session: &str, user: &str) -> Agent {
    let mut agent = Agent::new(name, version.unwrap_or(""));
    agent.version = version.map(str::to_string);
    agent.session = Some(session.to_string());
    agent.user = Some(user.to_string());
    agent
}

fn v2(id: &str, at: &str, session: &str, user: &str) -> Row {
    Row::new(id, ts(at)).agent(Place::SpendLogsMetadata, who(PAY, Some(V2), session, user))
}

fn v1(id: &str, at: &str, session: &str, user: &str) -> Row {
    Row::new(id, ts(at)).agent(Place::RequestBody, who(PAY, Some(V1), session, user))
}

pub fn pay_bot_v2_rows() -> Vec<Row> {
    vec![
        v2("p01", "2024-12-05 10:00:00", "A", "alice")
            .tokens(100, 20)
            .spend(0.0015)
            .duration_ms(1200)
            .first_token_after_ms(300)
            .cached_tokens(40)
            .team("team-red", "key-red")
            .litellm_session("ls-1")
            .reply(TRICKY_REPLY),
        v2("p02", "2024-12-05 11:00:00", "A", "alice")
            .tokens(200, 50)
            .spend(0.0030)
            .duration_ms(2000)
            .request_duration_ms(1800)
            .unstreamed()
            .cache_hit()
            .cached_tokens(0)
            .team("team-red", "key-red")
            .litellm_session("ls-1")
            .tool_call_only(),
        v2("p03", "2024-12-05 12:00:00", "B", "bob")
            .model("gpt-4o-mini")
            .tokens(50, 10)
            .spend(0.0001)
            .duration_ms(500)
            .first_token_after_ms(100)
            .cached_tokens(10)
            .mcp_tool("github-create_issue")
            .litellm_session("ls-2")
            .reply("Issue filed."),
        v2("p04", "2024-12-05 13:00:00", "B", "bob")
            .tokens(60, 0)
            .failed(),
        v2("p05", "2024-12-04 20:00:00", "C", "alice")
            .tokens(400, 100)
            .spend(0.0075)
            .duration_ms(4000)
            .first_token_after_ms(250)
            .cache_hit()
            .cached_tokens(100)
            .reply("Here is the long answer."),
        v2("p06", "2024-12-04 21:00:00", "C", "carol")
            .model("claude-3-5-sonnet")
            .tokens(10, 5)
            .spend(0.0002)
            .duration_ms(800)
            .request_duration_ms(900)
            .reply("Short."),
        v2("p08", "2024-12-05 11:30:00", "A", "alice")
            .tokens(20, 5)
            .spend(0.0005)
            .duration_ms(600)
            .reply("Anything else?"),
        v2("p07", "2024-12-04 14:29:59", "D", "dave")
            .tokens(1000, 1000)
            .spend(1.0)
            .duration_ms(1000)
            .reply("Outside one day."),
    ]
}

pub fn pay_bot_v1_rows() -> Vec<Row> {
    vec![
        v1("q01", "2024-12-05 09:00:00", "E", "erin")
            .tokens(100, 10)
            .spend(0.0010)
            .duration_ms(1000)
            .reply("v1 one"),
        v1("q02", "2024-12-05 09:30:00", "E", "erin")
            .tokens(100, 10)
            .spend(0.0010)
            .duration_ms(3000)
            .reply("v1 two"),
        v1("q03", "2024-12-05 10:00:00", "F", "frank")
            .tokens(50, 0)
            .failed(),
        v1("q04", "2024-12-04 18:00:00", "F", "frank")
            .tokens(150, 30)
            .spend(0.0020)
            .duration_ms(2000)
            .first_token_after_ms(400)
            .reply("v1 four"),
    ]
}

pub fn other_rows() -> Vec<Row> {
    let mail = |id: &str, at: &str| {
        Row::new(id, ts(at)).agent(Place::SpendLogsMetadata, who(MAIL, Some("0.1"), "M", "mia"))
    };
    vec![
        mail("m01", "2024-12-05 08:00:00")
            .model("gpt-4o-mini")
            .tokens(30, 3)
            .spend(0.0003)
            .duration_ms(700)
            .team("team-blue", "key-blue")
            .reply("mail one"),
        mail("m02", "2024-11-10 08:00:00")
            .tokens(10, 1)
            .spend(0.0001)
            .reply("too old for 20 days"),
        mail("m03", "2024-11-25 08:00:00")
            .tokens(20, 2)
            .spend(0.0002)
            .reply("mail three"),
        Row::new("x01", ts("2024-12-05 07:00:00"))
            .agent(Place::SpendLogsMetadata, who(PAY, None, "X", "xavier"))
            .tokens(5, 5)
            .spend(0.0001)
            .duration_ms(100)
            .reply("no version"),
        Row::new("z01", ts("2024-12-05 06:00:00"))
            .model("gpt-4o-mini")
            .tokens(1, 1)
            .duration_ms(50)
            .reply("no agent"),
    ]
}

pub fn all_rows() -> Vec<Row> {
    let mut rows = pay_bot_v2_rows();
    rows.extend(pay_bot_v1_rows());
    rows.extend(other_rows());
    rows
}

/// `?agent_name=pay-bot&agent_version=2.0.0&days=1`
pub fn v2_day() -> String {
    format!("agent_name={PAY}&agent_version={V2}&days=1")
}

/// The app on a fresh database holding `all_rows()`, "now" pinned at `now()`.
pub async fn app() -> super::TestApp {
    super::TestApp::builder()
        .rows(&all_rows())
        .now(now())
        .spawn()
        .await
}
