//! The BERT encoder: embeddings, self-attention layers, and the tensors they use.

use super::config::BertConfig;
use crate::error::{Result, ShapeError};
use crate::nn::{Embedding, LayerNorm, Linear};
use crate::tensor::Tensor;

/// Additive mask value for padded keys: large enough that `exp` underflows to 0,
/// small enough that `score + mask` stays finite in f32.
pub const MASKED_SCORE: f32 = -1.0e30;

/// One transformer layer (post-layernorm, as in BERT).
#[derive(Clone, Debug)]
pub struct BertLayer {
    /// Query projection.
    pub query: Linear,
    /// Key projection.
    pub key: Linear,
    /// Value projection.
    pub value: Linear,
    /// Attention output projection.
    pub attention_output: Linear,
    /// Layer norm after attention.
    pub attention_norm: LayerNorm,
    /// MLP up-projection (GELU follows).
    pub intermediate: Linear,
    /// MLP down-projection.
    pub output: Linear,
    /// Layer norm after the MLP.
    pub output_norm: LayerNorm,
}

/// Embedding tables and the embedding layer norm.
#[derive(Clone, Debug)]
pub struct BertEmbeddings {
    /// Token embeddings `[vocab, hidden]`.
    pub word: Embedding,
    /// Position embeddings `[max_positions, hidden]`.
    pub position: Tensor,
    /// Token-type embeddings `[type_vocab, hidden]`.
    pub token_type: Tensor,
    /// Layer norm after the sum.
    pub norm: LayerNorm,
}

/// A BERT encoder with weights on a device.
#[derive(Clone, Debug)]
pub struct BertEncoder {
    /// The architecture.
    pub config: BertConfig,
    /// Embeddings.
    pub embeddings: BertEmbeddings,
    /// Transformer layers.
    pub layers: Vec<BertLayer>,
}

impl BertEncoder {
    /// Final hidden states `[batch, seq, hidden]` for `ids` `[batch, seq]` (u32) and
    /// an additive key mask `[batch, 1, 1, seq]` (0 for tokens, [`MASKED_SCORE`] for padding).
    /// Token types are all 0.
    pub fn forward(&self, ids: &Tensor, key_mask: &Tensor) -> Result<Tensor> {
        let (batch, seq) = self.check_ids_shape(ids.shape())?;
        let words = self.embeddings.word.forward(ids)?; // [b, s, h]
        self.forward_words(&words, key_mask, batch, seq)
    }

    /// [`BertEncoder::forward`] of ids held on the host (`[batch, seq]`, row
    /// major): checked against the vocabulary on the host, no read-back.
    pub fn forward_host_ids(
        &self,
        ids: &[u32],
        shape: [usize; 2],
        key_mask: &Tensor,
    ) -> Result<Tensor> {
        let (batch, seq) = self.check_ids_shape(&shape)?;
        let words = self.embeddings.word.forward_host(ids, &shape)?; // [b, s, h]
        self.forward_words(&words, key_mask, batch, seq)
    }

    /// `[batch, seq]` of an ids shape, or a shape error.
    fn check_ids_shape(&self, shape: &[usize]) -> Result<(usize, usize)> {
        let (batch, seq) = match shape {
            &[b, s] => (b, s),
            other => {
                return Err(ShapeError::new("bert", "ids must be [batch, seq]", &[other]).into())
            }
        };
        let cfg = &self.config;
        if seq > cfg.max_position_embeddings {
            return Err(ShapeError::new(
                "bert",
                format!(
                    "sequence of {seq} tokens exceeds max_position_embeddings {}",
                    cfg.max_position_embeddings
                ),
                &[shape],
            )
            .into());
        }
        Ok((batch, seq))
    }

    /// The encoder from the word embeddings `[batch, seq, hidden]` on.
    fn forward_words(
        &self,
        words: &Tensor,
        key_mask: &Tensor,
        batch: usize,
        seq: usize,
    ) -> Result<Tensor> {
        let cfg = &self.config;
        let hidden = cfg.hidden_size;
        let positions = self.embeddings.position.narrow(0, 0..seq)?; // [s, h]
        let token_type = self.embeddings.token_type.narrow(0, 0..1)?; // [1, h]
        let x = words.add(&positions)?.add(&token_type)?;
        let mut x = self.embeddings.norm.forward(&x)?;
        for layer in &self.layers {
            x = self.layer_forward(layer, &x, key_mask, batch, seq)?;
        }
        debug_assert_eq!(x.shape(), [batch, seq, hidden]);
        Ok(x)
    }

    fn layer_forward(
        &self,
        layer: &BertLayer,
        x: &Tensor,
        key_mask: &Tensor,
        batch: usize,
        seq: usize,
    ) -> Result<Tensor> {
        let cfg = &self.config;
        let heads = cfg.num_attention_heads;
        let head_dim = cfg.hidden_size / heads;
        let split = |t: Tensor| -> Result<Tensor> {
            t.reshape(&[batch, seq, heads, head_dim])?
                .permute(&[0, 2, 1, 3])
        };
        // The 1/sqrt(d) scale goes on q ([b, nh, s, d]) rather than on the
        // scores ([b, nh, s, s]): one tensor of the largest shape fewer.
        let scale = 1.0 / (head_dim as f32).sqrt();
        let q = split(layer.query.forward(x)?)?.affine(scale, 0.0)?; // [b, nh, s, d]
        let k = split(layer.key.forward(x)?)?;
        let v = split(layer.value.forward(x)?)?;
        let scores = q.matmul(&k.transpose(2, 3)?)?; // [b, nh, s, s]
        let probs = scores.softmax(Some(key_mask))?;
        let context = probs
            .matmul(&v)? // [b, nh, s, d]
            .permute(&[0, 2, 1, 3])?
            .reshape(&[batch, seq, cfg.hidden_size])?;
        let attended = layer.attention_output.forward(&context)?.add(x)?;
        let x = layer.attention_norm.forward(&attended)?;
        let h = layer.intermediate.forward(&x)?.gelu()?;
        let out = layer.output.forward(&h)?.add(&x)?;
        layer.output_norm.forward(&out)
    }
}
