//! Command-line parsing and dispatch to subcommands.

mod bench;
mod chat;
mod conformance;
mod devices;
mod embed;
mod generate;
mod generation_args;
mod onnx;
mod serve;

use clap::{Parser, Subcommand};

/// Run ML models on any GPU (Vulkan, Metal, DX12, GL, or a software adapter).
#[derive(Parser, Debug)]
#[command(name = "tessera", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List every adapter wgpu finds, with backend, type, driver, limits and features.
    Devices(devices::DevicesArgs),
    /// Sentence embeddings (JSON lines) or their cosine-similarity table.
    Embed(embed::EmbedArgs),
    /// Generate text with a Llama or Qwen2 decoder (safetensors folder or GGUF file).
    Generate(generate::GenerateArgs),
    /// Chat in the terminal with a decoder through its chat template (one line of input per turn; /reset, /quit).
    Chat(chat::ChatArgs),
    /// Run every declared op against its CPU reference on each adapter; print or write the table.
    Conformance(conformance::ConformanceArgs),
    /// Benchmarks (throughput; GPU timestamps or full syncs, warm-up excluded, median reported).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// An OpenAI-compatible HTTP server: chat, completions (streamed or not), embeddings.
    Serve(serve::ServeArgs),
    /// ONNX models: `info` (inputs, outputs, operators) and `conformance` (ONNX's node tests).
    #[command(subcommand)]
    Onnx(onnx::OnnxCommand),
}

/// Send the library's warnings (a cache discarded and rebuilt, a fallback
/// taken) to stderr, one line each; quieter levels stay silent.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .without_time()
        .with_target(false)
        .with_ansi(false)
        .compact()
        .try_init();
}

/// Run the parsed command.
pub fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Devices(args) => devices::run(args),
        Command::Embed(args) => embed::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Chat(args) => chat::run(args),
        Command::Bench(command) => bench::run(command),
        Command::Conformance(args) => conformance::run(args),
        Command::Onnx(command) => onnx::run(command),
        Command::Serve(args) => serve::run(args),
    }
}
