//! The op conformance suite, generated from the op declarations: every op in
//! `tessera_runtime::ops::DECLARATIONS`, in every dtype it takes and the
//! adapter runs, on every test adapter (with `TESSERA_TEST_ADAPTERS=all`:
//! lavapipe, llvmpipe GL, the CPU backend, and a GPU where there is one),
//! against its CPU reference under its named tolerance.

mod common;

use common::*;
use tessera_runtime::conformance::{dtypes_for, run_op};
use tessera_runtime::ops::DECLARATIONS;

#[test]
fn every_declared_op_matches_its_reference_on_every_adapter() {
    let (_, seed) = seeded_rng("conformance");
    let mut failures = Vec::new();
    let mut rows = 0;
    for device in test_devices() {
        for op in DECLARATIONS {
            for dtype in dtypes_for(op, device) {
                let row = run_op(op, device, dtype, seed);
                rows += 1;
                eprintln!(
                    "{} {dtype} on {}: {} checks, worst {:.2e} ({:.2} of tolerance)",
                    op.name,
                    label(device),
                    row.report.checks,
                    row.report.worst_error,
                    row.report.worst_fraction
                );
                if let Some(e) = &row.error {
                    failures.push(format!(
                        "{} {dtype} on {}: error: {e}",
                        op.name,
                        label(device)
                    ));
                }
                for f in &row.report.failures {
                    failures.push(format!("{} on {}: {f}", op.name, label(device)));
                }
                if row.report.checks == 0 && row.error.is_none() {
                    failures.push(format!(
                        "{} {dtype} on {}: no checks ran",
                        op.name,
                        label(device)
                    ));
                }
            }
        }
    }
    assert!(rows >= DECLARATIONS.len(), "only {rows} rows ran");
    assert!(
        failures.is_empty(),
        "{} conformance failures (TESSERA_TEST_SEED={seed}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn declarations_are_unique_and_complete() {
    let mut names: Vec<&str> = DECLARATIONS.iter().map(|d| d.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "two declarations share a name");
    for d in DECLARATIONS {
        assert!(!d.dtypes.is_empty(), "{} declares no dtype", d.name);
        assert!(!d.kernels.is_empty(), "{} declares no kernel", d.name);
        assert!(
            !d.summary.is_empty() && !d.tolerance.is_empty(),
            "{}",
            d.name
        );
    }
}
