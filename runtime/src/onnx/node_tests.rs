//! Runs ONNX's backend node tests (written to a folder by
//! `scripts/onnx-node-tests.py`) and tabulates them per operator: passed,
//! failed (with the largest error) and skipped (an unsupported operator,
//! named, or data that is not plain tensors). A case never panics: every
//! problem is a typed error, recorded as a failure or a skip.

use super::error::OnnxError;
use super::graph::{decode_model, read_model_bytes};
use super::model::OnnxModel;
use super::value::OnnxValue;
use super::{decode_tensor_bytes, HostTensor};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tessera_hal::Device;

/// How one case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseOutcome {
    /// Every output matched.
    Passed,
    /// An output differs (largest error, as `|a - e| / (atol + rtol |e|)`'s
    /// worst absolute error) or the run failed.
    Failed(String),
    /// Not run, and why (the unsupported operator, the data kind).
    Skipped(String),
}

/// One case's result.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case's folder name (`test_add_bcast`).
    pub name: String,
    /// The operators of its graph (the first is the one it is filed under).
    pub op: String,
    /// How it ended.
    pub outcome: CaseOutcome,
}

/// The case folders under `dir`, sorted.
pub fn list_cases(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("meta.json").is_file())
        .collect();
    cases.sort();
    Ok(cases)
}

/// The operator a case is filed under: its graph's first node's operator.
fn case_op(model: &Path) -> String {
    read_model_bytes(model)
        .ok()
        .and_then(|b| decode_model(&b).ok())
        .and_then(|m| m.graph?.node.first()?.op_type.clone())
        .unwrap_or_else(|| "?".into())
}

/// Runs the case in `dir` on `device`.
pub fn run_case(dir: &Path, device: &Arc<dyn Device>) -> CaseResult {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meta: serde_json::Value = std::fs::read_to_string(dir.join("meta.json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    let model_path = dir.join("model.onnx");
    let op = case_op(&model_path);
    let outcome = match meta.get("skip").and_then(|s| s.as_str()) {
        Some(reason) => CaseOutcome::Skipped(reason.to_string()),
        None => {
            let rtol = meta.get("rtol").and_then(|v| v.as_f64()).unwrap_or(1e-3);
            let atol = meta.get("atol").and_then(|v| v.as_f64()).unwrap_or(1e-7);
            outcome(dir, &model_path, device, rtol, atol)
        }
    };
    CaseResult { name, op, outcome }
}

fn outcome(
    dir: &Path,
    model: &Path,
    device: &Arc<dyn Device>,
    rtol: f64,
    atol: f64,
) -> CaseOutcome {
    let model = match OnnxModel::load(model, device) {
        Ok(m) => m,
        Err(OnnxError::UnsupportedOp { op, domain, .. }) => {
            return CaseOutcome::Skipped(format!("unsupported operator {domain}{op}"))
        }
        Err(OnnxError::UnsupportedAttr { op, what, .. }) => {
            return CaseOutcome::Skipped(format!("unsupported {op}: {what}"))
        }
        Err(OnnxError::Version(v)) => return CaseOutcome::Skipped(v),
        Err(e) => return CaseOutcome::Failed(format!("load: {e}")),
    };
    let mut k = 0;
    loop {
        let set = dir.join(format!("test_data_set_{k}"));
        if !set.is_dir() {
            break;
        }
        let read = |prefix: &str| -> Result<Vec<HostTensor>, String> {
            let mut v = Vec::new();
            while let Ok(bytes) = std::fs::read(set.join(format!("{prefix}_{}.pb", v.len()))) {
                v.push(decode_tensor_bytes(&bytes).map_err(|e| e.to_string())?);
            }
            Ok(v)
        };
        let (inputs, expected) = match (read("input"), read("output")) {
            (Ok(i), Ok(o)) => (i, o),
            (Err(e), _) | (_, Err(e)) => return CaseOutcome::Skipped(format!("test data: {e}")),
        };
        let values = inputs
            .into_iter()
            .map(|h| match h.is_float() {
                true => OnnxValue::Host(h).to_device(device).map(OnnxValue::Tensor),
                false => Ok(OnnxValue::Host(h)),
            })
            .collect::<Result<Vec<_>, _>>();
        let actual = match values.and_then(|v| model.run_values(v)) {
            Ok(a) => a,
            Err(e) => return CaseOutcome::Failed(format!("run: {e}")),
        };
        if let Err(e) = compare(&actual, &expected, rtol, atol) {
            return CaseOutcome::Failed(e);
        }
        k += 1;
    }
    CaseOutcome::Passed
}

/// Compares outputs with numpy's `assert_allclose` rule; NaN matches NaN.
fn compare(
    actual: &[OnnxValue],
    expected: &[HostTensor],
    rtol: f64,
    atol: f64,
) -> Result<(), String> {
    if actual.len() < expected.len() {
        return Err(format!(
            "{} outputs, {} expected",
            actual.len(),
            expected.len()
        ));
    }
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let a = a.to_host().map_err(|e| format!("read-back: {e}"))?;
        if a.shape != e.shape {
            return Err(format!(
                "output {i}: shape {:?}, expected {:?}",
                a.shape, e.shape
            ));
        }
        let (av, ev) = (a.to_f32(), e.to_f32());
        let mut worst = 0f64;
        let mut bad = false;
        for (&x, &y) in av.iter().zip(&ev) {
            let (x, y) = (x as f64, y as f64);
            if x.is_nan() && y.is_nan() || x == y {
                continue;
            }
            let err = (x - y).abs();
            if err.is_nan() || err > atol + rtol * y.abs() {
                bad = true;
                worst = if err.is_nan() {
                    f64::NAN
                } else {
                    worst.max(err)
                };
            }
        }
        if bad {
            return Err(format!("output {i}: max error {worst:.3e}"));
        }
    }
    Ok(())
}

/// Per-operator counts.
#[derive(Debug, Clone, Default)]
pub struct OpRow {
    /// Cases run.
    pub run: usize,
    /// Cases passed.
    pub passed: usize,
    /// Failed cases with their reason.
    pub failed: Vec<(String, String)>,
    /// Skipped cases with their reason.
    pub skipped: Vec<(String, String)>,
}

/// Groups results by operator.
pub fn tabulate(results: &[CaseResult]) -> BTreeMap<String, OpRow> {
    let mut table: BTreeMap<String, OpRow> = BTreeMap::new();
    for r in results {
        let row = table.entry(r.op.clone()).or_default();
        match &r.outcome {
            CaseOutcome::Passed => {
                row.run += 1;
                row.passed += 1;
            }
            CaseOutcome::Failed(why) => {
                row.run += 1;
                row.failed.push((r.name.clone(), why.clone()));
            }
            CaseOutcome::Skipped(why) => row.skipped.push((r.name.clone(), why.clone())),
        }
    }
    table
}
