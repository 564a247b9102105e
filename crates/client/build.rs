//! Generates the client from the committed `openapi.yaml`: downgrade 3.1 → 3.0.3 (progenitor
//! reads only 3.0), then progenitor writes `$OUT_DIR/codegen.rs`, which `src/lib.rs` includes.

#[path = "src/downgrade.rs"]
mod downgrade;

use std::{env, fs, path::PathBuf, process::ExitCode};

const SPEC: &str = "../../openapi.yaml";

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=src/downgrade.rs");
    match generate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Shown by cargo as the build script's failure.
            eprintln!("error: generating the client from {SPEC}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate() -> Result<(), String> {
    let text = fs::read_to_string(SPEC).map_err(|e| format!("reading it: {e}"))?;
    let doc: serde_json::Value =
        serde_norway::from_str(&text).map_err(|e| format!("parsing it: {e}"))?;
    let mut doc = downgrade::downgrade(doc)?;
    downgrade::json_media_types(&mut doc);
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc)
        .map_err(|e| format!("the downgraded document is not OpenAPI 3.0: {e}"))?;

    let mut settings = progenitor::GenerationSettings::default();
    settings.with_interface(progenitor::InterfaceStyle::Builder);
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor: {e}"))?;
    let file = syn::parse2(tokens).map_err(|e| format!("progenitor's output: {e}"))?;
    let code = prettyplease::unparse(&file);

    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    fs::write(out.join("codegen.rs"), code).map_err(|e| format!("writing codegen.rs: {e}"))
}
