//! GET /openapi.json and the Swagger UI under /docs: every endpoint, parameter, error and
//! example documented, the UI served from the binary.

use crate::helpers::fixture;
use crate::helpers::{TestApp, AGENT_ENDPOINTS};

#[tokio::test]
async fn openapi_documents_every_endpoint_parameter_and_error() {
    let app = TestApp::builder().now(fixture::now()).spawn().await;
    let doc = app.get_json("/openapi.json", 200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in AGENT_ENDPOINTS {
        let op = &paths[path]["get"];
        assert!(
            op["description"].as_str().is_some() || op["summary"].as_str().is_some(),
            "{path}"
        );
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            &params[..3],
            ["agent_name", "agent_version", "days"],
            "{path}"
        );
        for p in op["parameters"].as_array().unwrap() {
            assert!(p["description"].as_str().is_some(), "{path} {}", p["name"]);
        }
        let days = &op["parameters"][2];
        // days, or start and end instead: neither is required on its own.
        assert_eq!(days["required"], false);
        assert_eq!(days["schema"]["enum"], serde_json::json!([1, 2, 7, 15, 20]));
        assert_eq!(&params[3..6], ["start", "end", "tz"], "{path}");
        for status in ["200", "404", "422", "503", "504"] {
            assert!(op["responses"][status].is_object(), "{path} lacks {status}");
        }
        assert!(op["responses"]["422"]["content"]["application/problem+json"].is_object());
        assert!(
            op["responses"]["404"]["content"]["application/problem+json"]["example"].is_object()
        );
    }
    for path in ["/detailed-usage", "/recentmessages"] {
        let names: Vec<&str> = paths[path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"limit") && names.contains(&"cursor"),
            "{path}"
        );
    }
    for path in ["/health", "/"] {
        assert!(paths[path]["get"].is_object(), "{path}");
    }
    // Response schemas carry examples for Swagger UI.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "AgentAnalytics",
        "ActivityTimeline",
        "TokensUsage",
        "TotalTokens",
        "DetailedUsage",
        "RecentMessages",
    ] {
        assert!(
            schemas[schema]["example"].is_object(),
            "{schema} lacks an example"
        );
    }
}

#[tokio::test]
async fn openapi_documents_the_newer_endpoints_with_examples() {
    let app = TestApp::builder().now(fixture::now()).spawn().await;
    let doc = app.get_json("/openapi.json", 200).await;
    let paths = doc["paths"].as_object().unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    // (path, parameters it must document, offers CSV)
    for (path, required_params, csv) in [
        (
            "/latency",
            &[
                "agent_name",
                "agent_version",
                "days",
                "start",
                "end",
                "tz",
                "granularity",
            ][..],
            true,
        ),
        (
            "/sessions",
            &[
                "agent_name",
                "sort",
                "order",
                "user",
                "limit",
                "cursor",
                "format",
            ][..],
            true,
        ),
        (
            "/sessions/{session_id}",
            &["session_id", "agent_name", "limit", "cursor"][..],
            true,
        ),
        (
            "/users",
            &["agent_name", "sort", "order", "limit", "cursor"][..],
            true,
        ),
        ("/agents", &["days", "start", "end", "tz"][..], true),
        (
            "/agents/compare",
            &["agent_name", "versions", "days"][..],
            false,
        ),
        (
            "/metrics/query",
            &[
                "metrics",
                "group_by",
                "filters",
                "filter",
                "limit",
                "granularity",
            ][..],
            true,
        ),
        ("/activitytimeline", &["granularity", "format"][..], true),
        ("/detailed-usage", &["format"][..], true),
    ] {
        let op = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is not documented"))["get"];
        assert!(
            op["description"].as_str().is_some() || op["summary"].as_str().is_some(),
            "{path}"
        );
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for name in required_params {
            assert!(
                params.contains(name),
                "{path} lacks parameter {name}: {params:?}"
            );
        }
        for p in op["parameters"].as_array().unwrap() {
            assert!(p["description"].as_str().is_some(), "{path} {}", p["name"]);
        }
        for status in ["200", "422", "503"] {
            assert!(op["responses"][status].is_object(), "{path} lacks {status}");
        }
        // The 200 body has an example: on the response, on its schema, or on its fields (Swagger
        // UI composes those).
        let ok = &op["responses"]["200"]["content"]["application/json"];
        let example = if ok["example"].is_object() {
            true
        } else {
            let reference = ok["schema"]["$ref"].as_str().unwrap_or_default();
            let name = reference.rsplit('/').next().unwrap_or_default();
            schemas.get(name).is_some_and(|s| {
                s["example"].is_object()
                    || s["properties"]
                        .as_object()
                        .is_some_and(|props| props.values().any(|p| !p["example"].is_null()))
            })
        };
        assert!(example, "{path}: no example for the 200 body");
        if csv {
            assert!(
                op["responses"]["200"]["content"]["text/csv"].is_object(),
                "{path} does not document text/csv"
            );
        }
    }
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = TestApp::builder().now(fixture::now()).spawn().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = no_redirects
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .unwrap();
    assert!(redirect.status().is_redirection());
    assert_eq!(redirect.headers()["location"], "/docs/");

    let index = app.get("/docs").await; // followed to /docs/
    assert_eq!(index.status(), 200);
    let html = index.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "external asset in {html}"
    );
    for asset in [
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-initializer.js",
    ] {
        let response = app.get(&format!("/docs/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(response.bytes().await.unwrap().len() > 100, "{asset}");
    }
    let init = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
}
