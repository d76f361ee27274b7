//! Unit tests of the quantized kernels' specs: rendered variants have their
//! spec's shape, tuned specs are valid and enumerated, grids are right (every
//! variant is validated with the crate's others, see `registry.rs`).

use super::*;
use crate::{QuantGatherParams, QuantGatherSpec};

#[test]
fn quant_kernels_render_their_shape() {
    for spec in QuantMatvecSpec::all() {
        assert!(spec.is_valid(), "{spec:?}");
        let src = spec.render();
        assert_eq!(src.needs_f16, spec.dtype == DType::F16);
        assert_eq!(src.workgroup, [spec.wg, 1, 1]);
        assert_eq!(src.bindings.len(), 4 + spec.residual as usize);
        assert!(src.key.starts_with("qmatvec/"), "{}", src.key);
    }
    for spec in QuantTiledSpec::all() {
        let src = spec.render();
        let workgroup = match spec.tile {
            QuantTile::Wide => [16, 16, 1],
            QuantTile::Fat => [8, 8, 1],
        };
        assert_eq!(src.workgroup, workgroup);
        assert_eq!(src.needs_f16, spec.dtype == DType::F16);
    }
    for spec in QuantGatherSpec::all() {
        assert!(!spec.render().needs_f16);
    }
}

#[test]
fn tuned_matvec_specs_are_valid_and_enumerated() {
    let all = QuantMatvecSpec::all();
    for format in QuantFormat::ALL {
        for (m, n, k) in [
            (1, 1, 32),
            (1, 4096, 4096),
            (3, 7, 96),
            (8, 151_936, 896),
            (5, 33, 14_336),
            (0, 0, 0),
            (100, 1, 64),
        ] {
            let spec = QuantMatvecSpec::for_shape(format, DType::F32, m, n, k);
            assert!(spec.is_valid(), "{spec:?}");
            for form in [spec, spec.software()] {
                for residual in [false, true] {
                    let form = QuantMatvecSpec { residual, ..form };
                    assert!(all.contains(&form), "{form:?} is not enumerated");
                }
            }
            assert!(spec.rows as usize >= m.clamp(1, 8), "{spec:?}");
            assert!(spec.split as usize <= (k / 32).max(1), "{spec:?}");
        }
    }
    let spec = QuantMatvecSpec::for_shape(QuantFormat::Q8_0, DType::F32, 1, 4096, 4096);
    assert_eq!((spec.rows, spec.wg, spec.split), (1, 256, 32));
    assert_eq!(spec.columns_per_workgroup(), 8);
}

#[test]
fn invalid_specs_are_rejected() {
    let ok = QuantMatvecSpec {
        format: QuantFormat::Q4_0,
        dtype: DType::F32,
        rows: 1,
        wg: 256,
        split: 32,
        residual: false,
        subgroup_x: false,
    };
    assert!(ok.is_valid());
    assert!(ok.software().is_valid());
    for bad in [
        QuantMatvecSpec { rows: 0, ..ok },
        QuantMatvecSpec { rows: 9, ..ok },
        QuantMatvecSpec { wg: 512, ..ok },
        QuantMatvecSpec { wg: 96, ..ok },
        QuantMatvecSpec { split: 3, ..ok },
        QuantMatvecSpec { split: 512, ..ok },
        QuantMatvecSpec {
            subgroup_x: true,
            ..ok
        },
        QuantMatvecSpec {
            dtype: DType::U32,
            ..ok
        },
    ] {
        assert!(!bad.is_valid(), "{bad:?}");
    }
    assert!(!QuantTiledSpec {
        format: QuantFormat::Q8_0,
        dtype: DType::I32,
        tile: QuantTile::Wide,
    }
    .is_valid());
}

#[test]
fn grids_cover_the_output_within_limits() {
    let g = quant_grid(1, 4096, 1, 8).unwrap();
    assert_eq!(
        (g.col_groups, g.groups, g.workgroups),
        (512, 512, [512, 1, 1])
    );
    let g = quant_grid(100, 257, 64, 64).unwrap();
    assert_eq!((g.col_groups, g.groups), (5, 10));
    // More column groups than one dimension holds: a 2-D grid.
    let g = quant_grid(1, 8 * 70_000, 1, 8).unwrap();
    assert_eq!(g.groups, 70_000);
    assert!(g.workgroups[0] <= 65_535 && g.workgroups[1] <= 65_535);
    assert!(g.workgroups[0] as u64 * g.workgroups[1] as u64 >= 70_000);
    assert_eq!(quant_grid(0, 7, 1, 8).unwrap().groups, 0);
    assert!(quant_grid(usize::MAX / 2, usize::MAX / 2, 1, 1).is_none());
    assert!(quant_grid(65_536, 65_536, 1, 1).is_none());
}

#[test]
fn formats_and_parameter_blocks() {
    assert_eq!(QuantFormat::Q8_0.group_bytes(), 34);
    assert_eq!(QuantFormat::Q4_0.group_bytes(), 18);
    assert_eq!(QuantFormat::Q4_0.block_values(), 32);
    assert_eq!(QuantFormat::Q8_0.to_string(), "q8_0");
    assert_eq!(QuantFormat::F16.group_bytes(), 64);
    assert_eq!(QuantFormat::F16.scale_bytes(), 0);
    // (group values, file bytes, leading scale bytes, device qs bytes).
    let layout = |f: QuantFormat| {
        (
            f.group_values(),
            f.group_bytes(),
            f.scale_bytes(),
            f.quant_bytes(),
        )
    };
    assert_eq!(layout(QuantFormat::Q8_0), (32, 34, 2, 32));
    assert_eq!(layout(QuantFormat::Q4_0), (32, 18, 2, 16));
    assert_eq!(layout(QuantFormat::F16), (32, 64, 0, 64));
    assert_eq!(layout(QuantFormat::Q4_K), (256, 144, 0, 144));
    assert_eq!(layout(QuantFormat::Q6_K), (256, 210, 0, 224));
    assert_eq!(layout(QuantFormat::Q4_1), (32, 20, 4, 16));
    assert_eq!(layout(QuantFormat::Q5_0), (32, 22, 2, 20));
    assert_eq!(layout(QuantFormat::Q5_1), (32, 24, 4, 20));
    assert_eq!(layout(QuantFormat::BF16), (32, 64, 0, 64));
    for f in QuantFormat::ALL {
        assert_eq!(f.block_values(), 32, "{f}");
        assert_eq!(f.group_values() % f.block_values(), 0, "{f}");
        // Whole words; whole vec4s except the word-read Q5_0 / Q5_1.
        assert_eq!(f.quant_bytes() % 4, 0, "{f}");
        let word_read = matches!(f, QuantFormat::Q5_0 | QuantFormat::Q5_1);
        assert_eq!(f.quant_bytes() % 16 == 0, !word_read, "{f}");
        assert!(f.quant_bytes() + f.scale_bytes() >= f.group_bytes(), "{f}");
    }
    assert_eq!(QuantFormat::Q4_K.to_string(), "q4_k");
    assert_eq!(QuantFormat::Q6_K.to_string(), "q6_k");
    assert_eq!(std::mem::size_of::<QuantMatmulParams>() % 16, 0);
    assert_eq!(std::mem::size_of::<QuantGatherParams>() % 16, 0);
    assert_eq!(pow2_at_most(0), 1);
    assert_eq!(pow2_at_most(31), 16);
}
