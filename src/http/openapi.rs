//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and the answer types
//! (served at `GET /openapi.json`; openapi/openapi.json is a committed copy that `tests/api/openapi.rs` keeps equal
//! to it). `routes` reads the methods each path answers from it.

use std::sync::OnceLock;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, ToSchema};

use super::{
    allowlist, audit, auth, blocklist, case_work, cases, consents, health, liveness, security, subjects, verifications,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "faceverify",
        description = "Selfie vs ID-document verification. Responses to the onboarding client carry a decision and \
                       reason codes only."
    ),
    paths(
        health::healthz,
        health::readyz,
        health::openapi,
        auth::login,
        auth::logout,
        verifications::create,
        verifications::show,
        verifications::evidence,
        liveness::create,
        liveness::challenge,
        liveness::frames,
        consents::record,
        consents::show,
        consents::withdraw,
        cases::list,
        cases::show,
        cases::crop,
        cases::evidence,
        cases::assign,
        cases::decide,
        case_work::add_note,
        case_work::recapture,
        blocklist::add,
        blocklist::list,
        blocklist::remove,
        allowlist::add,
        allowlist::list,
        allowlist::remove,
        subjects::erase,
        subjects::residue,
        security::events,
        security::incident,
        audit::export,
        audit::verify,
        audit::checkpoint,
        health::metrics,
    ),
    components(schemas(super::ErrorBody, crate::store::cases::Sort)),
    modifiers(&AuthSchemes, &AbsentNotNull)
)]
pub(crate) struct ApiDoc;

/// The two ways to authenticate: `bearer` (a service key, or a staff session token) and the `fv_session` cookie.
struct AuthSchemes;

impl Modify for AuthSchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("fvk_ API key (service) or fvs_ session token (staff)"))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let cookie = ApiKeyValue::new(super::principal::SESSION_COOKIE);
        components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
        let capture = ApiKeyValue::with_description(
            "Authorization",
            "`Capture TOKEN`: the capture token of one liveness session (POST /v1/liveness/sessions)",
        );
        components.add_security_scheme("capture", SecurityScheme::ApiKey(ApiKey::Header(capture)));
    }
}

/// An optional request body (`Option<T>` in the annotation) may be left out, but is never JSON `null`: its schema is
/// `T`'s alone.
struct AbsentNotNull;

impl Modify for AbsentNotNull {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{Schema, Type};
        use utoipa::openapi::{RefOr, Required};
        let is_null =
            |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == Type::Null.into());
        for item in doc.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let Some(body) = operation.request_body.as_mut() else { continue };
                if body.required == Some(Required::True) {
                    continue;
                }
                for content in body.content.values_mut() {
                    if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema {
                        let mut rest = one_of.items.iter().filter(|s| !is_null(s));
                        if let (Some(only), None) = (rest.next(), rest.next()) {
                            content.schema = Some(only.clone());
                        }
                    }
                }
            }
        }
    }
}

/// The document as served, generated once.
pub(crate) fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        // Serialising plain maps and strings cannot fail; an empty document would show in every test.
        let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
        text.push('\n');
        text
    })
}

/// The parts of a verification request, the reference optional. (Documentation only: `form` reads them one by one.)
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct VerificationUpload {
    /// The applicant's selfie (JPEG, PNG or WebP).
    #[schema(value_type = String, format = Binary)]
    selfie: Vec<u8>,
    /// A photo of the applicant's identity document (ID card or passport data page). A photo that shows no
    /// document is answered with decision rejected and reason document_not_found.
    #[schema(value_type = String, format = Binary)]
    document: Vec<u8>,
    /// JSON {applicant_ref, purpose, consent_ref, iin?, birth_date?, reference_source?}: iin is a Kazakh IIN (12
    /// digits, valid check digit), birth_date is YYYY-MM-DD; both optional, compared with the document's
    /// machine-readable zone, never stored. reference_source (1-32 characters of a-z 0-9 _ -, e.g. gbd_fl, finid)
    /// names where the reference photo came from: required with a reference part (else invalid_reference_source),
    /// refused without one (missing_field); recorded with the verification
    #[schema(min_length = 1)]
    meta: String,
    /// Optional: the applicant's photo from the state database (ЦОИД / FinID) that the client's back end fetched.
    /// Given, the decision rests on the live face against it (no_match: reason reference_mismatch; an unusable
    /// reference: rejected, reference_no_face or reference_unusable); the document portrait is still compared with
    /// both, and a contradiction sends a match to review. Counts in the request size limit; never stored or searched
    #[schema(value_type = Option<String>, format = Binary)]
    reference: Option<Vec<u8>>,
}

/// One liveness attempt's frames. (Documentation only: `liveness` reads the parts one by one.)
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct FramesUpload {
    /// The frames in capture order, every part named `frame` (image/jpeg), its filename the capture time in
    /// milliseconds from the attempt's first frame (`0.jpg`, `104.jpg`, ...). The flash schedule starts with the
    /// first frame; the head movements follow it.
    #[schema(value_type = Vec<String>, format = Binary)]
    frame: Vec<Vec<u8>>,
}

/// The `X-Purpose` header every request about a person carries (policy §6).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub(crate) struct PurposeHeader {
    #[param(rename = "X-Purpose", inline)]
    purpose: crate::domain::Purpose,
}

/// The refusals every authenticated operation may answer: no valid credentials, or not allowed.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(crate) enum Refusals {
    #[response(status = 401, description = "error")]
    Unauthenticated(super::ErrorBody<'static>),
    #[response(status = 403, description = "error")]
    Forbidden(super::ErrorBody<'static>),
}

/// Which crop of a case.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum CropKind {
    Selfie,
    Document,
}

/// A PNG image.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct Png(Vec<u8>);

/// A ZIP file.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct Zip(Vec<u8>);

/// An evidence package as a download named `{stem}-evidence.zip`, never cached.
pub(crate) fn zip_response(stem: &str, zip: Vec<u8>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{stem}-evidence.zip\"")))
        .body(zip)
}
