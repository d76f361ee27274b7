//! `tessera bench generate --streams N`: aggregate decode tokens/s of one
//! stream (the single-sequence decode step `generate` runs) against `N`
//! streams decoding together (`Decoder::forward_batch` over the slots of one
//! `KvPool`, the step the batch scheduler runs), alternating the two, median
//! of the repetitions.

use super::generate::{median, GenerateBenchArgs};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera::prelude::Device;
use tessera_runtime::models::llama::{Decoder, KvCache, WeightFormat};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Stream `s`'s prompt: `len` ids, different for every stream.
fn prompt(s: usize, len: usize, vocab: u32) -> Vec<u32> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(977 * s as u32).wrapping_mul(2_654_435_761) >> 7) % vocab)
        .collect()
}

/// `streams` prompts read (each alone, not timed), then `steps` decode steps
/// of all of them, each step's ids read back (as the scheduler does); the
/// seconds of the steps and the dispatches one step records. One stream decodes through `Decoder::forward` on a
/// cache of its own; several share a pool of `streams` slots.
fn decode_round(
    decoder: &Decoder,
    streams: usize,
    args: &GenerateBenchArgs,
) -> BoxResult<(Duration, u64)> {
    let vocab = decoder.config.vocab_size as u32;
    let steps = args.decode_tokens;
    let mut caches: Vec<KvCache> = Vec::with_capacity(streams);
    let mut ids = Vec::with_capacity(streams);
    let capacity = args.prompt_tokens + steps;
    let pool = match streams {
        1 => None,
        _ => Some(decoder.new_kv_pool(streams, capacity)?),
    };
    for s in 0..streams {
        let mut cache = match &pool {
            Some(pool) => pool.take_slot()?.ok_or("a pool slot for every stream")?,
            None => decoder.new_cache(capacity)?,
        };
        let logits = decoder.forward(&prompt(s, args.prompt_tokens, vocab), &mut cache)?;
        ids.push(logits.argmax(0)?.to_vec::<u32>()?[0]);
        caches.push(cache);
    }
    let dispatches = decoder.device().stats().dispatches;
    let start = Instant::now();
    for _ in 0..steps {
        ids = match streams {
            1 => {
                let logits = decoder.forward(&ids, &mut caches[0])?;
                logits.argmax(0)?.to_vec::<u32>()?
            }
            _ => {
                let mut refs: Vec<&mut KvCache> = caches.iter_mut().collect();
                let logits = decoder.forward_batch(&ids, &mut refs)?;
                logits.argmax(1)?.to_vec::<u32>()?
            }
        };
    }
    let elapsed = start.elapsed();
    let per_step = (decoder.device().stats().dispatches - dispatches) / steps.max(1) as u64;
    Ok((elapsed, per_step))
}

/// Measure and print one stream against `args.streams` for one format.
pub fn bench_streams(
    device: &Arc<dyn Device>,
    decoder: &Decoder,
    format: WeightFormat,
    args: &GenerateBenchArgs,
) -> BoxResult<()> {
    let n = args.streams;
    let tokens_per_s =
        |streams: usize, t: Duration| (streams * args.decode_tokens) as f64 / t.as_secs_f64();
    // Warm-up: compiles and tunes every shape class of both paths.
    for _ in 0..args.common.warmup.max(1) {
        decode_round(decoder, 1, args)?;
        decode_round(decoder, n, args)?;
    }
    let (mut one, mut many) = (Vec::new(), Vec::new());
    let mut dispatches = (0, 0);
    for _ in 0..args.common.reps.max(1) {
        let (time, per_step) = decode_round(decoder, 1, args)?;
        one.push(time);
        dispatches.0 = per_step;
        let (time, per_step) = decode_round(decoder, n, args)?;
        many.push(time);
        dispatches.1 = per_step;
    }
    let (one, many) = (median(one), median(many));
    let (one_tps, many_tps) = (tokens_per_s(1, one), tokens_per_s(n, many));
    if args.common.json {
        let line = serde_json::json!({
            "op": "generate_streams",
            "preset": args.preset,
            "layers": args.layers,
            "format": format.name(),
            "adapter": device.adapter().summary(),
            "prompt_tokens": args.prompt_tokens,
            "decode_tokens": args.decode_tokens,
            "reps": args.common.reps,
            "streams": n,
            "one_stream_tokens_per_s": one_tps,
            "streams_tokens_per_s": many_tps,
            "speedup": many_tps / one_tps,
            "one_stream_dispatches_per_step": dispatches.0,
            "streams_dispatches_per_step": dispatches.1,
            "weights": "random",
        });
        println!("{line}");
        return Ok(());
    }
    println!(
        "generate {} {} (random weights): decode 1 stream {:.1} tokens/s; {n} streams {:.1} tokens/s aggregate ({:.2}x); dispatches per step {} and {} [{}]",
        args.preset,
        format.name(),
        one_tps,
        many_tps,
        many_tps / one_tps,
        dispatches.0,
        dispatches.1,
        device.adapter().summary(),
    );
    Ok(())
}
