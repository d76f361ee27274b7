use super::sampling::{argmax, Sampler, SamplingConfig};
use crate::error::Error;

fn sampler(temperature: f32, top_k: usize, top_p: f32, penalty: f32, seed: u64) -> Sampler {
    Sampler::new(SamplingConfig {
        temperature,
        top_k,
        top_p,
        repetition_penalty: penalty,
        seed,
    })
    .expect("valid settings")
}

#[test]
fn greedy_takes_the_first_maximum() {
    let mut s = sampler(0.0, 0, 1.0, 1.0, 0);
    assert_eq!(s.sample(&mut [0.5, 2.0, -1.0, 2.0], &[]).unwrap(), 1);
    assert_eq!(argmax(&[f32::NEG_INFINITY, -3.0, -3.0]), 1);
}

#[test]
fn nan_logits_never_win() {
    let mut s = sampler(0.0, 0, 1.0, 1.0, 0);
    assert_eq!(s.sample(&mut [f32::NAN, 1.0, 0.0], &[]).unwrap(), 1);
    let mut s = sampler(1.0, 0, 1.0, 1.0, 3);
    for _ in 0..50 {
        assert_eq!(
            s.sample(&mut [f32::NAN, 1.0, f32::NEG_INFINITY], &[])
                .unwrap(),
            1
        );
    }
}

#[test]
fn repetition_penalty_divides_positive_and_multiplies_negative_logits() {
    // Token 0 (seen, positive) 3.0 / 2 = 1.5 < token 1's 2.0.
    let mut s = sampler(0.0, 0, 1.0, 2.0, 0);
    let mut logits = [3.0, 2.0, -1.0];
    assert_eq!(s.sample(&mut logits, &[0, 2, 2, 99]).unwrap(), 1);
    assert_eq!(logits, [1.5, 2.0, -2.0]);
}

#[test]
fn same_seed_same_tokens_and_different_seeds_differ() {
    let logits: Vec<f32> = (0..50).map(|i| ((i * 37 % 11) as f32) * 0.3).collect();
    let run = |seed| {
        let mut s = sampler(1.0, 0, 1.0, 1.0, seed);
        (0..40)
            .map(|_| s.sample(&mut logits.clone(), &[]).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn top_k_one_and_tiny_top_p_are_greedy() {
    let logits = [0.1f32, 0.3, 2.5, 2.4, -1.0];
    for seed in 0..20 {
        let mut k1 = sampler(1.5, 1, 1.0, 1.0, seed);
        assert_eq!(k1.sample(&mut logits.clone(), &[]).unwrap(), 2);
        let mut p = sampler(1.5, 0, 1e-6, 1.0, seed);
        assert_eq!(p.sample(&mut logits.clone(), &[]).unwrap(), 2);
    }
}

#[test]
fn top_k_and_top_p_keep_only_their_candidates() {
    let logits = [0.0f32, 1.0, 2.0, 3.0];
    let mut seen = [0usize; 4];
    let mut s = sampler(1.0, 2, 1.0, 1.0, 11);
    for _ in 0..400 {
        seen[s.sample(&mut logits.clone(), &[]).unwrap() as usize] += 1;
    }
    assert_eq!(seen[0] + seen[1], 0, "{seen:?}");
    assert!(seen[2] > 0 && seen[3] > seen[2], "{seen:?}");
    // softmax([0,1,2,3]) = [0.032, 0.087, 0.237, 0.644]: top_p 0.8 keeps {3, 2}.
    let mut seen = [0usize; 4];
    let mut s = sampler(1.0, 0, 0.8, 1.0, 12);
    for _ in 0..400 {
        seen[s.sample(&mut logits.clone(), &[]).unwrap() as usize] += 1;
    }
    assert_eq!(seen[0] + seen[1], 0, "{seen:?}");
}

#[test]
fn sampled_frequencies_follow_the_tempered_softmax() {
    let logits = [0.0f32, 0.5, 1.0, 1.5];
    let t = 0.7f64;
    let weights: Vec<f64> = logits.iter().map(|&l| (l as f64 / t).exp()).collect();
    let total: f64 = weights.iter().sum();
    let n = 20000;
    let mut counts = [0usize; 4];
    let mut s = sampler(0.7, 0, 1.0, 1.0, 2024);
    for _ in 0..n {
        counts[s.sample(&mut logits.clone(), &[]).unwrap() as usize] += 1;
    }
    for (count, w) in counts.iter().zip(&weights) {
        let expected = w / total;
        let observed = *count as f64 / n as f64;
        // 5 standard deviations of a binomial proportion.
        let sd = (expected * (1.0 - expected) / n as f64).sqrt();
        assert!((observed - expected).abs() < 5.0 * sd, "{counts:?}");
    }
}

#[test]
fn bad_settings_are_errors() {
    for config in [
        SamplingConfig {
            temperature: -1.0,
            ..Default::default()
        },
        SamplingConfig {
            temperature: f32::NAN,
            ..Default::default()
        },
        SamplingConfig {
            top_p: 0.0,
            ..Default::default()
        },
        SamplingConfig {
            top_p: 1.5,
            ..Default::default()
        },
        SamplingConfig {
            repetition_penalty: 0.0,
            ..Default::default()
        },
    ] {
        assert!(matches!(
            Sampler::new(config),
            Err(Error::InvalidArgument { .. })
        ));
    }
    let mut s = sampler(0.0, 0, 1.0, 1.0, 0);
    assert!(s.sample(&mut [], &[]).is_err());
}
