//! The harness's check of answers against the OpenAPI document (tests/common/openapi.rs)
//! refuses what the document does not describe.

mod common;

use serde_json::json;

/// The harness checks every JSON answer against the OpenAPI document: a body of the wrong
/// shape, an error body with fields an error does not have, and a status the document
/// does not list are each refused, naming the route and what does not match.
#[test]
fn the_harness_refuses_answers_unlike_the_openapi_document() {
    let base = "http://127.0.0.1:1";
    let page =
        json!({"data": [], "pagination": {"page": 1, "pages": 0, "per_page": 30, "total": 0}});
    common::check_against_document("GET", &format!("{base}/api/v1/repos?page=1"), 200, &page)
        .unwrap();
    let wrong = json!({"data": "not a list", "pagination": {"page": 1}});
    let e =
        common::check_against_document("GET", &format!("{base}/api/v1/repos?page=1"), 200, &wrong)
            .unwrap_err();
    assert!(e.contains("GET /api/v1/repos"), "{e}");
    assert!(e.contains("200"), "{e}");
    assert!(
        e.contains("not a list"),
        "the schema error shows the value: {e}"
    );

    let issue = format!("{base}/api/v1/issues/7");
    common::check_against_document("GET", &issue, 404, &json!({"error": "no issue"})).unwrap();
    let e = common::check_against_document(
        "GET",
        &issue,
        404,
        &json!({"error": "no issue", "detail": 1}),
    )
    .unwrap_err();
    assert!(
        e.contains("GET /api/v1/issues/{id} (/api/v1/issues/7)"),
        "{e}"
    );
    let e = common::check_against_document("GET", &issue, 200, &json!({"id": 7})).unwrap_err();
    assert!(e.contains("required"), "{e}");

    let e = common::check_against_document("GET", &format!("{base}/version"), 418, &json!({}))
        .unwrap_err();
    assert!(e.contains("418") && e.contains("does not list"), "{e}");
}
