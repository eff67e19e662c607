//! The OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! attributes and the wire types' schemas (`crate::wire`), served at
//! `/api/v1/openapi.json`. `the_openapi_document_is_the_snapshot` keeps a
//! reviewed copy (`src/snapshots/`); crates/tidy checks it lists exactly
//! the routes the router serves.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::wire::{
    AssignmentOut, CallerOut, DuplicateOut, ErrorBody, EventOut, FeedOut, ImportRefusedOut,
    IncidentOut, NewIncidentBody, TimerOut, UnitOut,
};

/// The document's derivation: every operation and schema.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "pingan dispatch API",
        version = "1",
        description = "Call intake and dispatch: incidents, two-way dispatch in the 1-3-5 minute response circle, units, jurisdictions, figures, EIDO interchange. Errors are JSON {code, message, field} with a stable code."
    ),
    servers((url = "/")),
    security(("bearer" = [])),
    modifiers(&Bearer, &Refusals),
    paths(
        crate::api::login,
        crate::api::logout,
        crate::api::me,
        crate::api::config,
        crate::api::create_incident,
        crate::api::list_incidents,
        crate::api::check_incident,
        crate::api::get_incident,
        crate::api::recommendation,
        crate::api::dispatch_units,
        crate::api::set_status,
        crate::api::merge,
        crate::api::release,
        crate::api::export_eido,
        crate::api::import_eido,
        crate::api::list_units,
        crate::api::get_unit,
        crate::api::put_unit,
        crate::terminal_api::unit_position,
        crate::terminal_api::unit_track,
        crate::terminal_api::owntracks,
        crate::terminal_api::osmand,
        crate::terminal_api::terminal_settings,
        crate::terminal_api::resend_order,
        crate::terminal_api::unit_messages,
        crate::terminal_api::message_unit,
        crate::terminal_api::message_station,
        crate::terminal_api::put_crew,
        crate::reports_api::file_report,
        crate::reports_api::list_reports,
        crate::reports_api::put_photo,
        crate::reports_api::get_photo,
        crate::api::unit_status,
        crate::api::unit_orders,
        crate::api::ack_order,
        crate::api::reassign,
        crate::api::reinforcement,
        crate::api::posts,
        crate::places_api::search,
        crate::places_api::reverse,
        crate::places_api::history,
        crate::places_api::incident_history,
        crate::people_api::search,
        crate::places_api::route,
        crate::places_api::import_addresses,
        crate::places_api::import_markers,
        crate::api::police_offices,
        crate::ledgers_api::create_office,
        crate::ledgers_api::update_office,
        crate::ledgers_api::list_ledgers,
        crate::ledgers_api::list_entries,
        crate::ledgers_api::create_entry,
        crate::ledgers_api::get_entry,
        crate::ledgers_api::update_entry,
        crate::ledgers_api::delete_entry,
        crate::ledgers_api::entry_action,
        crate::ledgers_api::import_entries,
        crate::ledgers_api::entry_matches,
        crate::ledgers_api::tasks,
        crate::ledgers_api::staffing,
        crate::assessment_api::table,
        crate::assessment_api::get_catalogue,
        crate::assessment_api::put_catalogue,
        crate::assessment_api::source,
        crate::api::police_office_coverage,
        crate::community_api::create_transfer,
        crate::community_api::list_transfers,
        crate::community_api::decide_transfer,
        crate::community_api::create_lead,
        crate::community_api::list_leads,
        crate::community_api::lead_feedback,
        crate::community_api::community_figures,
        crate::community_api::registers,
        crate::community_api::create_key_person,
        crate::community_api::list_key_persons,
        crate::community_api::get_key_person,
        crate::community_api::delete_key_person,
        crate::community_api::audit_log,
        crate::community_api::create_dispute,
        crate::community_api::list_disputes,
        crate::community_api::get_dispute,
        crate::community_api::dispute_action,
        crate::api::jurisdictions,
        crate::api::put_jurisdictions,
        crate::api::jurisdiction_at,
        crate::api::figures,
        crate::api::isochrones,
        crate::coverage_api::evaluate,
        crate::coverage_api::optimise,
        crate::analysis_api::hotspots,
        crate::analysis_api::near_repeat,
        crate::analysis_api::trends,
        crate::analysis_api::forecast,
        crate::analysis_api::briefing,
        crate::api::users,
        crate::api::create_user,
        crate::api::revoke_user,
        crate::feed::feed,
        crate::api::openapi_json,
        crate::api::metrics,
        crate::api::healthz,
        crate::api::road_tile,
        crate::api::glyph_range
    ),
    components(schemas(
        ErrorBody, NewIncidentBody, IncidentOut, CallerOut, TimerOut, AssignmentOut, DuplicateOut,
        UnitOut, EventOut, FeedOut, ImportRefusedOut
    ))
)]
pub struct ApiDoc;

/// Session tokens: `Authorization: Bearer <token>`.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation can be refused: `4XX` with the error envelope.
struct Refusals;

impl Modify for Refusals {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let refused = ResponseBuilder::new()
            .description("Refused: the error envelope; `code` says why (see the README's table)")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("4XX".into())
                    .or_insert_with(|| refused.clone().into());
            }
        }
    }
}

/// The document as JSON text (built once).
pub fn document() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the document serialises")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_is_the_snapshot() {
        let doc: serde_json::Value = serde_json::from_str(super::document()).unwrap();
        insta::assert_json_snapshot!("openapi", doc);
    }
}
