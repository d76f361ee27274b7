//! The op conformance suite on the browser's WebGPU adapter (Dawn, shaders
//! compiled by Tint): every declared op in every dtype the adapter runs, on
//! fresh random inputs of odd shapes, against its CPU reference under the
//! op's named tolerance. Run by `bash scripts/test-web.sh` in headless
//! Chromium; a browser without an adapter fails the suite, never passes it
//! empty.

#![cfg(target_arch = "wasm32")]

use tessera_runtime::conformance::{dtypes_for, run_op_async};
use tessera_runtime::ops::DECLARATIONS;
use tessera_web::open_browser_device;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Seed of the browser suite's random inputs (printed with every failure).
const SEED: u64 = 0x7e55_e7a0;

#[wasm_bindgen_test]
async fn every_declared_op_matches_its_reference_on_the_browser_adapter() {
    let device = open_browser_device()
        .await
        .unwrap_or_else(|e| panic!("no WebGPU device in this browser: {e}"));
    console_log!("adapter: {}", device.adapter().summary());
    let mut failures = Vec::new();
    let mut rows = 0;
    for op in DECLARATIONS {
        for dtype in dtypes_for(op, &device) {
            let row = run_op_async(op, &device, dtype, SEED).await;
            rows += 1;
            console_log!(
                "{} {dtype}: {} checks, worst {:.2e} ({:.2} of tolerance)",
                op.name,
                row.report.checks,
                row.report.worst_error,
                row.report.worst_fraction
            );
            if let Some(e) = &row.error {
                failures.push(format!("{} {dtype}: error: {e}", op.name));
            }
            failures.extend(
                row.report
                    .failures
                    .iter()
                    .map(|f| format!("{}: {f}", op.name)),
            );
            if row.report.checks == 0 && row.error.is_none() {
                failures.push(format!("{} {dtype}: no checks ran", op.name));
            }
        }
    }
    assert!(rows >= DECLARATIONS.len(), "only {rows} rows ran");
    assert!(
        failures.is_empty(),
        "{} conformance failures on {} (seed {SEED:#x}):\n{}",
        failures.len(),
        device.adapter().summary(),
        failures.join("\n")
    );
}
