//! Unit tests of the matvec specs: tuned specs are valid and enumerated, grids
//! and fit checks are right (every variant is validated with the crate's
//! others, see `registry.rs`).

use super::*;

fn params(m: u32, n: u32, k: u32, b_sk: u32, b_sn: u32) -> MatmulParams {
    MatmulParams {
        m,
        n,
        k,
        batch: 1,
        a_sm: k,
        a_sk: 1,
        b_sk,
        b_sn,
        ..MatmulParams::default()
    }
}

#[test]
fn tuned_specs_are_valid_and_enumerated() {
    let all = MatvecSpec::all();
    for variant in MatvecVariant::ALL {
        for (m, n, k) in [
            (1, 1, 1),
            (1, 4096, 4096),
            (3, 1000, 127),
            (8, 151_936, 896),
            (5, 7, 4097),
            (0, 0, 0),
        ] {
            let spec = MatvecSpec::for_shape(DType::F32, variant, m, n, k);
            assert!(spec.is_valid(), "{spec:?}");
            assert_eq!(spec.variant(), variant);
            assert!(spec.rows as usize >= m.min(8));
            assert!(all.contains(&spec), "{spec:?} is not enumerated");
        }
    }
}

#[test]
fn invalid_specs_are_rejected() {
    let ok = MatvecSpec {
        dtype: DType::F32,
        layout: MatvecLayout::KContiguous,
        load: MatvecLoad::Scalar,
        rows: 1,
        wg: 256,
        split: 32,
    };
    assert!(ok.is_valid());
    for bad in [
        MatvecSpec { rows: 0, ..ok },
        MatvecSpec { rows: 9, ..ok },
        MatvecSpec { wg: 512, ..ok },
        MatvecSpec { wg: 96, ..ok },
        MatvecSpec { split: 3, ..ok },
        MatvecSpec { split: 512, ..ok },
        MatvecSpec {
            dtype: DType::I32,
            ..ok
        },
    ] {
        assert!(!bad.is_valid(), "{bad:?}");
    }
}

#[test]
fn matvec_grid_sizes_and_limit() {
    let k_spec = MatvecSpec {
        dtype: DType::F32,
        layout: MatvecLayout::KContiguous,
        load: MatvecLoad::Vec4,
        rows: 4,
        wg: 256,
        split: 32,
    };
    assert_eq!(k_spec.columns_per_workgroup(), 8);
    assert_eq!(k_spec.workgroups(1, 4096, 1), Some([512, 1, 1]));
    assert_eq!(k_spec.workgroups(5, 17, 3), Some([3, 2, 3]));
    assert_eq!(k_spec.workgroups(1, 8 * 65535, 1), Some([65535, 1, 1]));
    assert_eq!(k_spec.workgroups(1, 8 * 65535 + 1, 1), None);
    assert_eq!(k_spec.workgroups(1, 1, 70_000), None);
    let n_spec = MatvecSpec {
        layout: MatvecLayout::NContiguous,
        split: 64,
        ..k_spec
    };
    assert_eq!(n_spec.columns_per_workgroup(), 16);
    assert_eq!(n_spec.workgroups(8, 1000, 2), Some([63, 2, 2]));
    assert_eq!(n_spec.workgroups(1, 16 * 65535 + 1, 1), None);
}

#[test]
fn vec4_fit_rules() {
    let k_vec4 = MatvecVariant::new(MatvecLayout::KContiguous, MatvecLoad::Vec4);
    let n_vec4 = MatvecVariant::new(MatvecLayout::NContiguous, MatvecLoad::Vec4);
    // x · W^T with W [n, k]: b_sk = 1, b_sn = k.
    assert!(k_vec4.fits(&params(1, 1000, 4096, 1, 4096)));
    assert!(!k_vec4.fits(&params(1, 1000, 4097, 1, 4097)));
    assert!(!k_vec4.fits(&params(1, 1000, 0, 1, 0)));
    assert!(!k_vec4.fits(&params(1, 1000, 8, 1000, 1)));
    let mut misaligned = params(1, 10, 8, 1, 8);
    misaligned.b_off = 2;
    assert!(!k_vec4.fits(&misaligned));
    let mut strided_a = params(2, 10, 8, 1, 8);
    strided_a.a_sm = 10;
    assert!(!k_vec4.fits(&strided_a));
    strided_a.m = 1; // one row: its stride is never used
    assert!(k_vec4.fits(&strided_a));
    // B [k, n] row-major: b_sk = n, b_sn = 1.
    assert!(n_vec4.fits(&params(3, 64, 5, 64, 1)));
    assert!(!n_vec4.fits(&params(3, 63, 5, 63, 1)));
    assert!(!n_vec4.fits(&params(3, 64, 5, 66, 1)));
    assert!(n_vec4.fits(&params(3, 64, 1, 66, 1)));
    assert!(!n_vec4.fits(&params(3, 64, 0, 64, 1)));
    for v in MatvecVariant::ALL {
        if v.load == MatvecLoad::Scalar {
            assert!(v.fits(&params(3, 7, 5, 11, 13)));
        }
    }
    assert_eq!(
        MatvecVariant::for_params(&params(1, 1000, 4096, 1, 4096)),
        k_vec4
    );
    assert_eq!(MatvecVariant::for_params(&params(1, 64, 7, 64, 1)), n_vec4);
    assert_eq!(
        MatvecVariant::for_params(&params(1, 7, 7, 7, 1)),
        MatvecVariant::new(MatvecLayout::NContiguous, MatvecLoad::Scalar)
    );
    assert_eq!(
        MatvecVariant::for_params(&params(1, 7, 7, 2, 20)).layout,
        MatvecLayout::KContiguous
    );
    assert_eq!(pow2_at_most(0), 1);
    assert_eq!(pow2_at_most(1000), 512);
    assert_eq!(pow2_at_most(1024), 1024);
}
