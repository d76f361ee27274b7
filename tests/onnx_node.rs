//! ONNX's own backend node tests, written to a folder by
//! `scripts/onnx-node-tests.py` (scripts/test.sh does it and sets
//! TESSERA_ONNX_NODE_TESTS), run on every test adapter. No case may panic;
//! skipped cases name their operator. The floor below is the count that
//! passes today on each adapter: a regression fails the test.

mod common;

use common::*;
use tessera_runtime::onnx::node_tests::{list_cases, run_case, tabulate, CaseOutcome};

/// Cases that pass today on every adapter (the CPU backend and lavapipe pass more).
const PASS_FLOOR: usize = 780;

#[test]
fn onnx_node_tests_pass_on_every_adapter() {
    let Some(dir) = std::env::var_os("TESSERA_ONNX_NODE_TESTS") else {
        eprintln!(
            "skipped: TESSERA_ONNX_NODE_TESTS is unset (scripts/test.sh writes the cases with \
             scripts/onnx-node-tests.py and sets it)"
        );
        return;
    };
    let cases = list_cases(std::path::Path::new(&dir)).expect("the node-test folder");
    assert!(
        cases.len() > 1000,
        "{} cases in {dir:?}: not a full node-test folder",
        cases.len()
    );
    for device in test_devices() {
        let results: Vec<_> = cases.iter().map(|c| run_case(c, device)).collect();
        let passed = results
            .iter()
            .filter(|r| r.outcome == CaseOutcome::Passed)
            .count();
        let table = tabulate(&results);
        let failed: usize = table.values().map(|r| r.failed.len()).sum();
        let skipped: usize = table.values().map(|r| r.skipped.len()).sum();
        eprintln!(
            "{}: {passed} passed, {failed} failed, {skipped} skipped",
            label(device)
        );
        for r in &results {
            if let CaseOutcome::Failed(why) = &r.outcome {
                eprintln!("  failed on {}: {}: {why}", label(device), r.name);
            }
            if let CaseOutcome::Skipped(why) = &r.outcome {
                assert!(!why.is_empty(), "{} is skipped without a reason", r.name);
            }
        }
        assert!(
            passed >= PASS_FLOOR,
            "{passed} node tests pass on {}, the floor is {PASS_FLOOR}",
            label(device)
        );
    }
}
