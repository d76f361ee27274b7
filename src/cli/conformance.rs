//! `tessera conformance`: run the op conformance suite on adapters and write
//! the table (`docs/CONFORMANCE.md`).

use clap::Args;
use std::sync::Arc;
use tessera_hal::{enumerate_adapters, open_device, AdapterSelector, Device};
use tessera_runtime::conformance::{markdown_table, run_all};

/// Arguments of `tessera conformance`.
#[derive(Args, Debug)]
pub struct ConformanceArgs {
    /// Adapters to run on: `all` (every adapter listed by `tessera devices`)
    /// or a comma-separated list of indices or names.
    #[arg(long, default_value = "all")]
    adapters: String,
    /// Seed of the random inputs (printed in the table).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the Markdown table here instead of standard output.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// Run every declared op on the chosen adapters; fails when any row fails.
pub fn run(args: ConformanceArgs) -> Result<(), Box<dyn std::error::Error>> {
    let devices = open_adapters(&args.adapters)?;
    let mut rows = Vec::new();
    for device in &devices {
        eprintln!("conformance on {}", device.adapter().summary());
        rows.extend(run_all(device, args.seed));
    }
    let adapters: Vec<String> = devices.iter().map(|d| d.adapter().summary()).collect();
    let table = markdown_table(&rows, &adapters, args.seed);
    match &args.out {
        Some(path) => std::fs::write(path, &table)?,
        None => print!("{table}"),
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| !r.passed())
        .map(|r| {
            let why = r
                .error
                .clone()
                .unwrap_or_else(|| r.report.failures.join("\n"));
            format!("{} {} on {}: {why}", r.op, r.dtype, r.adapter)
        })
        .collect();
    if failed.is_empty() {
        eprintln!("conformance: {} rows passed", rows.len());
        Ok(())
    } else {
        Err(format!("{} rows failed:\n{}", failed.len(), failed.join("\n")).into())
    }
}

/// Open the adapters `list` names: `all`, or a comma-separated list of
/// indices or name substrings (the `--adapters` of the conformance commands).
pub fn open_adapters(list: &str) -> Result<Vec<Arc<dyn Device>>, Box<dyn std::error::Error>> {
    let selectors: Vec<AdapterSelector> = match list {
        "all" => enumerate_adapters()
            .iter()
            .map(|a| AdapterSelector::Named(a.index.to_string()))
            .collect(),
        list => list
            .split(',')
            .map(|s| AdapterSelector::Named(s.trim().to_string()))
            .collect(),
    };
    Ok(selectors
        .iter()
        .map(open_device)
        .collect::<Result<_, _>>()?)
}
