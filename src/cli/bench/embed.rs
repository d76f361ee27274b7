//! `tessera bench embed`: sentence-embedding throughput.

use clap::Args;
use std::path::PathBuf;
use std::time::Instant;
use tessera::prelude::{open_device, AdapterSelector, SentenceEmbedder};
use tessera_runtime::models::bert::{
    default_model_dir, random_encoder, BertConfig, EmbedTimings, DEFAULT_MAX_TOKENS,
};
use tessera_runtime::tokenizer::TextTokenizer;

/// Arguments of `tessera bench embed`.
#[derive(Args, Debug)]
pub struct EmbedBenchArgs {
    /// Model folder (config.json and tokenizer.json; model.safetensors unless --random-weights).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Use seeded random weights of the model's shapes instead of model.safetensors.
    #[arg(long)]
    random_weights: bool,
    /// Adapter (index, or name/backend substring).
    #[arg(long)]
    adapter: Option<String>,
    /// Workloads as SENTENCES:BATCH pairs; default 256:32 and 4096:256.
    #[arg(long, value_delimiter = ',', default_values_t = vec!["256:32".to_string(), "4096:256".to_string()])]
    workloads: Vec<String>,
    /// Timed repetitions of each workload (the median is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Tokens per sentence, [CLS] and [SEP] included.
    #[arg(long, default_value_t = 30)]
    tokens: usize,
}

/// Single-token English words, so a sentence of n words is n + 2 tokens.
const WORDS: &[&str] = &[
    "the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "house", "in", "big", "red",
    "car", "we", "saw", "it", "was", "very", "good", "day", "for", "all", "of", "us", "new", "old",
    "man", "woman", "city", "water",
];

fn sentences(count: usize, tokens: usize) -> Vec<String> {
    let mut state = 0x2545f4914f6cdd1du64;
    (0..count)
        .map(|_| {
            (0..tokens.saturating_sub(2))
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    WORDS[(state % WORDS.len() as u64) as usize]
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub fn bench_embed(args: EmbedBenchArgs) -> Result<(), Box<dyn std::error::Error>> {
    let selector = args
        .adapter
        .clone()
        .map(AdapterSelector::Named)
        .unwrap_or_default();
    let device = open_device(&selector)?;
    let dir = args.model.clone().unwrap_or_else(default_model_dir);
    let embedder = if args.random_weights {
        let config = BertConfig::from_file(&dir.join("config.json"))?;
        let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json"), DEFAULT_MAX_TOKENS)?;
        SentenceEmbedder::from_parts(
            random_encoder(&config, &device, 7)?,
            tokenizer,
            device.clone(),
        )
    } else {
        SentenceEmbedder::load(&dir, &device)?
    };
    println!("adapter: {}", device.adapter().summary());
    if args.random_weights {
        println!(
            "model: {} shapes with RANDOM weights (outputs meaningless, cost real)",
            dir.display()
        );
    } else {
        println!("model: {} (real weights)", dir.display());
    }
    for workload in &args.workloads {
        let (count, batch) = workload
            .split_once(':')
            .and_then(|(c, b)| Some((c.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
            .ok_or_else(|| format!("workload {workload:?} is not SENTENCES:BATCH"))?;
        let texts = sentences(count, args.tokens);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let measured = embedder.tokenizer().encode_batch(&refs[..1])?[0].len();
        let warm = Instant::now();
        embedder.embed_timed(&refs[..batch.min(count)])?;
        let warmup = warm.elapsed();
        let mut runs = Vec::new();
        for _ in 0..args.reps.max(1) {
            let start = Instant::now();
            let mut split = EmbedTimings::default();
            for chunk in refs.chunks(batch.max(1)) {
                split += embedder.embed_timed(chunk)?.1;
            }
            runs.push((start.elapsed(), split));
        }
        runs.sort_by_key(|(t, _)| *t);
        let (median, split) = runs[runs.len() / 2];
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "{count} sentences x {measured} tokens, batch {batch}: {:.1} sentences/s (median of {} runs, {:.0} ms; warm-up batch {:.0} ms excluded)",
            count as f64 / median.as_secs_f64(),
            runs.len(),
            ms(median),
            ms(warmup)
        );
        println!(
            "  split: tokenize {:.0} ms, upload {:.0} ms, gpu {:.0} ms, read-back {:.0} ms",
            ms(split.tokenize),
            ms(split.upload),
            ms(split.gpu),
            ms(split.readback)
        );
        println!("  {}", super::memory_line(&device));
    }
    Ok(())
}
