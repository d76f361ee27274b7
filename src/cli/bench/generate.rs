//! `tessera bench generate`: prompt and decode throughput of a random-weight
//! decoder of a real model's shapes, and decode's achieved memory bandwidth
//! (weight bytes per token / time per token) against the adapter's copy rate.

use super::ops::{elements, CommonArgs, ElementOp, ElementsArgs};
use super::presets::{preset_config, PRESET_NAMES};
use clap::Args;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera::prelude::Device;
use tessera_runtime::models::llama::{random_decoder, Decoder, WeightFormat};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Arguments of `tessera bench generate`.
#[derive(Args, Debug, Clone)]
pub struct GenerateBenchArgs {
    /// Model shapes: qwen2.5-0.5b, llama-3.2-1b, or tiny.
    #[arg(long, default_value = "qwen2.5-0.5b")]
    pub preset: String,
    /// Weight formats to run, comma-separated: f32, f16, bf16, q8_0, q4_0, q4_1,
    /// q5_0, q5_1, q4_k, q6_k (K formats: matrices whose rows are not a
    /// multiple of 256 values are Q5_0 for q4_k and Q8_0 for q6_k, as in
    /// llama.cpp's files).
    #[arg(long, value_delimiter = ',', default_value = "q8_0,q4_0,f16,f32")]
    pub formats: Vec<String>,
    /// Run only this many layers of the preset (for slow adapters).
    #[arg(long)]
    pub layers: Option<usize>,
    /// Prompt length of the prefill measurement.
    #[arg(long, default_value_t = 512)]
    pub prompt_tokens: usize,
    /// Tokens decoded after the prompt (each one step through the KV cache).
    #[arg(long, default_value_t = 32)]
    pub decode_tokens: usize,
    /// Instead of the prompt and decode figures: aggregate decode tokens/s of
    /// one stream against this many decoding together (batched steps),
    /// alternating, median of `--reps`; `--prompt-tokens` is each stream's
    /// prompt and `--decode-tokens` the steps timed.
    #[arg(long, default_value_t = 0)]
    pub streams: usize,
    /// Elements of the copy that measures the ceiling (0: skip it).
    #[arg(long, default_value_t = 1 << 25)]
    pub copy_elements: usize,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Prompt and decode figures of one format.
struct GenerateRecord {
    format: WeightFormat,
    first_run: Duration,
    prompt_median: Duration,
    decode_median: Duration,
    weight_bytes: usize,
}

/// Run the benchmark.
pub fn bench_generate(args: GenerateBenchArgs) -> BoxResult<()> {
    let device = args.common.open()?;
    let mut config = preset_config(&args.preset)
        .ok_or_else(|| format!("unknown preset {:?}: {PRESET_NAMES}", args.preset))?;
    if let Some(layers) = args.layers {
        config.num_layers = layers.clamp(1, config.num_layers);
    }
    let formats = args
        .formats
        .iter()
        .map(|name| WeightFormat::from_name(name).ok_or(format!("unknown format {name:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let context = args.prompt_tokens + args.decode_tokens;
    if args.prompt_tokens == 0 || args.decode_tokens == 0 {
        return Err("--prompt-tokens and --decode-tokens must be positive".into());
    }
    if args.streams > 0 {
        if args.streams < 2 {
            return Err("--streams compares one stream with N > 1".into());
        }
        for format in formats {
            let decoder = random_decoder(&config, format, context, 7, &device)?;
            super::streams::bench_streams(&device, &decoder, format, &args)?;
        }
        return Ok(());
    }
    let copy_gbps = copy_ceiling(&device, &args)?;
    for format in formats {
        let decoder = random_decoder(&config, format, context, 7, &device)?;
        let record = run_format(&decoder, format, &args)?;
        print_record(&device, &args, &record, copy_gbps);
    }
    Ok(())
}

/// The adapter's device-copy rate in GB/s (read + write), or `None` when skipped.
fn copy_ceiling(device: &Arc<dyn Device>, args: &GenerateBenchArgs) -> BoxResult<Option<f64>> {
    if args.copy_elements == 0 {
        return Ok(None);
    }
    let copy_args = ElementsArgs {
        elements: args.copy_elements,
        dtype: "f32".into(),
        common: CommonArgs {
            reps: 5,
            warmup: 2,
            ..args.common.clone()
        },
    };
    Ok(elements(device, ElementOp::Copy, &copy_args)?.gbps())
}

/// One prompt pass and `decode_tokens` greedy steps; the step's token id is read
/// back, which waits for the GPU (a full sync per step, as generation does).
fn prompt_then_decode(
    decoder: &Decoder,
    prompt: &[u32],
    steps: usize,
) -> BoxResult<(Duration, Vec<Duration>)> {
    let mut cache = decoder.new_cache(prompt.len() + steps)?;
    let start = Instant::now();
    let logits = decoder.forward(prompt, &mut cache)?;
    let mut id = logits.argmax(0)?.to_vec::<u32>()?[0];
    let prompt_time = start.elapsed();
    let mut step_times = Vec::with_capacity(steps);
    for _ in 0..steps {
        let start = Instant::now();
        let logits = decoder.forward(&[id], &mut cache)?;
        id = logits.argmax(0)?.to_vec::<u32>()?[0];
        step_times.push(start.elapsed());
    }
    Ok((prompt_time, step_times))
}

/// The median of `values` (the upper one of an even count).
pub(super) fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn run_format(
    decoder: &Decoder,
    format: WeightFormat,
    args: &GenerateBenchArgs,
) -> BoxResult<GenerateRecord> {
    let vocab = decoder.config.vocab_size as u32;
    let prompt: Vec<u32> = (0..args.prompt_tokens as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) % vocab)
        .collect();
    // First run: compiles every kernel and tunes every shape class.
    let start = Instant::now();
    prompt_then_decode(decoder, &prompt, args.decode_tokens.min(4))?;
    let first_run = start.elapsed();
    for _ in 1..args.common.warmup {
        prompt_then_decode(decoder, &prompt, args.decode_tokens.min(4))?;
    }
    let mut prompts = Vec::new();
    let mut steps = Vec::new();
    for _ in 0..args.common.reps.max(1) {
        let (p, s) = prompt_then_decode(decoder, &prompt, args.decode_tokens)?;
        prompts.push(p);
        steps.extend(s);
    }
    Ok(GenerateRecord {
        format,
        first_run,
        prompt_median: median(prompts),
        decode_median: median(steps),
        weight_bytes: decoder.weight_bytes(),
    })
}

fn print_record(
    device: &Arc<dyn Device>,
    args: &GenerateBenchArgs,
    r: &GenerateRecord,
    copy_gbps: Option<f64>,
) {
    let prompt_tps = args.prompt_tokens as f64 / r.prompt_median.as_secs_f64();
    let decode_tps = 1.0 / r.decode_median.as_secs_f64();
    // Decoding reads every weight once per token (the token table only for the
    // output head when tied).
    let decode_gbps = r.weight_bytes as f64 / r.decode_median.as_secs_f64() / 1e9;
    let ratio = copy_gbps.map(|c| decode_gbps / c);
    if args.common.json {
        let line = serde_json::json!({
            "op": "generate",
            "preset": args.preset,
            "layers": args.layers,
            "format": r.format.name(),
            "adapter": device.adapter().summary(),
            "prompt_tokens": args.prompt_tokens,
            "decode_tokens": args.decode_tokens,
            "reps": args.common.reps,
            "first_run_s": r.first_run.as_secs_f64(),
            "prompt_s": r.prompt_median.as_secs_f64(),
            "prompt_tokens_per_s": prompt_tps,
            "decode_s_per_token": r.decode_median.as_secs_f64(),
            "decode_tokens_per_s": decode_tps,
            "weight_bytes": r.weight_bytes,
            "decode_gb_per_s": decode_gbps,
            "copy_gb_per_s": copy_gbps,
            "decode_fraction_of_copy": ratio,
            "weights": "random",
            "peak_device_bytes": device.stats().peak_device_bytes,
        });
        println!("{line}");
        return;
    }
    println!(
        "generate {} {} (random weights, {} MB): prompt {} tokens {:.1} tokens/s; decode {:.1} tokens/s = {:.2} GB/s of weights{}; first run {:.2} s [{}]",
        args.preset,
        r.format.name(),
        r.weight_bytes / 1_000_000,
        args.prompt_tokens,
        prompt_tps,
        decode_tps,
        decode_gbps,
        ratio.map_or(String::new(), |x| format!(" ({:.0}% of copy)", 100.0 * x)),
        r.first_run.as_secs_f64(),
        device.adapter().summary(),
    );
    println!("  {}", super::memory_line(device));
}
