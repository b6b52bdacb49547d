//! GET /dashboard: the dashboard's files served from the binary.

use crate::helpers::fixture;
use crate::helpers::TestApp;

#[tokio::test]
async fn dashboard_is_served_from_the_binary() {
    let app = TestApp::builder()
        .settings(|s| {
            // The dashboard's files are public even when the API needs a key (the page asks for it).
            s.guard.api_keys = vec!["dash-key-0123456789".into()];
        })
        .now(fixture::now())
        .spawn()
        .await;
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
