//! Tuning: the first automatic call of a shape class on an adapter that runs
//! kernels measures the candidates and records the winner (matmul, softmax,
//! layer norm).

mod common;

use common::*;
use tessera_runtime::ops::MatmulVariant;
use tessera_runtime::reference;

/// The first automatic call of a shape class records the adapter's choice.
#[test]
fn matmul_tuning_records_a_choice() {
    if !tessera_runtime::tuning::tuning_enabled() {
        eprintln!("skipped: TESSERA_TUNE is off");
        return;
    }
    for dev in kernel_devices() {
        let (mut rng, _) = seeded_rng("matmul_tuning");
        let (a, av) = upload(
            dev,
            &random_vec(&mut rng, 96 * 40, -1.0, 1.0),
            &[96, 40],
            tessera_kernels::DType::F32,
        );
        let (b, bv) = upload(
            dev,
            &random_vec(&mut rng, 40 * 72, -1.0, 1.0),
            &[40, 72],
            tessera_kernels::DType::F32,
        );
        let out = a.matmul(&b).unwrap();
        let (want, _) = reference::matmul(&av, &[96, 40], &bv, &[40, 72], false, false);
        assert_close(
            &out.to_f32_vec().unwrap(),
            &want,
            Tolerance::matmul_f32(40),
            "tuned matmul",
        );
        let choices = tessera_runtime::tuning::recorded_choices(dev);
        let entry = choices
            .iter()
            .find(|(class, _)| class.starts_with("matmul/f32/m128/n128/k64/single/ak4/bo4"))
            .unwrap_or_else(|| panic!("no choice recorded on {}: {choices:?}", label(dev)));
        assert!(MatmulVariant::from_name(&entry.1).is_some(), "{entry:?}");
    }
}

/// The first automatic softmax / layer norm of a shape class records the
/// adapter's measured choice, and the result still matches the reference.
#[test]
fn row_ops_tuning_records_a_choice() {
    if !tessera_runtime::tuning::tuning_enabled() {
        eprintln!("skipped: TESSERA_TUNE is off");
        return;
    }
    poison_outputs();
    let (mut rng, seed) = seeded_rng("row_ops_tuning");
    for dev in kernel_devices() {
        let (rows, n) = (37, 520);
        let values = random_vec(&mut rng, rows * n, -4.0, 4.0);
        let (x, xv) = upload(dev, &values, &[rows, n], tessera_kernels::DType::F32);
        let got = x.softmax(None).unwrap().to_f32_vec().unwrap();
        let want = reference::softmax(&xv, &[rows, n], None);
        assert_close(
            &got,
            &want,
            Tolerance::F32_TRANSCENDENTAL,
            &format!("tuned softmax seed {seed}"),
        );
        let normed = x
            .layer_norm(None, None, 1e-5)
            .unwrap()
            .to_f32_vec()
            .unwrap();
        assert_eq!(normed.len(), rows * n);
        let choices = tessera_runtime::tuning::recorded_choices(dev);
        for prefix in [
            "softmax/f32/n1024/rows64/plain",
            "layer_norm/f32/n1024/rows64",
        ] {
            let entry = choices
                .iter()
                .find(|(class, _)| class == prefix)
                .unwrap_or_else(|| panic!("no {prefix} choice on {}: {choices:?}", label(dev)));
            assert!(
                ["general", "per_thread", "vec4", "vec4_subgroup"].contains(&entry.1.as_str()),
                "{entry:?}"
            );
        }
    }
}
