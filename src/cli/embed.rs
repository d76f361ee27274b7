//! `tessera embed`: sentence embeddings as JSON lines or a similarity table.

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use tessera::prelude::{open_device, AdapterSelector, SentenceEmbedder};
use tessera_runtime::models::bert::default_model_dir;

/// Arguments of `tessera embed`.
#[derive(Args, Debug)]
pub struct EmbedArgs {
    /// Model folder (config.json, model.safetensors, tokenizer.json, 1_Pooling/).
    /// Default: $TESSERA_MODEL_DIR, else .cache/models/all-MiniLM-L6-v2.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Sentences to embed; without any, one sentence per line is read from stdin.
    sentences: Vec<String>,
    /// Print the cosine-similarity matrix as a table instead of the embeddings.
    #[arg(long)]
    similarity: bool,
    /// Sentences per batch.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Adapter: an index, or a substring of its name or backend (default: $TESSERA_ADAPTER or the best).
    #[arg(long)]
    adapter: Option<String>,
}

/// Embed the sentences and print them.
pub fn run(args: EmbedArgs) -> Result<(), Box<dyn std::error::Error>> {
    if args.batch == 0 {
        return Err("--batch must be at least 1".into());
    }
    let sentences = if args.sentences.is_empty() {
        std::io::stdin()
            .lock()
            .lines()
            .collect::<Result<Vec<_>, _>>()?
    } else {
        args.sentences.clone()
    };
    let selector = args
        .adapter
        .clone()
        .map(AdapterSelector::Named)
        .unwrap_or_default();
    let device = open_device(&selector)?;
    let dir = args.model.clone().unwrap_or_else(default_model_dir);
    if !dir.join("config.json").exists() {
        return Err(format!(
            "no model at {}: run `bash scripts/fetch-model.sh` or pass --model DIR",
            dir.display()
        )
        .into());
    }
    let embedder = SentenceEmbedder::load(&dir, &device)?;
    eprintln!("adapter: {}", device.adapter().summary());

    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let bar = progress_bar(texts.len(), args.batch);
    let embeddings =
        embedder.embed_batched(&texts, args.batch, |done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let truncated = embedder.tokenizer().truncated_count();
    if truncated > 0 {
        eprintln!(
            "note: {truncated} of {} inputs were cut at the model's limit of {} tokens",
            texts.len(),
            embedder.tokenizer().max_len()
        );
    }

    let mut out = std::io::stdout().lock();
    if args.similarity {
        write_similarity_table(&mut out, &texts, &embeddings)?;
    } else {
        for (text, embedding) in texts.iter().zip(&embeddings) {
            let line = serde_json::json!({ "text": text, "embedding": embedding });
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// A progress bar on stderr for long inputs when stderr is a terminal; hidden otherwise.
fn progress_bar(total: usize, batch: usize) -> ProgressBar {
    if total <= batch || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} sentences {per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// Cosine similarity of two L2-normalised vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    (dot / (na * nb).max(1e-12)) as f32
}

fn write_similarity_table(
    out: &mut impl Write,
    texts: &[&str],
    embeddings: &[Vec<f32>],
) -> std::io::Result<()> {
    let label = |i: usize| -> String {
        let t: String = texts[i].chars().take(40).collect();
        format!("[{i}] {t}")
    };
    for i in 0..texts.len() {
        writeln!(out, "{}", label(i))?;
    }
    write!(out, "\n{:>6}", "")?;
    for j in 0..texts.len() {
        write!(out, "{:>8}", format!("[{j}]"))?;
    }
    writeln!(out)?;
    for (i, a) in embeddings.iter().enumerate() {
        write!(out, "{:>6}", format!("[{i}]"))?;
        for b in embeddings {
            write!(out, "{:>8.3}", cosine(a, b))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
