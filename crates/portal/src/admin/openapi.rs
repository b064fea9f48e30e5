//! The admin API's OpenAPI 3.1 document: built from the handlers' `#[utoipa::path]`
//! annotations and the types of [`super::model`], served at `GET /api/v1/openapi.json` and
//! committed as `docs/openapi.json` (a test fails when the two differ; `scripts/openapi.sh`
//! writes the file again and regenerates the UI's TypeScript types from it).
//!
//! The error answers every operation can give (401, 500, 503; 400, 413 and 415 where it
//! takes a body or parameters) are added here once instead of on each handler.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Twofold admin API",
        description = "The portal's admin API (docs/ADMIN-API.md): the 2FA switch, principals, \
            reset and unlock, audit log and license. Every request carries the bearer token \
            from DATA/admin.token.",
    ),
    security(("admin_token" = [])),
    components(schemas(ErrorBody)),
    modifiers(&BearerToken),
)]
pub(super) struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("the content of DATA/admin.token"))
                    .build(),
            ),
        );
    }
}

/// Adds the error answers shared by every operation.
pub(super) fn add_common_errors(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let operations =
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            add_errors(operation);
        }
    }
}

fn add_errors(operation: &mut Operation) {
    let has_body = operation.request_body.is_some();
    let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut errors = vec![
        ("401", "no bearer token (`missing_token`) or a wrong one (`invalid_token`)"),
        ("500", "a bug or unexpected failure, logged by the portal (`internal`)"),
        (
            "503",
            "the database is busy (`database_busy`), cannot be reached (`database_unavailable`), the directory does not answer (`directory_unavailable`) or the disk is full (`disk_full`); retry",
        ),
    ];
    if has_body || has_params {
        errors.push(("400", "the request does not parse or asks for nothing"));
    }
    if has_body {
        errors.push(("413", "the body is too large (`payload_too_large`)"));
        errors.push(("415", "the body is not JSON (`unsupported_media_type`)"));
    }
    for (status, description) in errors {
        operation.responses.responses.entry(status.to_string()).or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
                .into()
        });
    }
}
