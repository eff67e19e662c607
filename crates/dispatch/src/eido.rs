//! Interchange with other dispatch systems as a NENA Emergency Incident Data
//! Object (EIDO, NENA-STA-021) in its JSON form: an incident component, call
//! and person components for every caller, a location component (civic
//! address text and a WGS 84 point), emergency-resource components for the
//! units sent, an agency component and the timeline as notes.
//!
//! Import reads what pingan exports and the same fields from other senders;
//! unknown components are ignored, missing required ones are named.

use serde_json::{Value, json};

use crate::DispatchError;
use crate::model::{Caller, Event, Incident, IncidentStatus, Location, LocationSource, Place};
use crate::time::{format_rfc3339, parse_rfc3339};

/// EIDO status registry codes for pingan statuses.
fn status_code(s: IncidentStatus) -> &'static str {
    match s {
        IncidentStatus::Received => "Incident.Received",
        IncidentStatus::Dispatched => "Incident.Dispatched",
        IncidentStatus::EnRoute => "Incident.EnRoute",
        IncidentStatus::OnScene => "Incident.OnScene",
        IncidentStatus::Controlled => "Incident.Controlled",
        IncidentStatus::Closed => "Incident.Closed",
        IncidentStatus::Cancelled => "Incident.Cancelled",
        IncidentStatus::Merged => "Incident.Merged",
    }
}

/// The tracking identifier of a pingan incident.
pub fn tracking_id(agency: &str, id: i64) -> String {
    format!("urn:emergency:uid:incidentid:{id}:{agency}.pingan")
}

/// Writes `incident` and its timeline as an EIDO document.
pub fn export(
    agency: &str,
    agency_name: &str,
    incident: &Incident,
    timeline: &[Event],
    now: i64,
) -> Value {
    let ts = format_rfc3339;
    let persons: Vec<Value> = incident
        .callers
        .iter()
        .enumerate()
        .map(|(n, c)| {
            json!({
                "$id": format!("person-{n}"),
                "personNameText": c.name,
                "contactInformation": {"contactPhoneNumber": c.phone},
                "personRoleCommonRegistryText": ["Caller"],
            })
        })
        .collect();
    let calls: Vec<Value> = incident
        .callers
        .iter()
        .enumerate()
        .map(|(n, c)| {
            json!({
                "$id": format!("call-{n}"),
                "callTrackingIdentifier": format!("urn:emergency:uid:callid:{}-{n}:{agency}.pingan", incident.id),
                "callStartTimeStamp": ts(c.at),
                "callTypeDescription": "110",
                "callerReference": [{"$ref": format!("#person-{n}")}],
            })
        })
        .collect();
    let resources: Vec<Value> = incident
        .assignments
        .iter()
        .enumerate()
        .map(|(n, a)| {
            json!({
                "$id": format!("resource-{n}"),
                "emergencyResourceIdentifier": a.unit_id,
                "resourceDispatchTimeStamp": ts(a.at),
                "resourceReleaseTimeStamp": a.released_at.map(ts),
                "estimatedTimeOfArrivalSeconds": a.eta_s,
            })
        })
        .collect();
    let mut notes: Vec<Value> = vec![];
    for (s, at) in std::iter::once((IncidentStatus::Received, incident.created_at))
        .chain(incident.reached.iter().copied())
    {
        notes.push(json!({"$id": format!("status-{}", s.as_str()), "noteDateTimeStamp": ts(at), "noteText": format!("status:{}", s.as_str()), "noteAuthor": "pingan"}));
    }
    if let Some(d) = &incident.description {
        notes.push(json!({"$id": "description", "noteDateTimeStamp": ts(incident.created_at), "noteText": d, "noteAuthor": "call taker"}));
    }
    for e in timeline {
        notes.push(json!({"$id": format!("event-{}", e.seq), "noteDateTimeStamp": ts(e.at), "noteText": format!("event:{}", e.name()), "noteAuthor": e.actor}));
    }
    json!({
        "$schema": "https://raw.githubusercontent.com/NENA911/EIDO-JSON/main/Schema/EIDO.schema.json",
        "$id": format!("eido-{}-{}", incident.id, now),
        "eidoMessageIdentifier": format!("urn:emergency:uid:eidoid:{}-{now}:{agency}.pingan", incident.id),
        "lastUpdateTimeStamp": ts(now),
        "sendingSystemIdentifier": format!("urn:pingan:{agency}"),
        "incidentComponent": [{
            "$id": "incident",
            "incidentTrackingIdentifier": tracking_id(agency, incident.id),
            "localIncidentIdentifier": incident.id.to_string(),
            "lastUpdateTimeStamp": ts(now),
            "incidentTypeInternalCode": incident.kind,
            "incidentTypeCommonRegistryText": [incident.kind],
            "incidentCommonPriorityNumber": incident.priority,
            "incidentStatusCommonRegistryCode": [status_code(incident.status)],
            "incidentCreationTimeStamp": ts(incident.created_at),
            "locationReference": [{"$ref": "#location"}],
            "callReference": (0..incident.callers.len()).map(|n| json!({"$ref": format!("#call-{n}")})).collect::<Vec<_>>(),
            "emergencyResourceReference": (0..incident.assignments.len()).map(|n| json!({"$ref": format!("#resource-{n}")})).collect::<Vec<_>>(),
            "jurisdictionText": [incident.place.bureau_id, incident.place.station_id, incident.place.community_id, incident.place.grid_id],
        }],
        "callComponent": calls,
        "personComponent": persons,
        "locationComponent": [{
            "$id": "location",
            "locationByValue": {
                "civicAddressText": incident.address,
                "geo": {"type": "Point", "crs": "urn:ogc:def:crs:EPSG::4326", "pos": format!("{} {}", incident.lat, incident.lon)},
            },
        }],
        "emergencyResourceComponent": resources,
        "agencyComponent": [{"$id": "agency", "agencyIdentifier": format!("urn:pingan:{agency}"), "agencyName": agency_name}],
        "notesComponent": notes,
    })
}

fn field<'a>(v: &'a Value, path: &str) -> Result<&'a Value, DispatchError> {
    let mut cur = v;
    for part in path.split('.') {
        cur = match part.parse::<usize>() {
            Ok(n) => cur.get(n),
            Err(_) => cur.get(part),
        }
        .ok_or_else(|| DispatchError::invalid(path.to_string(), "missing"))?;
    }
    Ok(cur)
}

fn text(v: &Value, path: &str) -> Result<String, DispatchError> {
    field(v, path)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| DispatchError::invalid(path.to_string(), "expected a string"))
}

fn time(v: &Value, path: &str) -> Result<i64, DispatchError> {
    let s = text(v, path)?;
    parse_rfc3339(&s).ok_or_else(|| {
        DispatchError::invalid(
            path.to_string(),
            format!("expected an RFC 3339 time stamp, got {s:?}"),
        )
    })
}

/// Reads an EIDO document into an incident (id 0 and no place: the engine assigns them).
pub fn import(doc: &Value) -> Result<(Incident, String), DispatchError> {
    let inc = field(doc, "incidentComponent.0")?;
    let kind = text(inc, "incidentTypeInternalCode")
        .or_else(|_| text(inc, "incidentTypeCommonRegistryText.0"))
        .map_err(|_| {
            DispatchError::invalid(
                "incidentComponent[0].incidentTypeInternalCode",
                "missing: the incident kind",
            )
        })?;
    let priority = field(inc, "incidentCommonPriorityNumber")
        .ok()
        .and_then(Value::as_u64)
        .unwrap_or(3)
        .clamp(1, 4) as u8;
    let loc = field(doc, "locationComponent.0.locationByValue")
        .map_err(|_| DispatchError::invalid("locationComponent[0].locationByValue", "missing"))?;
    let pos = text(loc, "geo.pos").map_err(|_| {
        DispatchError::invalid(
            "locationComponent[0].locationByValue.geo.pos",
            "expected \"lat lon\"",
        )
    })?;
    let mut it = pos.split_whitespace().map(str::parse::<f64>);
    let (Some(Ok(lat)), Some(Ok(lon)), None) = (it.next(), it.next(), it.next()) else {
        return Err(DispatchError::invalid(
            "locationComponent[0].locationByValue.geo.pos",
            format!("expected \"lat lon\", got {pos:?}"),
        ));
    };
    let address = loc
        .get("civicAddressText")
        .and_then(Value::as_str)
        .map(str::to_string);
    let status = field(inc, "incidentStatusCommonRegistryCode.0")
        .ok()
        .and_then(Value::as_str)
        .and_then(|c| {
            IncidentStatus::ALL
                .into_iter()
                .find(|s| status_code(*s) == c)
        })
        .unwrap_or(IncidentStatus::Received);
    let empty = vec![];
    let persons = doc
        .get("personComponent")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let calls = doc
        .get("callComponent")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut callers = Vec::new();
    for (n, call) in calls.iter().enumerate() {
        let at = time(call, "callStartTimeStamp").map_err(|e| {
            DispatchError::invalid(
                format!("callComponent[{n}].callStartTimeStamp"),
                e.to_string(),
            )
        })?;
        let person_ref = call
            .pointer("/callerReference/0/$ref")
            .and_then(Value::as_str)
            .map(|r| r.trim_start_matches('#'));
        let person = persons
            .iter()
            .find(|p| p.get("$id").and_then(Value::as_str) == person_ref);
        callers.push(Caller {
            name: person
                .and_then(|p| p.get("personNameText"))
                .and_then(Value::as_str)
                .map(str::to_string),
            phone: person
                .and_then(|p| p.pointer("/contactInformation/contactPhoneNumber"))
                .and_then(Value::as_str)
                .map(str::to_string),
            at,
        });
    }
    let created_at = time(inc, "incidentCreationTimeStamp")
        .ok()
        .or_else(|| callers.iter().map(|c| c.at).min())
        .ok_or_else(|| {
            DispatchError::invalid(
                "incidentComponent[0].incidentCreationTimeStamp",
                "missing, and no call start time either",
            )
        })?;
    let mut reached = Vec::new();
    let mut description = None;
    for note in doc
        .get("notesComponent")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
    {
        let t = note
            .get("noteText")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let at = note
            .get("noteDateTimeStamp")
            .and_then(Value::as_str)
            .and_then(parse_rfc3339);
        if let (Some(s), Some(at)) = (
            t.strip_prefix("status:").and_then(IncidentStatus::parse),
            at,
        ) {
            if s != IncidentStatus::Received {
                reached.push((s, at));
            }
        } else if note.get("$id").and_then(Value::as_str) == Some("description") {
            description = Some(t.to_string());
        }
    }
    let sender = doc
        .get("sendingSystemIdentifier")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    let incident = Incident {
        id: 0,
        kind,
        priority,
        status,
        lat,
        lon,
        address,
        callers,
        place: Place::default(),
        created_at,
        reached,
        assignments: vec![],
        merged_into: None,
        merged_from: vec![],
        possible_duplicates: vec![],
        overdue: vec![],
        reinforcement_waiting: vec![],
        description,
        location: Some(Location {
            verified: true,
            source: LocationSource::Eido,
            datum: "wgs84".into(),
            ..Location::default()
        }),
    };
    Ok((incident, sender))
}
