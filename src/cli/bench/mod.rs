//! `tessera bench`: throughput benchmarks (programs, not timed tests). Op
//! benchmarks time with GPU timestamps where the adapter has them (else a full
//! sync), exclude warm-up (reported apart), report the median, and print GFLOP/s
//! or GB/s; `--json` prints one JSON object per run.

mod embed;
mod generate;
mod inputs;
mod onnx;
mod onnx_run;
mod ops;
pub(crate) mod presets;
mod qmatmul;
mod record;
mod serve;
mod streams;
mod suite;

use clap::Subcommand;
use std::sync::Arc;
use tessera::prelude::Device;

/// Benchmarks.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Sentence-embedding throughput of all-MiniLM-L6-v2 (or a random-weight model of its shapes).
    Embed(embed::EmbedBenchArgs),
    /// Prompt and decode tokens/s of a random-weight decoder (Qwen2.5-0.5B or Llama-3.2-1B shapes).
    Generate(generate::GenerateBenchArgs),
    /// Matrix multiply `[batch, m, k] @ [k, n]` (GFLOP/s).
    Matmul(ops::MatmulArgs),
    /// `x [m, k] · Wᵀ` with W kept in a block format (GFLOP/s), any kernel.
    Qmatmul(qmatmul::QuantMatmulArgs),
    /// Softmax along rows (GB/s of one read and one write).
    Softmax(ops::RowsArgs),
    /// Layer norm along rows, with weight and bias (GB/s of one read and one write).
    Layernorm(ops::RowsArgs),
    /// RMS norm along rows, with weight (GB/s of one read and one write).
    Rmsnorm(ops::RowsArgs),
    /// Elementwise add of two tensors (GB/s of two reads and one write).
    Add(ops::ElementsArgs),
    /// Device copy (GB/s of one read and one write): the memory-bound ceiling.
    Copy(ops::ElementsArgs),
    /// Cost per recorded dispatch of a chain of small elementwise ops.
    Dispatch(ops::DispatchArgs),
    /// One ONNX model's forward pass (median seconds, GFLOP/s of its convs and products).
    Onnx(onnx::OnnxBenchArgs),
    /// Load on a running `tessera serve`: N streaming clients, a fixed count of
    /// requests; requests/s, tokens/s, time to first token, inter-token latency,
    /// errors, and the server's resident memory.
    Serve(serve::ServeBenchArgs),
    /// The table of issue #4 in one go, sized for the adapter (GPU or software).
    Suite(suite::SuiteArgs),
}

/// Run a benchmark.
pub fn run(command: BenchCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        BenchCommand::Embed(args) => embed::bench_embed(args),
        BenchCommand::Generate(args) => generate::bench_generate(args),
        BenchCommand::Matmul(args) => ops::matmul(&args.common.open()?, &args).map(drop),
        BenchCommand::Qmatmul(args) => qmatmul::quant_matmul(&args.common.open()?, &args).map(drop),
        BenchCommand::Softmax(args) => rows(ops::RowOp::Softmax, &args),
        BenchCommand::Layernorm(args) => rows(ops::RowOp::LayerNorm, &args),
        BenchCommand::Rmsnorm(args) => rows(ops::RowOp::RmsNorm, &args),
        BenchCommand::Add(args) => elements(ops::ElementOp::Add, &args),
        BenchCommand::Copy(args) => elements(ops::ElementOp::Copy, &args),
        BenchCommand::Dispatch(args) => ops::dispatch(&args.open()?, &args).map(drop),
        BenchCommand::Onnx(args) => onnx::bench_onnx(args),
        BenchCommand::Suite(args) => suite::run(&args),
        BenchCommand::Serve(args) => serve::bench_serve(args),
    }
}

fn rows(op: ops::RowOp, args: &ops::RowsArgs) -> Result<(), Box<dyn std::error::Error>> {
    ops::rows(&args.common.open()?, op, args).map(drop)
}

fn elements(
    op: ops::ElementOp,
    args: &ops::ElementsArgs,
) -> Result<(), Box<dyn std::error::Error>> {
    ops::elements(&args.common.open()?, op, args).map(drop)
}

/// Device memory of the run so far: the bytes of buffers held now and the
/// most held at once (in use plus pooled).
fn memory_line(device: &Arc<dyn Device>) -> String {
    let stats = device.stats();
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    format!(
        "device memory: peak {:.0} MiB, held now {:.0} MiB",
        mib(stats.peak_device_bytes),
        mib(stats.device_bytes)
    )
}
