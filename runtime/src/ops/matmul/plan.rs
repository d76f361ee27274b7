//! The one place the matmul family picks a kernel: for a dense product, among
//! the tiles and the matrix-vector kernels ([`MatmulVariant`]: which apply to
//! the operands and the device, the heuristic, the tuned choice); for a
//! quantized weight, among the quantized kernels and the dense ones over the
//! weight dequantized ([`quant_kernel`]). Only shapes, dtypes, layouts and the
//! device's capabilities decide.

use super::dense::MatmulVariant;
use super::matvec::matvec_applicable;
use super::operands::DenseOperands;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::timing::time_once;
use crate::tuning;
use std::time::Duration;
use tessera_hal::AdapterDescription;
use tessera_kernels::{
    Contiguous, MatmulTile, OperandLayout, QuantKernel, QuantTile, BLOCKED_CONFIGS,
    QUANT_MATVEC_MAX_M,
};

/// Largest f32 copy of a weight [`QuantKernel::Dequantized`] makes when the
/// kernel is chosen automatically; past it (or the device's binding limit)
/// the fat tile reads the quantized weight directly.
const DEQUANTIZED_MAX_BYTES: u64 = 256 << 20;

/// The kernel for `x [m, k] · Wᵀ` with a quantized `W` of `n` rows on
/// `adapter`: the split-k matvec kernel up to [`QUANT_MATVEC_MAX_M`] rows;
/// past that the wide tile on a GPU, and on a software adapter (host memory)
/// the dense kernels over the weight dequantized to f32 (about 3x faster than
/// the quantized tiles there), or the fat tile when that copy would exceed
/// 256 MiB or a storage binding.
pub(super) fn quant_kernel(
    m: usize,
    n: usize,
    k: usize,
    adapter: &AdapterDescription,
) -> QuantKernel {
    if m <= QUANT_MATVEC_MAX_M {
        return QuantKernel::Matvec;
    }
    if !adapter.features.host_memory {
        return QuantKernel::Tiled(QuantTile::Wide);
    }
    let dense_bytes = (n as u64).saturating_mul(k as u64).saturating_mul(4);
    let dense_limit = DEQUANTIZED_MAX_BYTES.min(adapter.limits.max_storage_buffer_binding_size);
    match dense_bytes > dense_limit {
        true => QuantKernel::Tiled(QuantTile::Fat),
        false => QuantKernel::Dequantized,
    }
}

impl DenseOperands {
    /// Whether `variant` can run this call.
    pub fn applies(&self, variant: MatmulVariant) -> bool {
        match variant {
            MatmulVariant::Tiled(_) => true,
            MatmulVariant::Subgroup(rows, quads) => self.subgroup(rows, quads).is_some(),
            MatmulVariant::Matvec => matvec_applicable(self.m, self.n, self.k),
            MatmulVariant::Blocked(c) => self.blocked(c).is_some(),
        }
    }

    /// The variants worth measuring for this call: the applicable ones that can
    /// win on this kind of device (GPUs: the register-blocked tiles, the 64x64
    /// tile, the 16x16 tile and the matvec kernel; devices running on host
    /// memory and cores (`software`, [`tessera_hal::DeviceFeatures::host_memory`]):
    /// the subgroup-broadcast kernels, the fattest tiles and the barrier-free
    /// tile), less tiles far larger than the output.
    fn candidates(&self, software: bool) -> Vec<MatmulVariant> {
        let (mb, nb) = (tuning::bucket(self.m), tuning::bucket(self.n));
        let small = mb < 64 && nb < 64;
        MatmulVariant::all()
            .into_iter()
            .filter(|&v| self.applies(v))
            .filter(|v| match v {
                MatmulVariant::Tiled(MatmulTile::Small) => small || !software,
                MatmulVariant::Tiled(MatmulTile::Large) => !small && !software,
                MatmulVariant::Tiled(MatmulTile::LargeFat) => !small && software,
                MatmulVariant::Tiled(MatmulTile::Direct) => software,
                MatmulVariant::Blocked(c) => {
                    let fits = c.bm as usize <= mb.max(32) && c.bn as usize <= nb.max(32);
                    // Software adapters pay per memory access, not per FMA: only
                    // the fattest blocks; GPUs: blocks that fit in registers.
                    fits && if software {
                        c.tm * c.tn >= 128
                    } else {
                        c.tm * c.tn <= 64
                    }
                }
                MatmulVariant::Subgroup(..) => software,
                MatmulVariant::Matvec => true,
            })
            .collect()
    }

    /// The built-in choice when nothing was measured (`software` as in
    /// [`DenseOperands::candidates`]).
    fn heuristic(&self, software: bool) -> MatmulVariant {
        let blocked = |i: usize| {
            let c = BLOCKED_CONFIGS[i];
            self.applies(MatmulVariant::Blocked(c))
                .then_some(MatmulVariant::Blocked(c))
        };
        let big = self.m >= 64 && self.n >= 64;
        let chosen = if self.m <= 8 && !software {
            self.applies(MatmulVariant::Matvec)
                .then_some(MatmulVariant::Matvec)
        } else if !big {
            None
        } else if software {
            let subgroup = MatmulVariant::Subgroup(32, 2);
            self.applies(subgroup)
                .then_some(subgroup)
                .or_else(|| blocked(6))
        } else if self.m >= 512 && self.n >= 512 {
            blocked(0)
        } else {
            blocked(2)
        };
        chosen.unwrap_or(MatmulVariant::Tiled(MatmulTile::for_output(
            self.m, self.n, software,
        )))
    }

    /// The tuning class: dtype, bucketed sizes, batching and vec4 layout.
    fn class(&self) -> String {
        let side = |l: &OperandLayout, outer: usize| match l.vec4_contiguous(outer, self.k) {
            Some(Contiguous::K) => "k4",
            Some(Contiguous::Outer) => "o4",
            None => "s",
        };
        format!(
            "matmul/{}/m{}/n{}/k{}/{}/a{}/b{}/c{}",
            self.dtype,
            tuning::bucket(self.m),
            tuning::bucket(self.n),
            tuning::bucket(self.k),
            if self.batch > 1 { "batched" } else { "single" },
            side(&self.a_layout, self.m),
            side(&self.b_layout, self.n),
            if self.n.is_multiple_of(4) { "4" } else { "s" }
        )
    }

    /// The variant to run: the tuned choice for this call's class on this
    /// adapter (measured on `out` the first time), else the heuristic's.
    pub fn choose(&self, out: &Tensor) -> MatmulVariant {
        let device = out.device();
        let software = device.adapter().features.host_memory;
        if device.adapter().is_software_webgpu() {
            // A software adapter behind the browser (SwiftShader, shaders via
            // Tint): the 64x64 register-blocked tiles take it minutes and
            // gigabytes to compile (65x130x67 in headless Chromium 156: 205 s,
            // then the device was lost); the barrier-free 32x32 tile compiles
            // at once and beats the 16x16 one (BENCHMARKS.md, "Browser").
            return MatmulVariant::Tiled(MatmulTile::Direct);
        }
        let fallback = self.heuristic(software);
        // The heuristic's pick first: later, slower candidates stop after one run.
        let mut candidates = self.candidates(software);
        candidates.sort_by_key(|&v| v != fallback);
        crate::ops::select::select(
            &super::MATMUL,
            device,
            &self.class(),
            &candidates,
            MatmulVariant::name,
            fallback,
            |&v, best| self.measure(v, out, best),
        )
    }

    /// Best of two timed runs of `variant` after compiling it (or, for the matvec
    /// kernels, one untimed run); one run only when it is already 1.5x slower
    /// than `best_so_far`.
    fn measure(
        &self,
        variant: MatmulVariant,
        out: &Tensor,
        best_so_far: Duration,
    ) -> Result<Duration> {
        let device = out.device();
        match self.kernel(variant) {
            Some((source, _)) => drop(device.compile(source.as_ref().into())?),
            None => self.run(variant, out)?,
        }
        let (first, _) = time_once(device, || self.run(variant, out))?;
        if first.as_secs_f64() > 1.5 * best_so_far.as_secs_f64() {
            return Ok(first);
        }
        let (second, _) = time_once(device, || self.run(variant, out))?;
        Ok(first.min(second))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_hal::{Device, NullDevice};

    #[test]
    fn quantized_kernel_by_rows_and_adapter() {
        let gpu = NullDevice::new().adapter().clone();
        let software = NullDevice::software().adapter().clone();
        assert_eq!(quant_kernel(8, 64, 64, &gpu), QuantKernel::Matvec);
        assert_eq!(quant_kernel(1, 64, 64, &software), QuantKernel::Matvec);
        assert_eq!(
            quant_kernel(9, 64, 64, &gpu),
            QuantKernel::Tiled(QuantTile::Wide)
        );
        assert_eq!(quant_kernel(9, 64, 64, &software), QuantKernel::Dequantized);
        // An f32 copy past 256 MiB: the fat tile reads the blocks directly.
        assert_eq!(
            quant_kernel(9, 1 << 16, 1 << 12, &software),
            QuantKernel::Tiled(QuantTile::Fat)
        );
    }
}
