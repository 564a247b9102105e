//! Mechanical OpenAPI 3.1 → 3.0.3 conversion of the document utoipa writes, so that
//! progenitor (which reads 3.0 through the `openapiv3` crate) can generate the client.
//!
//! Pure functions over `serde_json::Value`; build.rs includes this file with `#[path]`, and its
//! table tests (`downgrade_tests.rs`) run with the crate's tests. Any 3.1 construct without a
//! known 3.0 equivalent is an error naming the construct and where it is, never a silent
//! approximation.

use serde_json::{Map, Value};

/// Keys a 3.0 schema object may carry (besides `type`, `nullable` and the subschema keys, which
/// are converted one by one).
const SCHEMA_KEYS: &[&str] = &[
    "title",
    "description",
    "format",
    "default",
    "example",
    "enum",
    "required",
    "multipleOf",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "readOnly",
    "writeOnly",
    "deprecated",
    "discriminator",
    "externalDocs",
    "xml",
];

const OPERATIONS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Converts a whole 3.1 document to 3.0.3.
pub fn downgrade(mut doc: Value) -> Result<Value, String> {
    let root = as_object(&mut doc, "the document")?;
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.1.") => {}
        other => {
            return Err(format!(
                "expected an `openapi: 3.1.x` document, found {other:?}"
            ))
        }
    }
    root.insert("openapi".into(), Value::from("3.0.3"));
    for key in ["webhooks", "jsonSchemaDialect"] {
        if root.contains_key(key) {
            return Err(format!("3.1-only top-level `{key}` has no 3.0 form"));
        }
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        // 3.1 additions to `info` that carry no meaning for a client.
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            path_item(item, path)?;
        }
    }
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        if components.contains_key("pathItems") {
            return Err("3.1-only `components.pathItems` has no 3.0 form".into());
        }
        for (kind, f) in [
            ("schemas", schema as Walk),
            ("parameters", parameter),
            ("headers", header),
            ("responses", response),
            ("requestBodies", request_body),
        ] {
            if let Some(map) = components.get_mut(kind).and_then(Value::as_object_mut) {
                for (name, v) in map.iter_mut() {
                    f(v, &format!("components.{kind}.{name}"))?;
                }
            }
        }
    }
    Ok(doc)
}

/// The one adaptation that is not a 3.1 → 3.0 rule: progenitor only decodes responses whose
/// media type is `application/json`; any other one (RFC 9457's `application/problem+json`)
/// becomes an untyped byte stream. A response whose only media type is a `+json` one is listed
/// as `application/json` so its schema (`Problem`) types the error. The body on the wire is JSON
/// either way; only the name of the media type changes.
pub fn json_media_types(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for op in OPERATIONS {
            let responses = item
                .get_mut(*op)
                .and_then(|o| o.get_mut("responses"))
                .and_then(Value::as_object_mut);
            for resp in responses.into_iter().flat_map(|r| r.values_mut()) {
                let Some(content) = resp.get_mut("content").and_then(Value::as_object_mut) else {
                    continue;
                };
                if content.len() == 1 {
                    if let Some(key) = content.keys().find(|k| k.ends_with("+json")).cloned() {
                        if let Some(media) = content.remove(&key) {
                            content.insert("application/json".into(), media);
                        }
                    }
                }
            }
        }
    }
}

type Walk = fn(&mut Value, &str) -> Result<(), String>;

fn as_object<'a>(v: &'a mut Value, at: &str) -> Result<&'a mut Map<String, Value>, String> {
    v.as_object_mut()
        .ok_or_else(|| format!("{at}: expected an object"))
}

fn path_item(item: &mut Value, at: &str) -> Result<(), String> {
    let item = as_object(item, at)?;
    if let Some(params) = item.get_mut("parameters").and_then(Value::as_array_mut) {
        for (i, p) in params.iter_mut().enumerate() {
            parameter(p, &format!("{at}.parameters[{i}]"))?;
        }
    }
    for op in OPERATIONS {
        if let Some(o) = item.get_mut(*op) {
            operation(o, &format!("{at}.{op}"))?;
        }
    }
    Ok(())
}

fn operation(op: &mut Value, at: &str) -> Result<(), String> {
    let op = as_object(op, at)?;
    if op.contains_key("callbacks") {
        return Err(format!("{at}: `callbacks` are not converted"));
    }
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for (i, p) in params.iter_mut().enumerate() {
            parameter(p, &format!("{at}.parameters[{i}]"))?;
        }
    }
    if let Some(body) = op.get_mut("requestBody") {
        request_body(body, &format!("{at}.requestBody"))?;
    }
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        for (code, r) in responses.iter_mut() {
            response(r, &format!("{at}.responses.{code}"))?;
        }
    }
    Ok(())
}

/// A response header: it holds a `schema`.
fn header(h: &mut Value, at: &str) -> Result<(), String> {
    match h.get_mut("schema") {
        Some(s) => schema(s, &format!("{at}.schema")),
        None => Ok(()),
    }
}

/// A query, header, path or cookie parameter. A parameter has no way to carry `null` on the
/// wire: utoipa's `null` in an optional one (from an `Option` field) means "absent", which
/// `required: false` already says, so it is dropped (progenitor otherwise types the value
/// `Option<Option<T>>` and cannot send such a header). A required parameter that may be `null`
/// is refused.
fn parameter(p: &mut Value, at: &str) -> Result<(), String> {
    let required = p.get("required").and_then(Value::as_bool) == Some(true);
    let Some(s) = p.get_mut("schema") else {
        return Ok(());
    };
    schema(s, &format!("{at}.schema"))?;
    if let Some(s) = s.as_object_mut() {
        if s.remove("nullable").is_some() && required {
            return Err(format!(
                "{at}: a required parameter whose schema allows `null`"
            ));
        }
    }
    Ok(())
}

fn request_body(b: &mut Value, at: &str) -> Result<(), String> {
    content(b, at)
}

fn response(r: &mut Value, at: &str) -> Result<(), String> {
    if let Some(headers) = r.get_mut("headers").and_then(Value::as_object_mut) {
        for (name, h) in headers.iter_mut() {
            header(h, &format!("{at}.headers.{name}"))?;
        }
    }
    content(r, at)
}

fn content(holder: &mut Value, at: &str) -> Result<(), String> {
    if let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) {
        for (mt, media) in content.iter_mut() {
            if let Some(s) = media.get_mut("schema") {
                schema(s, &format!("{at}.content.{mt}.schema"))?;
            }
        }
    }
    Ok(())
}

fn is_null_schema(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.len() == 1 && o.get("type").and_then(Value::as_str) == Some("null"))
}

/// Converts one schema object and, recursively, its subschemas.
pub fn schema(v: &mut Value, at: &str) -> Result<(), String> {
    let s = as_object(v, at)?;
    if let Some(r) = s.get("$ref") {
        if !r.is_string() {
            return Err(format!("{at}: `$ref` is not a string"));
        }
        // 3.1 allows annotations next to `$ref`; 3.0 ignores them, which loses nothing.
        if let Some(k) = s
            .keys()
            .find(|k| !matches!(k.as_str(), "$ref" | "description" | "summary"))
        {
            return Err(format!("{at}: `{k}` next to `$ref` is not converted"));
        }
        return Ok(());
    }
    // `type: [X, 'null']` → `type: X, nullable: true`.
    if let Some(Value::Array(types)) = s.get("type") {
        let mut kept: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        let nullable = kept.len() < types.len();
        if kept.len() != 1 {
            return Err(format!(
                "{at}: `type: {}` has no 3.0 form",
                Value::Array(types.clone())
            ));
        }
        s.insert("type".into(), kept.remove(0));
        if nullable {
            s.insert("nullable".into(), Value::Bool(true));
        }
    }
    if s.get("type").and_then(Value::as_str) == Some("null") {
        return Err(format!("{at}: a lone `type: 'null'` has no 3.0 form"));
    }
    // `oneOf`/`anyOf` with a `{type: 'null'}` member → the other members, `nullable: true`.
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(members)) = s.get(key) else {
            continue;
        };
        if !members.iter().any(is_null_schema) {
            continue;
        }
        let mut rest: Vec<Value> = members
            .iter()
            .filter(|m| !is_null_schema(m))
            .cloned()
            .collect();
        s.remove(key);
        s.insert("nullable".into(), Value::Bool(true));
        match rest.len() {
            0 => {
                return Err(format!(
                    "{at}: `{key}` of only `type: 'null'` has no 3.0 form"
                ))
            }
            1 => {
                let mut only = rest.remove(0);
                // Annotations of the member (utoipa puts the field's doc there) move up.
                if let Some(d) = only.as_object_mut().and_then(|o| o.remove("description")) {
                    s.entry("description").or_insert(d);
                }
                s.insert("allOf".into(), Value::Array(vec![only]));
            }
            _ => {
                s.insert(key.into(), Value::Array(rest));
            }
        }
    }
    // 3.1's numeric `exclusiveMinimum`/`exclusiveMaximum` → the 3.0 boolean form.
    for (excl, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(n) = s.get(excl).filter(|n| n.is_number()).cloned() {
            if s.contains_key(bound) {
                return Err(format!("{at}: both `{bound}` and a numeric `{excl}`"));
            }
            s.insert(bound.into(), n);
            s.insert(excl.into(), Value::Bool(true));
        }
    }
    if let Some(c) = s.remove("const") {
        s.insert("enum".into(), Value::Array(vec![c]));
    }
    if let Some(Value::Array(mut ex)) = s.remove("examples") {
        if !ex.is_empty() {
            s.entry("example").or_insert(ex.remove(0));
        }
    }
    for (k, sub) in s.iter_mut() {
        let here = format!("{at}.{k}");
        match k.as_str() {
            "type" | "nullable" => {}
            "allOf" | "oneOf" | "anyOf" => {
                let list = sub
                    .as_array_mut()
                    .ok_or_else(|| format!("{here}: expected a list"))?;
                for (i, m) in list.iter_mut().enumerate() {
                    schema(m, &format!("{here}[{i}]"))?;
                }
            }
            "not" => schema(sub, &here)?,
            "items" if sub.is_object() => schema(sub, &here)?,
            "additionalProperties" if sub.is_object() => schema(sub, &here)?,
            "additionalProperties" if sub.is_boolean() => {}
            "properties" => {
                let props = as_object(sub, &here)?;
                for (name, p) in props.iter_mut() {
                    schema(p, &format!("{here}.{name}"))?;
                }
            }
            k if SCHEMA_KEYS.contains(&k) || k.starts_with("x-") => {}
            k => return Err(format!("{at}: 3.1 schema keyword `{k}` is not converted")),
        }
    }
    Ok(())
}
