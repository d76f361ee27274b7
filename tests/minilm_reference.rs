//! all-MiniLM-L6-v2 end to end against PyTorch's outputs in ../shared/refs:
//! token ids exactly, hidden states, embeddings (max |Δ| <= 1e-4, cosine >= 0.9999),
//! batching independence. Needs the model folder (scripts/fetch-model.sh); CI
//! fetches it, elsewhere the test says it skipped.

mod common;

use common::*;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_runtime::models::bert::SentenceEmbedder;

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn embedder(dev: &Arc<dyn Device>, dir: &std::path::Path) -> SentenceEmbedder {
    SentenceEmbedder::load(dir, dev)
        .unwrap_or_else(|e| panic!("loading the model on {}: {e}", label(dev)))
}

#[test]
fn token_ids_match_exactly() {
    let Some(dir) = model_dir() else { return };
    let reference = load_reference();
    let tok =
        tessera_runtime::tokenizer::TextTokenizer::from_file(&dir.join("tokenizer.json"), 256)
            .unwrap();
    let texts: Vec<&str> = reference.texts.iter().map(String::as_str).collect();
    let ids = tok.encode_batch(&texts).unwrap();
    for (i, (got, want)) in ids.iter().zip(&reference.ids).enumerate() {
        assert_eq!(
            got, want,
            "token ids of item {i} ({:?})",
            reference.texts[i]
        );
    }
}

#[test]
fn embeddings_match_pytorch_in_one_padded_batch() {
    let Some(dir) = model_dir() else { return };
    let reference = load_reference();
    let texts: Vec<&str> = reference.texts.iter().map(String::as_str).collect();
    for dev in test_devices() {
        let model = embedder(dev, &dir);
        let got = model.embed(&texts).unwrap();
        for (i, (g, w)) in got.iter().zip(&reference.embeddings).enumerate() {
            let diff = max_abs_diff(g, w);
            let cos = cosine(g, w);
            eprintln!(
                "{} item {i}: max |Δ| {diff:.2e}, cosine {cos:.7}",
                label(dev)
            );
            assert!(
                diff <= 1e-4,
                "item {i} on {}: max |Δ| {diff} > 1e-4",
                label(dev)
            );
            assert!(
                cos >= 0.9999,
                "item {i} on {}: cosine {cos} < 0.9999",
                label(dev)
            );
        }
    }
}

#[test]
fn embedding_does_not_depend_on_batch_mates() {
    let Some(dir) = model_dir() else { return };
    let reference = load_reference();
    let dev = &test_devices()[0];
    let model = embedder(dev, &dir);
    let texts: Vec<&str> = reference.texts.iter().map(String::as_str).collect();
    let together = model.embed(&texts).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let alone = model.embed(&[text]).unwrap();
        let diff = max_abs_diff(&alone[0], &together[i]);
        assert!(diff <= 1e-5, "item {i}: alone vs batched differ by {diff}");
    }
}

#[test]
fn batched_embedding_groups_by_length_and_keeps_the_input_order() {
    let Some(dir) = model_dir() else { return };
    let reference = load_reference();
    let dev = &test_devices()[0];
    let model = embedder(dev, &dir);
    // Reversed, so that length grouping reorders inside each batch of 3.
    let order: Vec<usize> = (0..reference.texts.len()).rev().collect();
    let texts: Vec<&str> = order.iter().map(|&i| reference.texts[i].as_str()).collect();
    let mut reported = Vec::new();
    let got = model
        .embed_batched(&texts, 3, |done| reported.push(done))
        .unwrap();
    assert_eq!(got.len(), texts.len());
    assert_eq!(reported.last(), Some(&texts.len()), "progress {reported:?}");
    assert!(
        reported.windows(2).all(|w| w[0] < w[1]),
        "progress {reported:?}"
    );
    for (g, &i) in got.iter().zip(&order) {
        let diff = max_abs_diff(g, &reference.embeddings[i]);
        assert!(
            diff <= 1e-4,
            "item {i} ({:?}): max |Δ| {diff}",
            reference.texts[i]
        );
    }
    assert!(matches!(
        model.embed_batched(&texts, 0, |_| ()),
        Err(tessera_runtime::Error::InvalidArgument { .. })
    ));
}

#[test]
fn first_hidden_states_match() {
    let Some(dir) = model_dir() else { return };
    let reference = load_reference();
    let dev = &test_devices()[0];
    let model = embedder(dev, &dir);
    let h = model.config().hidden_size;
    for (i, ids) in reference.ids.iter().enumerate() {
        let want = &reference.first4_hidden[i];
        if want.is_empty() {
            continue;
        }
        let hidden = model
            .hidden_states(std::slice::from_ref(ids))
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        for (t, row) in want.iter().enumerate() {
            let diff = max_abs_diff(&hidden[t * h..(t + 1) * h], row);
            assert!(
                diff <= 1e-3,
                "item {i} token {t}: hidden state max |Δ| {diff}"
            );
        }
    }
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let Some(dir) = model_dir() else { return };
    let dev = &test_devices()[0];
    let model = embedder(dev, &dir);
    let vocab = model.config().vocab_size as u32;
    match model.embed_ids(&[vec![101, vocab + 5, 102]]) {
        Err(tessera_runtime::Error::IndexOutOfRange { index, .. }) => {
            assert_eq!(index, (vocab + 5) as i64)
        }
        other => panic!("expected IndexOutOfRange, got {:?}", other.map(|_| ())),
    }
    let too_long = vec![100u32; model.config().max_position_embeddings + 1];
    assert!(model.embed_ids(&[too_long]).is_err());
    assert!(model.embed_ids(&[vec![]]).is_err());
    assert!(SentenceEmbedder::load(&dir.join("no-such-folder"), dev).is_err());
}

#[test]
fn embed_command_prints_json_lines_and_a_similarity_table() {
    let Some(dir) = model_dir() else { return };
    let reference = load_reference();
    let tessera = env!("CARGO_BIN_EXE_tessera");
    let out = std::process::Command::new(tessera)
        .args([
            "embed",
            "--model",
            dir.to_str().unwrap(),
            &reference.texts[0],
            &reference.texts[1],
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["text"].as_str().unwrap(), reference.texts[i]);
        let e: Vec<f32> = line["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        assert!(max_abs_diff(&e, &reference.embeddings[i]) <= 1e-4);
    }
    // Sentences from stdin, similarity table out.
    let mut child = std::process::Command::new(tessera)
        .args([
            "embed",
            "--model",
            dir.to_str().unwrap(),
            "--similarity",
            "--batch",
            "2",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a cat\na kitten\nthe stock market\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("[2] the stock market") && text.contains("1.000"),
        "{text}"
    );
}

/// The embed example's code, compiled into this test.
#[path = "../examples/embed.rs"]
mod embed_example;

#[test]
fn embed_example_ranks_the_related_sentence_higher() {
    let Some(dir) = model_dir() else { return };
    let cosines = embed_example::run(&dir).expect("the embed example runs");
    assert!(
        cosines[0] > cosines[1] + 0.2,
        "bread/recipe should beat bread/train: {cosines:?}"
    );
}
