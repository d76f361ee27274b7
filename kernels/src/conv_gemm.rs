//! Implicit-GEMM convolution: the convolution of one image and one channel
//! group as the product `out[oc, pix] = sum_k W[oc, k] * X[k, pix]` of the
//! weight (`[c_out / groups, k]` with `k = (ic, kd, kh, kw)`, the weight's
//! own layout) by the im2col matrix of the input (`[k, out_d * out_h *
//! out_w]`), which is never written out: each workgroup gathers its
//! `bk x bn` slice of it into workgroup memory on the fly, beside the
//! `bm x bk` slice of the weight, and each thread accumulates a `tm x tn`
//! register block as in the blocked matmul. The bias and the activation are
//! applied as the block is stored.
//!
//! Grid: x over pixel tiles, y over output-channel tiles, z over
//! `n * groups` (image, group). Every load index is clamped into its operand
//! (values outside the matrix or in the padding are zeroed with `select`),
//! and every store is guarded by `oc < c_out / groups` and
//! `pix < out_d * out_h * out_w`, so the kernel is compiled with the
//! default runtime bounds checks and needs no alignment proof.

use crate::assemble::fixed_kernel;
use crate::conv::CONV_BINDINGS;
use crate::grid::tile_grid;
use crate::window::WindowParams;
use crate::{dtype_header, DType, KernelSource, TileShape};

#[path = "conv_gemm_body.rs"]
mod body;

const ACTIVATION: &str = include_str!("wgsl/conv_activation.wgsl");

/// Tile shape of one implicit-GEMM conv kernel: `bm` output channels by
/// `bn` output pixels, `bk` of `c_in / groups * taps` per staged step.
pub type ConvGemmConfig = TileShape;

/// The tile shapes: few fat threads (16 x 16 blocks) for software adapters,
/// where a lane-divergent memory access is a loop over SIMD lanes and
/// arithmetic is cheap by comparison; 4 x 4 blocks of 256 threads for GPUs.
pub const CONV_GEMM_CONFIGS: [ConvGemmConfig; 3] = [
    ConvGemmConfig {
        bm: 64,
        bn: 64,
        bk: 16,
        tm: 16,
        tn: 16,
    },
    ConvGemmConfig {
        bm: 64,
        bn: 64,
        bk: 16,
        tm: 4,
        tn: 4,
    },
    ConvGemmConfig {
        bm: 32,
        bn: 64,
        bk: 16,
        tm: 8,
        tn: 8,
    },
];

/// One rendering of the implicit-GEMM conv ([`WindowParams`]; `total` is
/// unused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvGemmSpec {
    /// Element type of every operand.
    pub dtype: DType,
    /// Tile shape.
    pub config: ConvGemmConfig,
}

impl ConvGemmSpec {
    /// Whether the generator supports `config`: [`TileShape::blocks_fit`],
    /// each invocation staging a whole number of elements of both tiles
    /// with a fixed set of pixel columns, and at most 16 KiB of workgroup
    /// memory (WebGPU's guaranteed limit).
    pub fn supports(config: &ConvGemmConfig) -> bool {
        let t = config.threads();
        let columns_fixed = config.bn.is_multiple_of(t) || t.is_multiple_of(config.bn);
        config.blocks_fit()
            && (config.bm * config.bk).is_multiple_of(t)
            && (config.bk * config.bn).is_multiple_of(t)
            && columns_fixed
            && config.workgroup_bytes() <= 16 * 1024
    }

    /// Workgroup grid for `c_out / groups` channels by `pixels` output
    /// positions of `images * groups` (image, group) pairs; `None` past the
    /// dispatch limit.
    pub fn workgroups(&self, cout_g: usize, pixels: usize, pairs: usize) -> Option<[u32; 3]> {
        tile_grid(
            (cout_g, pixels, pairs),
            self.config.bm as usize,
            self.config.bn as usize,
        )
    }

    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        fixed_kernel::<WindowParams>(
            format!("conv_gemm/{}/{}", self.dtype, self.config.name()),
            &format!("{}{ACTIVATION}", dtype_header(self.dtype)),
            &CONV_BINDINGS,
            &body::conv_gemm_body(&self.config),
            [self.config.threads(), 1, 1],
            self.dtype == DType::F16,
        )
    }

    /// Every variant: each of [`CONV_GEMM_CONFIGS`] in f32.
    pub fn all() -> Vec<ConvGemmSpec> {
        CONV_GEMM_CONFIGS
            .into_iter()
            .map(|config| ConvGemmSpec {
                dtype: DType::F32,
                config,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_is_valid_within_webgpu_limits() {
        for config in CONV_GEMM_CONFIGS {
            assert!(ConvGemmSpec::supports(&config), "{config:?}");
            assert!(config.threads() <= 256 && config.workgroup_bytes() <= 16 * 1024);
        }
        let too_many = ConvGemmConfig {
            bm: 128,
            bn: 128,
            bk: 16,
            tm: 4,
            tn: 4,
        };
        assert!(!ConvGemmSpec::supports(&too_many));
    }

    #[test]
    fn grid_covers_channels_pixels_and_pairs() {
        let spec = ConvGemmSpec::all()[0];
        assert_eq!(spec.workgroups(65, 129, 3), Some([3, 2, 3]));
        assert_eq!(spec.workgroups(64, 64 * 70_000, 1), None);
    }
}
