//! Table tests of `downgrade.rs` (kept apart: build.rs includes that file on its own).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::downgrade::*;
use serde_json::json;

/// (input schema, expected 3.0 schema)
#[test]
fn schema_rules() {
    let r = json!({"$ref": "#/components/schemas/T"});
    let cases = [
        (
            json!({"type": ["string", "null"]}),
            json!({"type": "string", "nullable": true}),
        ),
        (json!({"type": ["integer"]}), json!({"type": "integer"})),
        (json!({"type": "string"}), json!({"type": "string"})),
        (
            json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/T", "description": "d"}]}),
            json!({"allOf": [r], "nullable": true, "description": "d"}),
        ),
        (
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
            json!({"allOf": [{"type": "string"}], "nullable": true}),
        ),
        (
            json!({"oneOf": [{"type": "null"}, {"type": "string"}, {"type": "integer"}]}),
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": true}),
        ),
        (
            json!({"type": "array", "items": {"type": ["number", "null"]}}),
            json!({"type": "array", "items": {"type": "number", "nullable": true}}),
        ),
        (
            json!({"type": "object", "properties": {"type": {"type": "string"}, "n": {"type": ["integer", "null"], "minimum": 0}}}),
            json!({"type": "object", "properties": {"type": {"type": "string"}, "n": {"type": "integer", "nullable": true, "minimum": 0}}}),
        ),
        (
            json!({"type": "object", "additionalProperties": {"type": ["string", "null"]}}),
            json!({"type": "object", "additionalProperties": {"type": "string", "nullable": true}}),
        ),
        (
            json!({"type": "integer", "exclusiveMinimum": 0}),
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true}),
        ),
        (
            json!({"type": "string", "const": "a"}),
            json!({"type": "string", "enum": ["a"]}),
        ),
        (
            json!({"type": "string", "examples": ["a", "b"]}),
            json!({"type": "string", "example": "a"}),
        ),
        (
            json!({"$ref": "#/components/schemas/T", "description": "d"}),
            json!({"$ref": "#/components/schemas/T", "description": "d"}),
        ),
    ];
    for (mut input, want) in cases {
        let shown = input.to_string();
        schema(&mut input, "s").unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(input, want, "{shown}");
    }
}

/// (input schema, words the error must contain)
#[test]
fn unknown_constructs_fail_loudly() {
    let cases = [
        (json!({"type": ["string", "integer"]}), "has no 3.0 form"),
        (json!({"type": "null"}), "lone `type: 'null'`"),
        (json!({"oneOf": [{"type": "null"}]}), "only `type: 'null'`"),
        (
            json!({"type": "array", "prefixItems": [{"type": "string"}]}),
            "`prefixItems`",
        ),
        (
            json!({"type": "object", "properties": {"a": {"$defs": {}}}}),
            "s.properties.a: 3.1 schema keyword `$defs`",
        ),
        (
            json!({"type": "string", "contentMediaType": "x"}),
            "`contentMediaType`",
        ),
        (json!({"if": {}, "then": {}}), "`if`"),
        (
            json!({"$ref": "#/x", "nullable": true}),
            "`nullable` next to `$ref`",
        ),
        (
            json!({"minimum": 1, "exclusiveMinimum": 2}),
            "both `minimum`",
        ),
    ];
    for (mut input, want) in cases {
        let err = schema(&mut input, "s").expect_err(&input.to_string());
        assert!(err.contains(want), "{err} lacks {want}");
    }
}

#[test]
fn document_rules() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1", "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "paths": {"/a": {"get": {
            "parameters": [{"name": "h", "in": "header", "schema": {"type": ["string", "null"]}}],
            "responses": {"200": {"description": "ok",
                "headers": {"ETag": {"schema": {"type": ["string", "null"]}}},
                "content": {"application/problem+json": {"schema": {"type": ["string", "null"]}}}}}
        }}},
        "components": {"schemas": {"T": {"type": ["boolean", "null"]}}}
    });
    let mut out = downgrade(doc).unwrap();
    assert_eq!(out["openapi"], "3.0.3");
    assert_eq!(out["info"]["license"], json!({"name": "Apache-2.0"}));
    let nullable_string = json!({"type": "string", "nullable": true});
    let get = &out["paths"]["/a"]["get"];
    assert_eq!(get["parameters"][0]["schema"], json!({"type": "string"}));
    assert_eq!(
        get["responses"]["200"]["headers"]["ETag"]["schema"],
        nullable_string
    );
    assert_eq!(
        get["responses"]["200"]["content"]["application/problem+json"]["schema"],
        nullable_string
    );
    assert_eq!(
        out["components"]["schemas"]["T"],
        json!({"type": "boolean", "nullable": true})
    );
    json_media_types(&mut out);
    let content = &out["paths"]["/a"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        content,
        &json!({"application/json": {"schema": nullable_string}})
    );
}

#[test]
fn document_refusals() {
    let cases = [
        (json!({"openapi": "3.0.3"}), "expected an `openapi: 3.1.x`"),
        (json!({"openapi": "3.1.0", "webhooks": {}}), "`webhooks`"),
        (
            json!({"openapi": "3.1.0", "components": {"pathItems": {}}}),
            "`components.pathItems`",
        ),
        (
            json!({"openapi": "3.1.0", "paths": {"/a": {"get": {"parameters": [
                {"name": "q", "in": "query", "required": true, "schema": {"type": ["string", "null"]}}
            ]}}}}),
            "/a.get.parameters[0]: a required parameter whose schema allows `null`",
        ),
        (
            json!({"openapi": "3.1.0", "paths": {"/a": {"post": {"callbacks": {}}}}}),
            "/a.post: `callbacks`",
        ),
        (
            json!({"openapi": "3.1.0", "components": {"schemas": {"T": {"const": 1, "unevaluatedProperties": false}}}}),
            "components.schemas.T: 3.1 schema keyword `unevaluatedProperties`",
        ),
    ];
    for (doc, want) in cases {
        let err = downgrade(doc.clone()).expect_err(&doc.to_string());
        assert!(err.contains(want), "{err} lacks {want}");
    }
}
