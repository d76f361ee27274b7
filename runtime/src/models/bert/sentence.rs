//! Sentence embeddings: tokenize, encode, mean-pool over the mask, L2-normalise
//! (sentence-transformers' recipe for all-MiniLM-L6-v2 and its relatives).

use super::config::{BertConfig, PoolingConfig};
use super::encoder::{BertEncoder, MASKED_SCORE};
use super::load::load_encoder;
use crate::error::{Error, Result, ShapeError};
use crate::loaders::{LoadError, SafetensorsFile};
use crate::tensor::Tensor;
use crate::tokenizer::TextTokenizer;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tessera_hal::Device;
use web_time::Instant;

/// Longest input in tokens, as sentence-transformers sets for this model family.
pub const DEFAULT_MAX_TOKENS: usize = 256;

/// Where the time of an embedding call went.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EmbedTimings {
    /// Tokenizing the texts.
    pub tokenize: Duration,
    /// Building and uploading ids and masks.
    pub upload: Duration,
    /// Recording the forward pass and running it on the device.
    pub gpu: Duration,
    /// Reading the embeddings back.
    pub readback: Duration,
}

impl std::ops::AddAssign for EmbedTimings {
    fn add_assign(&mut self, o: EmbedTimings) {
        self.tokenize += o.tokenize;
        self.upload += o.upload;
        self.gpu += o.gpu;
        self.readback += o.readback;
    }
}

/// A sentence-embedding model on a device.
pub struct SentenceEmbedder {
    encoder: BertEncoder,
    tokenizer: TextTokenizer,
    device: Arc<dyn Device>,
    /// The folder it was loaded from (`None` when built from parts).
    // Read by `recover`, which the web (no files to reload from) lacks.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    source: Option<PathBuf>,
}

impl SentenceEmbedder {
    /// Load a sentence-transformers folder (`config.json`, `model.safetensors`,
    /// `tokenizer.json`, `1_Pooling/config.json`) onto `device`.
    pub fn load(dir: &Path, device: &Arc<dyn Device>) -> Result<SentenceEmbedder> {
        let config = BertConfig::from_file(&dir.join("config.json"))?;
        let pooling_path = dir.join("1_Pooling").join("config.json");
        if pooling_path.exists() {
            let pooling = PoolingConfig::from_file(&pooling_path)?;
            if !pooling.is_mean_pooling() {
                return Err(LoadError::BadConfig {
                    path: pooling_path,
                    message: "only mean pooling is supported".into(),
                }
                .into());
            }
        }
        let encoder = load_weights(dir, &config, device)?;
        let max_tokens = DEFAULT_MAX_TOKENS.min(config.max_position_embeddings);
        let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json"), max_tokens)?;
        Ok(SentenceEmbedder {
            encoder,
            tokenizer,
            device: device.clone(),
            source: Some(dir.to_path_buf()),
        })
    }

    /// Load from the bytes of a sentence-transformers folder's files (the
    /// web's way in, where files arrive by fetch): `config.json`'s text,
    /// `tokenizer.json` and `model.safetensors`. Mean pooling is assumed (the
    /// folder's `1_Pooling/config.json` is not read).
    pub fn from_bytes(
        config_json: &str,
        tokenizer_json: &[u8],
        safetensors: Vec<u8>,
        device: &Arc<dyn Device>,
    ) -> Result<SentenceEmbedder> {
        let config = BertConfig::from_json(Path::new("config.json"), config_json)?;
        let weights = SafetensorsFile::from_bytes(Path::new("model.safetensors"), safetensors)?;
        let encoder = load_encoder(&config, &weights, device)?;
        let max_tokens = DEFAULT_MAX_TOKENS.min(config.max_position_embeddings);
        let tokenizer =
            TextTokenizer::from_bytes(Path::new("tokenizer.json"), tokenizer_json, max_tokens)?;
        Ok(SentenceEmbedder::from_parts(
            encoder,
            tokenizer,
            device.clone(),
        ))
    }

    /// Whether its device is lost (out of memory, driver reset): every call
    /// fails until [`SentenceEmbedder::recover`].
    pub fn is_device_lost(&self) -> bool {
        self.device.is_lost()
    }

    /// Open a fresh device on the same adapter and reload the weights from the
    /// model folder: the way back from a lost device without restarting the
    /// process. Errors: an embedder built from parts (nothing to reload from),
    /// the adapter gone, the reload failing.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn recover(&mut self) -> Result<()> {
        let Some(dir) = &self.source else {
            return Err(Error::InvalidArgument {
                op: "recover",
                message: "the embedder was built from parts: no folder to reload".into(),
            });
        };
        // The old device's free buffers go first: the new one may need the room.
        self.device.trim_pool();
        let device = tessera_hal::reopen_device(&*self.device)?;
        self.encoder = load_weights(dir, &self.encoder.config, &device)?;
        self.device = device;
        Ok(())
    }

    /// Build from parts (e.g. a random-weight encoder for benchmarks).
    pub fn from_parts(
        encoder: BertEncoder,
        tokenizer: TextTokenizer,
        device: Arc<dyn Device>,
    ) -> SentenceEmbedder {
        SentenceEmbedder {
            encoder,
            tokenizer,
            device,
            source: None,
        }
    }

    /// The architecture.
    pub fn config(&self) -> &BertConfig {
        &self.encoder.config
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// The device it runs on.
    pub fn device(&self) -> &Arc<dyn Device> {
        &self.device
    }

    /// Embed `texts` as one batch: one L2-normalised vector per text.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(self.embed_timed(texts)?.0)
    }

    /// Embed `texts` in batches of `batch_size`, calling `progress(done)` after
    /// each; the vectors come back in the order of `texts`. Texts are
    /// tokenized a window at a time and grouped by length before batching (as
    /// sentence-transformers does), so a batch pads to a length close to its
    /// own texts' and memory follows the batch actually run. Errors: a zero
    /// `batch_size`, and those of [`SentenceEmbedder::embed`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn embed_batched(
        &self,
        texts: &[&str],
        batch_size: usize,
        progress: impl FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        pollster::block_on(self.embed_batched_async(texts, batch_size, progress))
    }

    /// [`SentenceEmbedder::embed_batched`] without blocking (the web's way;
    /// native waits on this).
    pub async fn embed_batched_async(
        &self,
        texts: &[&str],
        batch_size: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        if batch_size == 0 {
            return Err(Error::InvalidArgument {
                op: "embed",
                message: "the batch size must be at least 1".into(),
            });
        }
        let window = batch_size.saturating_mul(SORT_WINDOW_BATCHES).max(1);
        let mut out = Vec::with_capacity(texts.len());
        for window_texts in texts.chunks(window) {
            let ids = self.tokenizer.encode_batch(window_texts)?;
            let mut embedded: Vec<Option<Vec<f32>>> = vec![None; ids.len()];
            for batch in length_sorted_batches(&ids, batch_size) {
                let batch_ids: Vec<Vec<u32>> = batch.iter().map(|&i| ids[i].clone()).collect();
                for (&i, vector) in batch.iter().zip(self.embed_ids_async(&batch_ids).await?) {
                    embedded[i] = Some(vector);
                }
                progress(out.len() + embedded.iter().filter(|e| e.is_some()).count());
            }
            out.extend(embedded.into_iter().flatten());
        }
        Ok(out)
    }

    /// Like [`SentenceEmbedder::embed`], also reporting where the time went.
    pub fn embed_timed(&self, texts: &[&str]) -> Result<(Vec<Vec<f32>>, EmbedTimings)> {
        let start = Instant::now();
        let ids = self.tokenizer.encode_batch(texts)?;
        let tokenize = start.elapsed();
        let (embeddings, mut timings) = self.embed_ids_timed(&ids)?;
        timings.tokenize = tokenize;
        Ok((embeddings, timings))
    }

    /// Embed already tokenized inputs (ids include the special tokens).
    pub fn embed_ids(&self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        Ok(self.embed_ids_timed(ids)?.0)
    }

    /// Final hidden states `[batch, seq, hidden]` of padded `ids`, with the padded
    /// length; for checking against reference hidden states.
    pub fn hidden_states(&self, ids: &[Vec<u32>]) -> Result<Tensor> {
        let batch = PaddedBatch::new(ids, &self.device)?;
        self.encoder
            .forward_host_ids(&batch.ids, batch.shape, &batch.key_mask)
    }

    fn embed_ids_timed(&self, ids: &[Vec<u32>]) -> Result<(Vec<Vec<f32>>, EmbedTimings)> {
        if ids.is_empty() {
            return Ok((Vec::new(), EmbedTimings::default()));
        }
        let (embeddings, upload, t1) = self.record_embeddings(ids)?;
        self.device.synchronize()?;
        let gpu = t1.elapsed();
        let t2 = Instant::now();
        let flat = embeddings.to_vec::<f32>()?;
        let readback = t2.elapsed();
        let timings = EmbedTimings {
            tokenize: Duration::ZERO,
            upload,
            gpu,
            readback,
        };
        Ok((self.rows(&flat), timings))
    }

    /// [`SentenceEmbedder::embed`] without blocking: the same forward pass,
    /// read back through the device's async read (the web's only way).
    pub async fn embed_async(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let ids = self.tokenizer.encode_batch(texts)?;
        self.embed_ids_async(&ids).await
    }

    /// [`SentenceEmbedder::embed_ids`] without blocking.
    pub async fn embed_ids_async(&self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (embeddings, _, _) = self.record_embeddings(ids)?;
        let flat = embeddings.to_vec_async::<f32>().await?;
        Ok(self.rows(&flat))
    }

    /// Upload `ids` and record the forward pass, pooling and normalisation:
    /// the `[batch, hidden]` embeddings (not yet read), the upload time and
    /// when recording started.
    fn record_embeddings(&self, ids: &[Vec<u32>]) -> Result<(Tensor, Duration, Instant)> {
        let t0 = Instant::now();
        let batch = PaddedBatch::new(ids, &self.device)?;
        self.device.flush()?;
        let upload = t0.elapsed();
        let t1 = Instant::now();
        let hidden = self
            .encoder
            .forward_host_ids(&batch.ids, batch.shape, &batch.key_mask)?; // [b, s, h]
        let b = ids.len();
        let h = self.encoder.config.hidden_size;
        let pooled = batch.pool_weights.matmul(&hidden)?.reshape(&[b, h])?;
        let sum_sq = pooled.mul(&pooled)?.sum(1)?.reshape(&[b, 1])?;
        // F.normalize: x / max(||x||, 1e-12) == x * rsqrt(max(||x||^2, 1e-24)).
        let floor = Tensor::from_slice(&self.device, &[1e-24f32], &[1])?;
        let embeddings = pooled.mul(&sum_sq.maximum(&floor)?.rsqrt()?)?;
        Ok((embeddings, upload, t1))
    }

    /// Split flat `[batch, hidden]` values into one vector per text.
    fn rows(&self, flat: &[f32]) -> Vec<Vec<f32>> {
        let h = self.encoder.config.hidden_size;
        flat.chunks_exact(h).map(<[f32]>::to_vec).collect()
    }
}

/// Batches grouped by length per window of [`SentenceEmbedder::embed_batched`].
const SORT_WINDOW_BATCHES: usize = 64;

/// Indices of `ids` in batches of at most `batch_size`, longest sequences
/// first, so that each batch holds sequences of similar length; ties keep
/// their input order.
fn length_sorted_batches(ids: &[Vec<u32>], batch_size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
    order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect()
}

/// The encoder's weights from `dir/model.safetensors` onto `device`.
fn load_weights(dir: &Path, config: &BertConfig, device: &Arc<dyn Device>) -> Result<BertEncoder> {
    let weights = SafetensorsFile::open(&dir.join("model.safetensors"))?;
    load_encoder(config, &weights, device)
}

/// Ids padded to the longest sequence, with the attention key mask and the
/// mean-pooling weights (1/len on real tokens, 0 on padding).
struct PaddedBatch {
    /// The padded ids, `[batch, seq]` row major, on the host (the encoder
    /// checks them there and uploads them).
    ids: Vec<u32>,
    shape: [usize; 2],
    key_mask: Tensor,
    pool_weights: Tensor,
}

impl PaddedBatch {
    fn new(ids: &[Vec<u32>], device: &Arc<dyn Device>) -> Result<PaddedBatch> {
        let b = ids.len();
        let s = ids.iter().map(Vec::len).max().unwrap_or(0);
        if let Some(i) = ids.iter().position(Vec::is_empty) {
            return Err(Error::Shape(ShapeError::new(
                "embed",
                format!("sequence {i} has no tokens"),
                &[&[b, s]],
            )));
        }
        let mut flat = vec![0u32; b * s];
        let mut mask = vec![MASKED_SCORE; b * s];
        let mut pool = vec![0f32; b * s];
        for (i, seq) in ids.iter().enumerate() {
            flat[i * s..i * s + seq.len()].copy_from_slice(seq);
            for j in 0..seq.len() {
                mask[i * s + j] = 0.0;
                pool[i * s + j] = 1.0 / seq.len() as f32;
            }
        }
        Ok(PaddedBatch {
            ids: flat,
            shape: [b, s],
            key_mask: Tensor::from_slice(device, &mask, &[b, 1, 1, s])?,
            pool_weights: Tensor::from_slice(device, &pool, &[b, 1, s])?,
        })
    }
}

/// The default model folder: `TESSERA_MODEL_DIR`, else `.cache/models/all-MiniLM-L6-v2`
/// under the current directory.
pub fn default_model_dir() -> PathBuf {
    std::env::var_os("TESSERA_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".cache/models/all-MiniLM-L6-v2"))
}
