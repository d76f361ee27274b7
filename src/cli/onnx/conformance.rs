//! `tessera onnx conformance`: ONNX's backend node tests on each adapter,
//! as a table per operator (run, passed, failed with the largest error,
//! skipped with the reason), e.g. `docs/ONNX_CONFORMANCE.md`.

use crate::cli::conformance::open_adapters;
use clap::Args;
use std::collections::BTreeMap;
use std::fmt::Write;
use tessera_runtime::onnx::node_tests::{list_cases, run_case, tabulate, OpRow};

/// Arguments of `tessera onnx conformance`.
#[derive(Args, Debug)]
pub struct ConformanceArgs {
    /// The folder written by `scripts/onnx-node-tests.py`.
    #[arg(long)]
    cases: std::path::PathBuf,
    /// Adapters: `all` or a comma-separated list of indices or names.
    #[arg(long, default_value = "all")]
    adapters: String,
    /// Write the Markdown table here instead of standard output.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// Runs every case on each chosen adapter and writes the table.
pub fn run(args: ConformanceArgs) -> Result<(), Box<dyn std::error::Error>> {
    let devices = open_adapters(&args.adapters)?;
    let cases = list_cases(&args.cases)?;
    if cases.is_empty() {
        return Err(format!("no cases in {}", args.cases.display()).into());
    }
    let mut md = String::from(
        "# ONNX node-test conformance\n\nONNX's own backend node tests \
         (`onnx.backend.test.case.node.collect_testcases()`, written by \
         `scripts/onnx-node-tests.py`), run by `tessera onnx conformance --cases DIR --out docs/ONNX_CONFORMANCE.md`. \
         A case passes when every output matches within the case's rtol/atol. \
         Skipped: an unsupported operator (named), an attribute value we do not run (named), or data that is not plain tensors.\n",
    );
    for device in &devices {
        let adapter = device.adapter().summary();
        eprintln!("onnx node tests on {adapter}");
        let results: Vec<_> = cases.iter().map(|c| run_case(c, device)).collect();
        let table = tabulate(&results);
        write_adapter(&mut md, &adapter, &table)?;
        let (run, passed, skipped) = totals(&table);
        eprintln!(
            "{adapter}: {run} run, {passed} passed, {} failed, {skipped} skipped",
            run - passed
        );
    }
    match &args.out {
        Some(path) => std::fs::write(path, &md)?,
        None => print!("{md}"),
    }
    Ok(())
}

fn totals(table: &BTreeMap<String, OpRow>) -> (usize, usize, usize) {
    table.values().fold((0, 0, 0), |(r, p, s), row| {
        (r + row.run, p + row.passed, s + row.skipped.len())
    })
}

fn write_adapter(
    md: &mut String,
    adapter: &str,
    table: &BTreeMap<String, OpRow>,
) -> std::fmt::Result {
    let (run, passed, skipped) = totals(table);
    writeln!(md, "\n## {adapter}\n")?;
    writeln!(
        md,
        "{run} cases run, {passed} passed, {} failed, {skipped} skipped.\n",
        run - passed
    )?;
    writeln!(md, "| operator | run | passed | failed | skipped |")?;
    writeln!(md, "| --- | ---: | ---: | ---: | ---: |")?;
    for (op, row) in table.iter().filter(|(_, r)| r.run > 0) {
        writeln!(
            md,
            "| {op} | {} | {} | {} | {} |",
            row.run,
            row.passed,
            row.failed.len(),
            row.skipped.len()
        )?;
    }
    writeln!(md, "\n### Failures\n")?;
    for (op, row) in table {
        for (case, why) in &row.failed {
            writeln!(md, "- {op}: `{case}`: {}", why.replace('|', "\\|"))?;
        }
    }
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for row in table.values() {
        for (_, why) in &row.skipped {
            *reasons.entry(why.clone()).or_insert(0) += 1;
        }
    }
    writeln!(md, "\n### Skipped, by reason\n")?;
    for (why, n) in reasons {
        writeln!(md, "- {why}: {n}")?;
    }
    Ok(())
}
