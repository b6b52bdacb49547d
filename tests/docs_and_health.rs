//! The service's own surface: /, /health, /openapi.json, Swagger UI from the binary, CORS.

mod common;

use common::AGENT_ENDPOINTS;

use common::fixture;
use common::{spawn_app, spawn_app_with, test_settings, TestDb};
use litellm_analytics::config::CorsOrigins;

#[tokio::test]
async fn root_names_the_service_and_links_the_docs() {
    let db = TestDb::create().await;
    let app = spawn_app(&db, fixture::now()).await;
    let body = app.get_json("/", 200).await;
    assert_eq!(body["name"], "litellm-analytics");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["links"]["docs"], "/docs/");
    assert_eq!(body["links"]["openapi"], "/openapi.json");
    assert_eq!(body["links"]["health"], "/health");
}

#[tokio::test]
async fn health_is_200_with_a_timestamp_when_the_database_answers() {
    let db = TestDb::create().await;
    let app = spawn_app(&db, fixture::now()).await;
    let body = app.get_json("/health", 200).await;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["timestamp"], "2024-12-05T14:30:00Z");
}

#[tokio::test]
async fn openapi_documents_every_endpoint_parameter_and_error() {
    let db = TestDb::create().await;
    let app = spawn_app(&db, fixture::now()).await;
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
async fn swagger_ui_is_served_from_the_binary() {
    let db = TestDb::create().await;
    let app = spawn_app(&db, fixture::now()).await;
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

#[tokio::test]
async fn cors_allows_listed_origins_only() {
    let db = TestDb::create().await;
    let mut settings = test_settings(&db.url);
    settings.cors_allowed_origins = CorsOrigins::List(vec!["https://dash.example.com".into()]);
    let app = spawn_app_with(settings, common::pinned(fixture::now())).await;
    let allowed = app
        .http
        .get(format!("{}/health", app.address))
        .header("Origin", "https://dash.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://dash.example.com"
    );
    let other = app
        .http
        .get(format!("{}/health", app.address))
        .header("Origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let open = spawn_app(&db, fixture::now()).await; // default: *
    let any = open
        .http
        .get(format!("{}/health", open.address))
        .header("Origin", "https://anyone.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(any.headers()["access-control-allow-origin"], "*");
    let preflight = open
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/analytics/agent", open.address),
        )
        .header("Origin", "https://anyone.example.com")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-methods"], "GET");
}

#[tokio::test]
async fn openapi_documents_the_newer_endpoints_with_examples() {
    let db = TestDb::create().await;
    let app = spawn_app(&db, fixture::now()).await;
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
async fn dashboard_is_served_from_the_binary() {
    let db = TestDb::create().await;
    let mut settings = test_settings(&db.url);
    // The dashboard's files are public even when the API needs a key (the page asks for it).
    settings.guard.api_keys = vec!["dash-key-0123456789".into()];
    let app = spawn_app_with(settings, common::pinned(fixture::now())).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let bare = no_redirects
        .get(format!("{}/dashboard", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "/dashboard/");
    for (file, content_type, marker) in [
        (
            "",
            "text/html; charset=utf-8",
            "<script src=\"dashboard.js\" defer></script>",
        ),
        (
            "dashboard.js",
            "text/javascript; charset=utf-8",
            "/agents?days=20",
        ),
        ("dashboard.css", "text/css; charset=utf-8", ".tiles"),
    ] {
        let response = app.get(&format!("/dashboard/{file}")).await;
        assert_eq!(response.status(), 200, "{file}");
        assert_eq!(response.headers()["content-type"], content_type, "{file}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        let body = response.text().await.unwrap();
        assert!(body.contains(marker), "{file}");
        // Nothing is fetched from elsewhere (the SVG namespace is a name, not a fetch).
        let body = body.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !body.contains("https://") && !body.contains("http://"),
            "{file} links out"
        );
    }
    app.get_problem("/dashboard/other.js", 404).await;
}
