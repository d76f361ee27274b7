//! Llama 3.x rotary scaling (`rope_type: "llama3"`): low frequencies divided
//! by `factor`, high ones kept, a smooth blend between, so a model trained on
//! `original_max_position_embeddings` positions reaches a longer context.
//!
//! A Hugging Face `config.json` gives the four parameters (in `rope_scaling`,
//! or transformers 5's `rope_parameters`); llama.cpp's GGUF stores the result,
//! one divisor per rotary pair, as the tensor `rope_freqs.weight`. Both become
//! the same per-pair divisors of the inverse frequencies ([`RopeTables`]).
//!
//! [`RopeTables`]: super::rope_tables::RopeTables

use crate::loaders::limits::{FieldCheck, MAX_CONTEXT, MAX_ROPE_SCALING_FACTOR};
use crate::loaders::LoadError;
use serde_json::Value;
use std::path::Path;

/// The parameters of Llama 3's rotary scaling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Llama3RopeScaling {
    /// Divisor of the lowest frequencies.
    pub factor: f64,
    /// Wavelengths above `original / low_freq_factor` are divided by `factor`.
    pub low_freq_factor: f64,
    /// Wavelengths below `original / high_freq_factor` are kept.
    pub high_freq_factor: f64,
    /// The context the model was first trained on.
    pub original_max_position_embeddings: usize,
}

impl Llama3RopeScaling {
    /// The scaling a config.json asks for: `scaling` is its `rope_scaling` or
    /// `rope_parameters` object (`None` or null: none). `rope_type` (or the
    /// older `type`) `"default"` is no scaling, `"llama3"` this one; any other
    /// type is an error naming it, as is a missing, non-finite or out-of-range
    /// parameter.
    pub fn from_hf(path: &Path, scaling: Option<&Value>) -> Result<Option<Self>, LoadError> {
        let check = FieldCheck::new(path);
        let Some(scaling) = scaling.filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let kind = scaling
            .get("rope_type")
            .or_else(|| scaling.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("default");
        match kind {
            "default" => return Ok(None),
            "llama3" => {}
            other => {
                return Err(check.error(
                    "rope_scaling",
                    format!("rope_type {other:?} is not supported (default, llama3)"),
                ))
            }
        }
        let number = |key: &str| -> Result<f64, LoadError> {
            scaling.get(key).and_then(Value::as_f64).ok_or_else(|| {
                check.error(&format!("rope_scaling.{key}"), "is missing or not a number")
            })
        };
        let original = scaling
            .get("original_max_position_embeddings")
            .and_then(Value::as_u64)
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| {
                check.error(
                    "rope_scaling.original_max_position_embeddings",
                    "is missing or not a count",
                )
            })?;
        let scaling = Llama3RopeScaling {
            factor: number("factor")?,
            low_freq_factor: number("low_freq_factor")?,
            high_freq_factor: number("high_freq_factor")?,
            original_max_position_embeddings: original,
        };
        scaling.validate(&check)?;
        Ok(Some(scaling))
    }

    /// Every parameter finite, positive and capped, and the high-frequency
    /// bound above the low one (their difference divides).
    fn validate(&self, check: &FieldCheck) -> Result<(), LoadError> {
        let cap = MAX_ROPE_SCALING_FACTOR;
        check.positive("rope_scaling.factor", self.factor, cap)?;
        check.positive("rope_scaling.low_freq_factor", self.low_freq_factor, cap)?;
        check.positive("rope_scaling.high_freq_factor", self.high_freq_factor, cap)?;
        check.count(
            "rope_scaling.original_max_position_embeddings",
            self.original_max_position_embeddings,
            MAX_CONTEXT,
        )?;
        if self.high_freq_factor <= self.low_freq_factor {
            return Err(check.error(
                "rope_scaling.high_freq_factor",
                format!(
                    "{} must exceed low_freq_factor {}",
                    self.high_freq_factor, self.low_freq_factor
                ),
            ));
        }
        Ok(())
    }

    /// The divisor of each rotary pair's inverse frequency (`head_dim / 2` of
    /// them): 1 for short wavelengths, `factor` for long ones, the smooth
    /// blend between (what llama.cpp writes as `rope_freqs.weight`).
    pub fn freq_factors(&self, head_dim: usize, theta: f64) -> Vec<f32> {
        let original = self.original_max_position_embeddings as f64;
        let low_wavelen = original / self.low_freq_factor;
        let high_wavelen = original / self.high_freq_factor;
        (0..head_dim / 2)
            .map(|i| {
                let inv_freq = 1.0 / theta.powf((2 * i) as f64 / head_dim as f64);
                let wavelen = 2.0 * std::f64::consts::PI / inv_freq;
                let divisor = if wavelen < high_wavelen {
                    1.0
                } else if wavelen > low_wavelen {
                    self.factor
                } else {
                    let smooth = (original / wavelen - self.low_freq_factor)
                        / (self.high_freq_factor - self.low_freq_factor);
                    1.0 / ((1.0 - smooth) / self.factor + smooth)
                };
                divisor as f32
            })
            .collect()
    }
}

/// Check the per-pair divisors read from a file (`rope_freqs.weight`): one per
/// rotary pair, each finite and in `(0, MAX_ROPE_SCALING_FACTOR]`.
pub fn check_freq_factors(
    path: &Path,
    field: &str,
    factors: &[f32],
    head_dim: usize,
) -> Result<(), LoadError> {
    let check = FieldCheck::new(path);
    if factors.len() != head_dim / 2 {
        return Err(check.error(
            field,
            format!(
                "{} values, but the head has {} rotary pairs",
                factors.len(),
                head_dim / 2
            ),
        ));
    }
    for &f in factors {
        check.positive(field, f64::from(f), MAX_ROPE_SCALING_FACTOR)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Option<Llama3RopeScaling>, LoadError> {
        Llama3RopeScaling::from_hf(Path::new("config.json"), Some(&v))
    }

    #[test]
    fn llama3_factors_blend_between_the_wavelength_bounds() {
        let s = parse(
            json!({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
        )
        .unwrap()
        .unwrap();
        // Llama 3.1 8B: head 128, theta 500000. Pair 0 (wavelength 2 pi) is
        // kept; the last pairs (wavelengths far beyond 8192) are divided by 8.
        let f = s.freq_factors(128, 500000.0);
        assert_eq!(f.len(), 64);
        assert_eq!(f[0], 1.0);
        assert_eq!(f[63], 8.0);
        assert!(f.windows(2).all(|w| w[0] <= w[1]), "{f:?}");
        assert!(f.iter().any(|&x| x > 1.0 && x < 8.0), "a blended pair");
    }

    #[test]
    fn default_and_absent_mean_none_and_bad_values_are_errors() {
        assert_eq!(parse(json!({"rope_type": "default"})).unwrap(), None);
        assert_eq!(
            Llama3RopeScaling::from_hf(Path::new("c"), None).unwrap(),
            None
        );
        assert_eq!(parse(Value::Null).unwrap(), None);
        let good = json!({"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192});
        assert!(
            parse(good.clone()).unwrap().is_some(),
            "the older \"type\" key"
        );
        for (key, value, needle) in [
            ("type", json!("yarn"), "\"yarn\""),
            ("factor", json!(0.0), "rope_scaling.factor"),
            ("factor", json!(1e9), "rope_scaling.factor"),
            ("factor", json!("8"), "rope_scaling.factor"),
            ("low_freq_factor", json!(-1.0), "low_freq_factor"),
            ("high_freq_factor", json!(1.0), "must exceed"),
            ("original_max_position_embeddings", json!(0), "original_max"),
            (
                "original_max_position_embeddings",
                json!(1u64 << 40),
                "original_max",
            ),
            (
                "original_max_position_embeddings",
                json!(-5),
                "original_max",
            ),
        ] {
            let mut bad = good.clone();
            bad[key] = value;
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains(needle), "{key}: {err}");
        }
    }

    #[test]
    fn file_factors_are_checked() {
        let p = Path::new("m.gguf");
        assert!(check_freq_factors(p, "rope_freqs.weight", &[1.0, 2.0], 4).is_ok());
        for bad in [
            &[1.0][..],
            &[1.0, f32::NAN],
            &[1.0, 0.0],
            &[1.0, -2.0],
            &[1.0, f32::INFINITY],
        ] {
            assert!(
                check_freq_factors(p, "rope_freqs.weight", bad, 4).is_err(),
                "{bad:?}"
            );
        }
    }
}
