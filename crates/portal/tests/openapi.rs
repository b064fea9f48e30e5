//! The admin API's OpenAPI document: served behind the token, and the same as the committed
//! docs/openapi.json (regenerate with `scripts/openapi.sh`).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::Portal;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");

#[tokio::test]
async fn the_served_document_is_the_committed_docs_openapi_json() {
    let p = Portal::new();
    let served = p.admin_call("GET", "/api/v1/openapi.json", None).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, twofold_portal::admin::openapi_text());
    if std::env::var_os("TWOFOLD_UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &served.body).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == served.body,
        "docs/openapi.json differs from the document the admin API serves: run \
         scripts/openapi.sh and commit the result"
    );
}

#[tokio::test]
async fn the_document_needs_the_token_like_every_admin_path() {
    let p = Portal::new();
    let reply =
        common::send(p.admin(), Request::get("/api/v1/openapi.json").body(Body::empty()).unwrap())
            .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn every_operation_documents_its_errors_with_the_error_body() {
    let doc = serde_json::to_value(twofold_portal::admin::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 11, "{:?}", paths.keys());
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            for status in ["401", "500", "503"] {
                let schema = &responses[status]["content"]["application/json"]["schema"];
                assert_eq!(schema["$ref"], "#/components/schemas/ErrorBody", "{method} {path}");
            }
        }
    }
}
