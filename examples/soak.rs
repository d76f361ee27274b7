//! Reliability soak: many embeddings and generations in one process, then
//! threads sharing one device. Prints resident memory (RSS) and device memory
//! at the start, at 10% and at the end of each run, and checks that every
//! repeated result is bit-identical to the first.
//!
//! `cargo run --release --example soak -- [EMBEDS] [GENERATIONS] [THREADS]`
//! (defaults 10000, 1000, 8) on the default adapter (`TESSERA_ADAPTER` picks
//! another); needs the MiniLM folder ($TESSERA_MODEL_DIR or
//! .cache/models/all-MiniLM-L6-v2) and the tiny decoder in tests/data.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tessera::prelude::*;
use tessera::runtime::models::bert::default_model_dir;

type Failure = Box<dyn std::error::Error>;

/// Sentences the soak cycles through: short and long, so batches pad differently.
const SENTENCES: [&str; 6] = [
    "How do I bake bread?",
    "A recipe for a simple loaf with flour, water, salt and yeast, baked in a hot oven until golden.",
    "The train leaves at noon.",
    "GPUs from every vendor run the same WGSL kernels through wgpu.",
    "Memory must stay flat over a long run of small requests.",
    "ok",
];

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let embeds = args.next().transpose()?.unwrap_or(10_000);
    let generations = args.next().transpose()?.unwrap_or(1_000);
    let threads = args.next().transpose()?.unwrap_or(8);
    let device = open_default_device()?;
    println!("adapter: {}", device.adapter().summary());
    let embedder = Arc::new(SentenceEmbedder::load(&default_model_dir(), &device)?);
    soak_embeddings(&embedder, embeds)?;
    let decoder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/decoders/tiny-qwen2/model-q4_0.gguf");
    soak_generations(&TextGenerator::load(&decoder, &device)?, generations)?;
    shared_device_threads(&embedder, threads)?;
    Ok(())
}

/// `embeds` calls of one sentence each (cycling through [`SENTENCES`]); every
/// result must equal the first result for that sentence bit for bit.
fn soak_embeddings(embedder: &SentenceEmbedder, embeds: usize) -> Result<(), Failure> {
    let first = SENTENCES
        .iter()
        .map(|s| Ok(embedder.embed(&[s])?.remove(0)))
        .collect::<Result<Vec<_>, Failure>>()?;
    let mut probe = Probe::new("embed", embeds, embedder.device());
    for i in 0..embeds {
        let k = i % SENTENCES.len();
        let got = embedder.embed(&SENTENCES[k..=k])?;
        if got[0] != first[k] {
            return Err(format!("embed {i}: sentence {k} differs from its first result").into());
        }
        probe.step(i + 1);
    }
    probe.finish();
    Ok(())
}

/// `generations` greedy generations of 16 tokens; all ids equal to the first.
fn soak_generations(generator: &TextGenerator, generations: usize) -> Result<(), Failure> {
    let options = GenerateOptions {
        max_new_tokens: 16,
        stop_at_eos: false,
        stop_ids: Vec::new(),
        ..Default::default()
    };
    let prompt = generator.encode_prompt("Once upon a time")?;
    let first = generator.generate_ids(&prompt, &options, |_| true)?;
    let mut probe = Probe::new("generate", generations, generator.device());
    for i in 0..generations {
        let got = generator.generate_ids(&prompt, &options, |_| true)?;
        if got.generation.ids != first.generation.ids {
            return Err(format!("generation {i} differs from the first").into());
        }
        probe.step(i + 1);
    }
    probe.finish();
    Ok(())
}

/// `threads` threads embed the same sentences 25 times each through one
/// embedder on one device; every result must equal the single-thread one bit
/// for bit.
fn shared_device_threads(embedder: &Arc<SentenceEmbedder>, threads: usize) -> Result<(), Failure> {
    let alone = embedder.embed(&SENTENCES)?;
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let embedder = embedder.clone();
            std::thread::spawn(move || -> Result<Vec<Vec<Vec<f32>>>, String> {
                (0..25)
                    .map(|_| embedder.embed(&SENTENCES).map_err(|e| e.to_string()))
                    .collect()
            })
        })
        .collect();
    let mut identical = 0;
    for handle in handles {
        let runs = handle.join().map_err(|_| "a thread panicked")??;
        for run in runs {
            if run != alone {
                return Err("a thread's embeddings differ from the single-thread ones".into());
            }
            identical += 1;
        }
    }
    println!(
        "threads: {threads} threads x 25 batches of {} sentences on one device: {identical} of {identical} bit-identical to one thread's, {:.1} s",
        SENTENCES.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Resident and device memory at the start, at 10% and at the end of a run.
struct Probe<'a> {
    what: &'static str,
    total: usize,
    device: &'a Arc<dyn Device>,
    start: Instant,
    marks: Vec<String>,
}

impl<'a> Probe<'a> {
    fn new(what: &'static str, total: usize, device: &'a Arc<dyn Device>) -> Probe<'a> {
        let mut probe = Probe {
            what,
            total,
            device,
            start: Instant::now(),
            marks: Vec::new(),
        };
        probe.mark("start");
        probe
    }

    fn step(&mut self, done: usize) {
        if done == self.total.div_ceil(10) {
            self.mark("10%");
        }
    }

    fn mark(&mut self, at: &str) {
        let stats = self.device.stats();
        self.marks.push(format!(
            "{at}: RSS {:.0} MiB, device {:.0} MiB",
            resident_mib(),
            stats.device_bytes as f64 / (1 << 20) as f64
        ));
    }

    fn finish(mut self) {
        self.mark("end");
        let seconds = self.start.elapsed().as_secs_f64();
        println!(
            "{}: {} runs in {seconds:.0} s ({:.1}/s), all equal to the first; {}",
            self.what,
            self.total,
            self.total as f64 / seconds,
            self.marks.join("; ")
        );
    }
}

/// This process's resident set in MiB (`VmRSS` of /proc/self/status; 0 elsewhere).
fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}
