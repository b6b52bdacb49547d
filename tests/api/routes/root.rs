//! GET /: the service names itself and links its docs.

use crate::helpers::fixture;
use crate::helpers::TestApp;

#[tokio::test]
async fn root_names_the_service_and_links_the_docs() {
    let app = TestApp::builder().now(fixture::now()).spawn().await;
    let body = app.get_json("/", 200).await;
    assert_eq!(body["name"], "litellm-analytics");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["links"]["docs"], "/docs/");
    assert_eq!(body["links"]["openapi"], "/openapi.json");
    assert_eq!(body["links"]["health"], "/health");
}
