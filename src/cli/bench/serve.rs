//! `tessera bench serve`: a load generator for a running `tessera serve`.
//! N client threads share a fixed count of streamed completion requests;
//! it reports requests/s, generated tokens/s (from each stream's usage),
//! time to first token and inter-token latency (p50, p99), errors, and the
//! server's resident memory (`/proc/PID/status`) before, after the first
//! requests, and at the end. A few warm-up requests go first, uncounted.

use clap::Args;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tessera::serve::client;

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Arguments of `tessera bench serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeBenchArgs {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    address: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Requests in all.
    #[arg(long, default_value_t = 100)]
    requests: usize,
    /// max_tokens of each request.
    #[arg(long, default_value_t = 16)]
    max_tokens: usize,
    /// Prompt of each request (its number is appended).
    #[arg(long, default_value = "The quick brown fox")]
    prompt: String,
    /// Sampling temperature (0: greedy).
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    /// The model id (default: the first in /v1/models).
    #[arg(long)]
    model: Option<String>,
    /// The server's process id, to read its resident memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Requests sent one at a time first and not counted (kernel compiles
    /// and tuning happen there).
    #[arg(long, default_value_t = 4)]
    warmup: usize,
    /// Requests after which the memory baseline is read.
    #[arg(long, default_value_t = 100)]
    memory_after: usize,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// What one request measured.
#[derive(Default)]
struct RequestRecord {
    first_token: Option<Duration>,
    gaps: Vec<Duration>,
    tokens: usize,
    error: Option<String>,
}

/// Resident memory of `pid` in KiB (`VmRSS` of /proc/PID/status).
fn resident_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run_request(args: &ServeBenchArgs, model: &str, index: usize) -> RequestRecord {
    let body = json!({
        "model": model,
        "prompt": format!("{} {index}", args.prompt),
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "seed": index,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    let mut record = RequestRecord::default();
    let start = Instant::now();
    let response = match client::post_json(
        &args.address,
        "/v1/completions",
        &body,
        Duration::from_secs(600),
    ) {
        Ok(r) => r,
        Err(e) => {
            record.error = Some(format!("connect/send: {e}"));
            return record;
        }
    };
    if response.status != 200 {
        let status = response.status;
        record.error = Some(format!(
            "status {status}: {}",
            response.text().unwrap_or_default()
        ));
        return record;
    }
    let mut last = None;
    let mut done = false;
    let read = response.events(|data| {
        if data == "[DONE]" {
            done = true;
            return false;
        }
        let chunk: Value = serde_json::from_str(data).unwrap_or(Value::Null);
        if chunk.get("error").is_some() {
            record.error = Some(data.to_string());
            return false;
        }
        if let Some(tokens) = chunk["usage"]["completion_tokens"].as_u64() {
            record.tokens = tokens as usize;
        }
        let has_text = chunk["choices"][0]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty());
        if has_text {
            let now = start.elapsed();
            match last {
                None => record.first_token = Some(now),
                Some(before) => record.gaps.push(now - before),
            }
            last = Some(now);
        }
        true
    });
    if let Err(e) = read {
        record.error.get_or_insert(format!("read: {e}"));
    } else if !done {
        record
            .error
            .get_or_insert("the stream ended without [DONE]".into());
    }
    record
}

fn percentile(values: &mut [Duration], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort();
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1].as_secs_f64() * 1e3
}

/// Run the load.
pub fn bench_serve(args: ServeBenchArgs) -> BoxResult<()> {
    if args.clients == 0 || args.requests == 0 {
        return Err("--clients and --requests must be at least 1".into());
    }
    let model = match &args.model {
        Some(m) => m.clone(),
        None => {
            let models =
                client::get(&args.address, "/v1/models", Duration::from_secs(30))?.json()?;
            models["data"][0]["id"]
                .as_str()
                .ok_or("no model in /v1/models")?
                .to_string()
        }
    };
    for index in 0..args.warmup {
        if let Some(error) = run_request(&args, &model, index).error {
            return Err(format!("warm-up request failed: {error}").into());
        }
    }
    let rss_before = resident_kib(args.pid);
    let rss_baseline = OnceLock::new();
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let records = Mutex::new(Vec::with_capacity(args.requests));
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..args.clients {
            s.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= args.requests {
                    break;
                }
                let record = run_request(&args, &model, index);
                records.lock().unwrap().push(record);
                if finished.fetch_add(1, Ordering::Relaxed) + 1 == args.memory_after {
                    let _ = rss_baseline.set(resident_kib(args.pid));
                }
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    let rss_end = resident_kib(args.pid);
    let records = records.into_inner().unwrap();
    let errors: Vec<&String> = records.iter().filter_map(|r| r.error.as_ref()).collect();
    let tokens: usize = records.iter().map(|r| r.tokens).sum();
    let mut ttft: Vec<Duration> = records.iter().filter_map(|r| r.first_token).collect();
    let mut gaps: Vec<Duration> = records
        .iter()
        .flat_map(|r| r.gaps.iter().copied())
        .collect();
    let baseline = rss_baseline.get().copied().flatten();
    let growth = baseline
        .zip(rss_end)
        .map(|(b, e)| 100.0 * (e as f64 - b as f64) / b as f64);
    let mib = |k: Option<u64>| k.map(|k| k as f64 / 1024.0);
    let summary = json!({
        "op": "serve",
        "model": model,
        "address": args.address,
        "clients": args.clients,
        "requests": args.requests,
        "max_tokens": args.max_tokens,
        "warmup": args.warmup,
        "seconds": seconds,
        "requests_per_s": args.requests as f64 / seconds,
        "generated_tokens": tokens,
        "generated_tokens_per_s": tokens as f64 / seconds,
        "ttft_ms_p50": percentile(&mut ttft, 0.50),
        "ttft_ms_p99": percentile(&mut ttft, 0.99),
        "itl_ms_p50": percentile(&mut gaps, 0.50),
        "itl_ms_p99": percentile(&mut gaps, 0.99),
        "errors": errors.len(),
        "rss_mib_before": mib(rss_before),
        "rss_mib_after_first": mib(baseline),
        "rss_mib_end": mib(rss_end),
        "rss_growth_percent_after_first": growth,
    });
    if args.json {
        println!("{summary}");
    } else {
        let f = |k: &str| summary[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "bench serve: {} requests, {} clients, max_tokens {} against {model} at {}",
            args.requests, args.clients, args.max_tokens, args.address
        );
        println!(
            "  {:.2} requests/s; {:.1} generated tokens/s ({tokens} tokens in {seconds:.1} s); errors: {}",
            f("requests_per_s"),
            f("generated_tokens_per_s"),
            errors.len()
        );
        println!(
            "  time to first token: p50 {:.1} ms, p99 {:.1} ms; inter-token latency: p50 {:.1} ms, p99 {:.1} ms",
            f("ttft_ms_p50"),
            f("ttft_ms_p99"),
            f("itl_ms_p50"),
            f("itl_ms_p99")
        );
        if args.pid.is_some() {
            println!(
                "  server resident memory: before {:.0} MiB, after {} requests {:.0} MiB, end {:.0} MiB ({:+.1}% after the first {})",
                f("rss_mib_before"),
                args.memory_after,
                f("rss_mib_after_first"),
                f("rss_mib_end"),
                f("rss_growth_percent_after_first"),
                args.memory_after
            );
        }
    }
    for error in errors.iter().take(5) {
        eprintln!("error: {error}");
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(format!("{} of {} requests failed", errors.len(), args.requests).into()),
    }
}
