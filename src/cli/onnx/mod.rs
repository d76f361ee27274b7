//! `tessera onnx`: inspect ONNX models, run them on .npy inputs, and run
//! ONNX's node-test suite.

mod conformance;
mod run;

use clap::{Args, Subcommand};
use tessera_runtime::onnx::{describe_value, inspect, OPSETS};

/// The `onnx` subcommands.
#[derive(Subcommand, Debug)]
pub enum OnnxCommand {
    /// Inputs and outputs (symbolic dims by name), opsets, operator histogram, unsupported operators.
    Info(InfoArgs),
    /// Run a model on .npy inputs (--input NAME=FILE.npy ...), writing DIR/output_<i>.npy and one JSON line per output.
    Run(run::RunArgs),
    /// Run ONNX's backend node tests (see scripts/onnx-node-tests.py) on adapters; print or write the table.
    Conformance(conformance::ConformanceArgs),
}

/// Arguments of `tessera onnx info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The model file.
    model: std::path::PathBuf,
}

/// Run an `onnx` subcommand.
pub fn run(command: OnnxCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        OnnxCommand::Info(args) => info(args),
        OnnxCommand::Conformance(args) => conformance::run(args),
        OnnxCommand::Run(args) => run::run(args),
    }
}

fn info(args: InfoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let info = inspect(&args.model)?;
    println!("model: {}", args.model.display());
    println!("ir_version: {}", info.ir_version);
    let opsets: Vec<String> = info
        .opsets
        .iter()
        .map(|(d, v)| format!("{}={v}", if d.is_empty() { "ai.onnx" } else { d }))
        .collect();
    println!(
        "opsets: {} (default domain loads {}..={})",
        opsets.join(", "),
        OPSETS.start(),
        OPSETS.end()
    );
    println!("inputs:");
    for v in &info.inputs {
        println!("  {}", describe_value(v));
    }
    println!("outputs:");
    for v in &info.outputs {
        println!("  {}", describe_value(v));
    }
    println!("initializers: {}", info.initializers);
    println!(
        "operators ({} nodes):",
        info.histogram.values().sum::<usize>()
    );
    for (op, count) in &info.histogram {
        println!("  {op:<28} {count}");
    }
    if info.unsupported.is_empty() {
        println!("unsupported: none");
    } else {
        println!("unsupported:");
        for (op, nodes) in &info.unsupported {
            let shown: Vec<&str> = nodes.iter().take(3).map(String::as_str).collect();
            let more = nodes.len().saturating_sub(3);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            println!("  {op} at {}{tail}", shown.join(", "));
        }
    }
    Ok(())
}
