//! Sentence embeddings in a few lines: load all-MiniLM-L6-v2, embed, compare.
//!
//! `cargo run --example embed -- [MODEL_DIR]` (default: $TESSERA_MODEL_DIR or
//! .cache/models/all-MiniLM-L6-v2; fetch it with scripts/fetch-model.sh).

use std::path::{Path, PathBuf};
use tessera::prelude::*;
use tessera::runtime::models::bert::default_model_dir;

#[allow(dead_code)] // the tests call `run` directly
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(default_model_dir);
    run(&dir).map(|_| ())
}

/// Embed three sentences with the model in `dir`; returns the cosines it prints.
pub fn run(dir: &Path) -> Result<Vec<f32>, Box<dyn std::error::Error>> {
    let device = open_default_device()?;
    let model = SentenceEmbedder::load(dir, &device)?;
    let sentences = [
        "How do I bake bread?",
        "A recipe for a simple loaf.",
        "The train leaves at noon.",
    ];
    let embeddings = model.embed(&sentences)?; // L2-normalised: cosine = dot product

    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    println!("adapter: {}", device.adapter().summary());
    let mut cosines = Vec::new();
    for (i, s) in sentences.iter().enumerate().skip(1) {
        let cos = dot(&embeddings[0], &embeddings[i]);
        println!("cos({:?}, {s:?}) = {cos:.3}", sentences[0]);
        cosines.push(cos);
    }
    Ok(cosines)
}
