//! `tessera generate` and `tessera bench generate` on the tiny reference
//! checkpoints: greedy ids as transformers gives them, streamed text, sampling
//! reproducible by seed, clear errors for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn model(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/decoders")
        .join(name)
}

fn reference(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(model(name).join("reference.json")).unwrap())
        .unwrap()
}

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .output()
        .expect("run tessera")
}

fn ids_arg(v: &serde_json::Value) -> String {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn generate_json_gives_the_transformers_greedy_ids() {
    for (name, path) in [
        ("tiny-llama", model("tiny-llama")),
        ("tiny-qwen2", model("tiny-qwen2").join("model-q8_0.gguf")),
    ] {
        let r = reference(name);
        let expected = if name == "tiny-qwen2" { &r["q8_0"] } else { &r };
        let prompt = ids_arg(&r["prompt_ids"]);
        let out = tessera(&[
            "generate",
            "--model",
            path.to_str().unwrap(),
            "--prompt-ids",
            &prompt,
            "--max-new-tokens",
            "24",
            "--ignore-eos",
            "--json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["ids"], expected["greedy_ids"], "{name}");
        assert_eq!(json["prompt_ids"], r["prompt_ids"], "{name}");
        assert!(json["text"].is_string());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("tokens/s"), "{stderr}");
    }
}

#[test]
fn generate_streams_text_and_sampling_is_reproducible() {
    let dir = model("tiny-qwen2");
    let run = |seed: &str| {
        let out = tessera(&[
            "generate",
            "--model",
            dir.to_str().unwrap(),
            "--prompt",
            "The quick brown fox",
            "--bos",
            "--max-new-tokens",
            "16",
            "--temperature",
            "0.9",
            "--top-k",
            "40",
            "--top-p",
            "0.95",
            "--repetition-penalty",
            "1.1",
            "--seed",
            seed,
            "--ignore-eos",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let a = run("5");
    assert!(!a.trim().is_empty());
    assert_eq!(a, run("5"));
    assert_ne!(a, run("6"));
}

#[test]
fn generate_rejects_bad_input_with_a_message() {
    let dir = model("tiny-llama");
    let dir = dir.to_str().unwrap();
    for (args, needle) in [
        (vec!["--prompt-ids", "1,99999"], "out of range"),
        (
            vec!["--prompt-ids", "1,2", "--max-new-tokens", "100000"],
            "context",
        ),
        (vec!["--prompt-ids", "1,2", "--top-p", "0"], "top_p"),
        (
            vec!["--prompt-ids", "1,2", "--temperature=-1"],
            "temperature",
        ),
    ] {
        let mut full = vec!["generate", "--model", dir];
        full.extend(args.iter());
        let out = tessera(&full);
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = tessera(&[
        "generate",
        "--model",
        "/nonexistent/model.gguf",
        "--prompt-ids",
        "1",
    ]);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn max_new_tokens_zero_generates_nothing_and_reports_no_speed() {
    let dir = model("tiny-llama");
    let dir = dir.to_str().unwrap();
    let base = ["generate", "--model", dir, "--max-new-tokens", "0"];
    for prompt in [["--prompt-ids", "1,2,3"], ["--prompt", "hello world"]] {
        let out = tessera(&[&base[..], &prompt[..]].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{prompt:?}: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "",
            "{prompt:?}"
        );
        let summary = stderr.lines().last().unwrap_or("");
        assert!(
            summary.contains("not run; generation: 0 tokens (MaxTokens)"),
            "{prompt:?}: {stderr}"
        );
        assert!(!stderr.contains("tokens/s"), "{prompt:?}: {stderr}");
    }
    let out = tessera(&[&base[..], &["--prompt-ids", "1,2,3", "--json"][..]].concat());
    assert!(out.status.success());
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(line["ids"], serde_json::json!([]));
    assert_eq!(line["prompt_ids"], serde_json::json!([1, 2, 3]));
    assert_eq!(line["prompt_tokens_per_second"], 0.0);
    assert_eq!(line["decode_tokens_per_second"], 0.0);
    // Ids outside the vocabulary are still refused.
    let out = tessera(&[&base[..], &["--prompt-ids", "1,99999"][..]].concat());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("out of range"));
}

#[test]
fn bench_generate_prints_one_json_object_per_format() {
    let out = tessera(&[
        "bench",
        "generate",
        "--preset",
        "tiny",
        "--formats",
        "f32,q4_0,q4_k,q6_k",
        "--prompt-tokens",
        "16",
        "--decode-tokens",
        "4",
        "--reps",
        "1",
        "--warmup",
        "1",
        "--copy-elements",
        "65536",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let generate: Vec<_> = lines.iter().filter(|l| l["op"] == "generate").collect();
    assert_eq!(generate.len(), 4, "{lines:?}");
    let formats: Vec<_> = generate.iter().map(|g| g["format"].as_str()).collect();
    assert_eq!(
        formats,
        [Some("f32"), Some("q4_0"), Some("q4_k"), Some("q6_k")],
        "{lines:?}"
    );
    for g in generate {
        assert!(g["decode_tokens_per_s"].as_f64().unwrap() > 0.0);
        assert!(g["prompt_tokens_per_s"].as_f64().unwrap() > 0.0);
        assert!(g["decode_fraction_of_copy"].as_f64().unwrap() > 0.0);
        assert_eq!(g["weights"], "random");
    }
}

#[test]
fn prompt_ids_need_no_tokenizer_and_text_names_why_there_is_none() {
    use tessera_runtime::loaders::gguf::{GgufModelFile, GgufValue, GgufWriter};
    let source = GgufModelFile::open(&model("tiny-llama").join("model-f32.gguf")).unwrap();
    let mut writer = GgufWriter::copy_of(&source).unwrap();
    writer.set_metadata(
        "tokenizer.ggml.pre",
        GgufValue::String("no-such-pre".into()),
    );
    let dir = std::env::temp_dir().join(format!("tessera-cli-no-tok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.gguf");
    writer.write(&path).unwrap();
    let path = path.to_str().unwrap();

    let r = reference("tiny-llama");
    let prompt = ids_arg(&r["prompt_ids"]);
    let out = tessera(&[
        "generate",
        "--model",
        path,
        "--prompt-ids",
        &prompt,
        "--max-new-tokens",
        "24",
        "--ignore-eos",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("no-such-pre"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ids"], r["greedy_ids"]);
    assert!(json["text"].is_null(), "{}", json["text"]);

    let out = tessera(&["generate", "--model", path, "--prompt", "The quick"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("no-such-pre"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_gguf_naming_the_smollm_pre_tokenizer_takes_text_prompts() {
    // Issue #15: SmolLM2's GGUF says tokenizer.ggml.pre = "smollm" (digits one
    // by one before GPT-2's regex); `--prompt` stopped at once.
    use tessera_runtime::loaders::gguf::{GgufModelFile, GgufValue, GgufWriter};
    let source = GgufModelFile::open(&model("tiny-smollm2").join("model-f32.gguf")).unwrap();
    let mut writer = GgufWriter::copy_of(&source).unwrap();
    writer.set_metadata("tokenizer.ggml.pre", GgufValue::String("smollm".into()));
    let dir = std::env::temp_dir().join(format!("tessera-cli-smollm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.gguf");
    writer.write(&path).unwrap();
    let out = tessera(&[
        "generate",
        "--model",
        path.to_str().unwrap(),
        "--prompt",
        "fox 123",
        "--max-new-tokens",
        "3",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The digits end the prompt as the byte-level ids of "1", "2", "3" (this
    // tiny vocabulary has no digit merges; the splits of every pre-tokenizer
    // are checked against the tokenizers library in gguf_pretokenizers_tests).
    let vocab: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(model("tiny-smollm2").join("tokenizer.json")).unwrap(),
    )
    .unwrap();
    let id = |t: &str| vocab["model"]["vocab"][t].clone();
    let prompt = json["prompt_ids"].as_array().unwrap();
    assert_eq!(
        prompt[prompt.len() - 3..],
        [id("1"), id("2"), id("3")],
        "{prompt:?}"
    );
    assert_eq!(json["ids"].as_array().unwrap().len(), 3);
    assert!(json["text"].is_string());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_generate_streams_compares_one_stream_with_n() {
    let args = [
        "bench",
        "generate",
        "--preset",
        "tiny",
        "--formats",
        "f32,q8_0",
        "--streams",
        "3",
        "--prompt-tokens",
        "5",
        "--decode-tokens",
        "3",
        "--reps",
        "1",
        "--warmup",
        "1",
        "--json",
    ];
    let out = tessera(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (line, format) in lines.iter().zip(["f32", "q8_0"]) {
        assert_eq!(line["op"], "generate_streams", "{line}");
        assert_eq!(line["format"], format, "{line}");
        assert_eq!(line["streams"], 3, "{line}");
        let one = line["one_stream_tokens_per_s"].as_f64().unwrap();
        let many = line["streams_tokens_per_s"].as_f64().unwrap();
        assert!(one > 0.0 && many > 0.0, "{line}");
    }
    // One stream is no comparison.
    let mut one = args.to_vec();
    one[7] = "1";
    let out = tessera(&one);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--streams"));
}
