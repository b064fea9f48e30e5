//! The desktop's mirror of the admin API (`admin::model`) agrees with docs/openapi.json, the
//! document the portal serves: every shape the schema allows (each `oneOf` branch, with only
//! the required fields and with all of them) deserialises into the desktop's type, and what
//! the desktop writes back validates against the schema.
//!
//! The schema checker below covers what the portal's document uses (`$ref`, `type`, `enum`,
//! `required`, `properties`, `additionalProperties`, `items`, `oneOf`, `allOf`, `minimum`);
//! a keyword it does not know fails the test instead of passing silently.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};
use twofold_desktop::admin::model::*;

const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("docs/openapi.json is JSON")
}

fn component(doc: &Value, name: &str) -> Value {
    doc["components"]["schemas"]
        .get(name)
        .unwrap_or_else(|| panic!("docs/openapi.json has no schema {name}"))
        .clone()
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").expect("local $ref");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

const KNOWN: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "propertyNames",
    "items",
    "oneOf",
    "allOf",
    "minimum",
    "maxLength",
    "format",
    "description",
    "default",
];

/// Why `value` does not match `schema`, if it does not. Objects are strict (a field the
/// schema does not name is an error, so a renamed field shows) except inside an `allOf`,
/// whose parts each name only some of the fields.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    check_in(doc, schema, value, at, false)
}

fn check_in(
    doc: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    open: bool,
) -> Result<(), String> {
    let schema = resolve(doc, schema);
    for key in schema.as_object().into_iter().flat_map(|o| o.keys()) {
        assert!(KNOWN.contains(&key.as_str()), "the checker does not know {key:?} ({at})");
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check_in(doc, part, value, at, true)?;
        }
    }
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let matching =
            branches.iter().filter(|b| check_in(doc, b, value, at, open).is_ok()).count();
        if matching != 1 {
            return Err(format!("{at}: {value} matches {matching} branches of oneOf"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("bad type at {at}"),
        };
        let ok = types.iter().any(|t| match *t {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            other => panic!("unknown type {other} at {at}"),
        });
        if !ok {
            return Err(format!("{at}: {value} is not {types:?}"));
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64()) {
        if n < min {
            return Err(format!("{at}: {n} < minimum {min}"));
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: required field {name} is missing in {value}"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, field) in object {
            match (properties.and_then(|p| p.get(name)), schema.get("additionalProperties")) {
                (Some(s), _) | (None, Some(s @ Value::Object(_))) => {
                    check(doc, s, field, &format!("{at}.{name}"))?
                }
                (None, _) if !open && properties.is_some() && schema.get("allOf").is_none() => {
                    return Err(format!("{at}: field {name} is not in the schema"));
                }
                _ => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(doc, items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Values covering every branch of `schema`: each `oneOf` branch and enum value at least
/// once; objects with all fields (`full`) or with the required ones only.
fn instances(doc: &Value, schema: &Value, full: bool) -> Vec<Value> {
    let schema = resolve(doc, schema);
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        return branches.iter().flat_map(|b| instances(doc, b, full)).collect();
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let each: Vec<Vec<Value>> = parts.iter().map(|p| instances(doc, p, full)).collect();
        let n = each.iter().map(Vec::len).max().unwrap_or(0);
        return (0..n)
            .map(|i| {
                let mut merged = Map::new();
                for part in &each {
                    merged.extend(part[i % part.len()].as_object().unwrap().clone());
                }
                Value::Object(merged)
            })
            .collect();
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.clone();
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec!["object"],
    };
    let kind = types.iter().copied().find(|t| *t != "null").unwrap_or("null");
    match kind {
        "string" => vec![json!("alice")],
        "integer" => vec![json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(0) + 3)],
        "boolean" => vec![json!(true), json!(false)],
        "null" => vec![Value::Null],
        "array" => {
            let items = instances(doc, &schema["items"], full);
            vec![Value::Array(items)]
        }
        "object" => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut fields: Vec<(String, Vec<Value>)> = Vec::new();
            for (name, field) in
                schema.get("properties").and_then(Value::as_object).into_iter().flatten()
            {
                if full || required.contains(&name.as_str()) {
                    fields.push((name.clone(), instances(doc, field, full)));
                }
            }
            if let Some(extra @ Value::Object(_)) = schema.get("additionalProperties") {
                fields.push(("key".into(), instances(doc, extra, full)));
            }
            let n = fields.iter().map(|(_, v)| v.len()).max().unwrap_or(1);
            (0..n)
                .map(|i| {
                    Value::Object(
                        fields.iter().map(|(k, v)| (k.clone(), v[i % v.len()].clone())).collect(),
                    )
                })
                .collect()
        }
        other => panic!("unknown type {other}"),
    }
}

/// Every shape of component `name` reads into `T`, and `T` writes it back as the schema
/// allows.
fn mirrors<T: DeserializeOwned + Serialize>(name: &str) -> usize {
    let doc = document();
    let schema = component(&doc, name);
    let mut count = 0;
    for full in [false, true] {
        for value in instances(&doc, &schema, full) {
            check(&doc, &schema, &value, name)
                .unwrap_or_else(|e| panic!("the generator made a value the schema refuses: {e}"));
            let read: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| {
                panic!("the desktop cannot read this {name} the portal may send: {value}: {e}")
            });
            let written = serde_json::to_value(&read).unwrap();
            check(&doc, &schema, &written, name)
                .unwrap_or_else(|e| panic!("the desktop writes a {name} the schema refuses: {e}"));
            count += 1;
        }
    }
    count
}

#[test]
fn the_status_bar_types_read_every_status_and_license_the_schema_allows() {
    assert!(mirrors::<Status>("Status") >= 5, "one per license status at least");
    assert!(mirrors::<LicenseStatus>("LicenseStatus") >= 10);
    mirrors::<LicenseReport>("LicenseReport");
    mirrors::<Counts>("Counts");
}

#[test]
fn the_list_types_read_every_entry_the_schema_allows() {
    mirrors::<DirectoryPage>("DirectoryPage");
    mirrors::<DirectoryEntry>("DirectoryEntry");
    mirrors::<PrincipalEntry>("PrincipalEntry");
    mirrors::<CoveredUser>("CoveredUser");
    mirrors::<AuditEntry>("AuditEntry");
    assert_eq!(mirrors::<EnrollmentState>("EnrollmentState"), 6);
    mirrors::<PrincipalKind>("PrincipalKind");
    mirrors::<DeletedUser>("RemovedUser");
}

#[test]
fn the_principals_the_desktop_sends_are_the_bodies_the_schema_takes() {
    let doc = document();
    mirrors::<Principal>("Principal");
    let body = json!({ "principals": [Principal::User("alice".into()), Principal::Group("sales".into())] });
    check(&doc, &component(&doc, "PrincipalsBody"), &body, "PrincipalsBody").unwrap();
}

#[test]
fn the_checker_refuses_a_renamed_or_mistyped_field() {
    // Guards the test itself: a checker that accepts everything would prove nothing.
    let doc = document();
    let schema = component(&doc, "CoveredUser");
    let good = json!({"username": "a", "state": "active", "locked": false, "failures": 0});
    check(&doc, &schema, &good, "CoveredUser").unwrap();
    let renamed = json!({"user": "a", "state": "active", "locked": false, "failures": 0});
    assert!(check(&doc, &schema, &renamed, "CoveredUser").is_err());
    let mistyped = json!({"username": "a", "state": "gone", "locked": false, "failures": 0});
    assert!(check(&doc, &schema, &mistyped, "CoveredUser").is_err());
}
