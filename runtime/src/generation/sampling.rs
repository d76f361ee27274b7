//! Choosing the next token from logits: greedy, or seeded sampling with
//! temperature, top-k, top-p and a repetition penalty, applied in the order
//! Hugging Face's `generate` applies them.

use crate::error::{Error, Result};

/// How the next token is chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplingConfig {
    /// 0 means greedy (argmax); otherwise logits are divided by it.
    pub temperature: f32,
    /// Keep only the `top_k` most likely tokens (0: all).
    pub top_k: usize,
    /// Keep the smallest set of tokens whose probability reaches `top_p` (1: all).
    pub top_p: f32,
    /// Logits of tokens already seen are divided (if positive) or multiplied
    /// (if negative) by this (1: off), as in the CTRL paper and transformers.
    pub repetition_penalty: f32,
    /// Seed of the sampler's random numbers.
    pub seed: u64,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            repetition_penalty: 1.0,
            seed: 0,
        }
    }
}

impl SamplingConfig {
    /// Greedy decoding with no penalty: the next token is the argmax, which can be
    /// taken on the device without reading the logits back.
    pub fn is_plain_greedy(&self) -> bool {
        self.temperature == 0.0 && self.repetition_penalty == 1.0
    }

    /// An error naming the first setting out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| {
            Err(Error::InvalidArgument {
                op: "sampling",
                message,
            })
        };
        if !(self.temperature.is_finite() && self.temperature >= 0.0) {
            return bad(format!("temperature {} must be >= 0", self.temperature));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return bad(format!("top_p {} must be in (0, 1]", self.top_p));
        }
        if !(self.repetition_penalty.is_finite() && self.repetition_penalty > 0.0) {
            return bad(format!(
                "repetition_penalty {} must be > 0",
                self.repetition_penalty
            ));
        }
        Ok(())
    }
}

/// SplitMix64: small, fast, and the same on every platform (reproducible runs).
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A seeded sampler; the same seed, logits and history give the same tokens.
#[derive(Clone, Debug)]
pub struct Sampler {
    config: SamplingConfig,
    rng: SplitMix64,
}

impl Sampler {
    /// A sampler, after checking the settings.
    pub fn new(config: SamplingConfig) -> Result<Sampler> {
        config.validate()?;
        let rng = SplitMix64(config.seed);
        Ok(Sampler { config, rng })
    }

    /// The settings.
    pub fn config(&self) -> &SamplingConfig {
        &self.config
    }

    /// The next token given `logits` (one per vocabulary entry; modified in
    /// place) and the ids seen so far (for the repetition penalty). NaN logits
    /// count as -inf; an empty vocabulary is an error.
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> Result<u32> {
        if logits.is_empty() {
            return Err(Error::InvalidArgument {
                op: "sampling",
                message: "no logits".into(),
            });
        }
        for value in logits.iter_mut().filter(|v| v.is_nan()) {
            *value = f32::NEG_INFINITY;
        }
        let penalty = self.config.repetition_penalty;
        if penalty != 1.0 {
            let mut seen = history.to_vec();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                if let Some(v) = logits.get_mut(id as usize) {
                    *v = if *v > 0.0 { *v / penalty } else { *v * penalty };
                }
            }
        }
        if self.config.temperature == 0.0 {
            return Ok(argmax(logits));
        }
        let t = self.config.temperature as f64;
        // Candidates sorted by logit, highest first (ties: lower id first).
        let mut order: Vec<u32> = (0..logits.len() as u32).collect();
        order.sort_by(|&a, &b| {
            logits[b as usize]
                .total_cmp(&logits[a as usize])
                .then(a.cmp(&b))
        });
        if self.config.top_k > 0 {
            order.truncate(self.config.top_k);
        }
        let max = logits[order[0] as usize] as f64 / t;
        if !max.is_finite() {
            return Ok(order[0]); // every logit is -inf (or +inf): nothing to weigh
        }
        let mut probs: Vec<f64> = order
            .iter()
            .map(|&id| (logits[id as usize] as f64 / t - max).exp())
            .collect();
        let total: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= total);
        if self.config.top_p < 1.0 {
            let mut cumulative = 0.0;
            let keep = probs
                .iter()
                .position(|&p| {
                    cumulative += p;
                    cumulative >= self.config.top_p as f64
                })
                .map_or(probs.len(), |i| i + 1);
            order.truncate(keep);
            probs.truncate(keep);
            let total: f64 = probs.iter().sum();
            probs.iter_mut().for_each(|p| *p /= total);
        }
        let mut u = self.rng.next_f64();
        for (&id, &p) in order.iter().zip(&probs) {
            if u < p {
                return Ok(id);
            }
            u -= p;
        }
        Ok(*order.last().expect("at least one candidate"))
    }
}

/// Index of the largest value, the first one on ties (as torch.argmax).
pub fn argmax(values: &[f32]) -> u32 {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best as u32
}
