//! The matmul kernels the runtime can run, which apply to a given call, the
//! heuristic default, and the tuned choice among them.

use super::launch::launch;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::timing::time_once;
use crate::tuning;
use std::time::Duration;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    BlockedConfig, BlockedMatmulSpec, DType, MatmulParams, MatmulSpec, MatmulTile, OperandLayout,
    SubgroupLoad, SubgroupMatmulSpec, BLOCKED_CONFIGS, SUBGROUP_MATMUL_LANES,
};

/// One matmul kernel family member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatmulVariant {
    /// The strided scalar-load kernels: any layout, any alignment.
    Tiled(MatmulTile),
    /// The register-blocked vec4 kernel (aligned operands only).
    Blocked(BlockedConfig),
    /// The subgroup-broadcast kernel for software adapters: (rows, column quads
    /// per lane) per workgroup; any layout, vec4 loads where aligned.
    Subgroup(u32, u32),
    /// The matrix-vector kernels (split k, reduced in workgroup memory) for
    /// `m <= 8`, the shape of decoding; see [`Tensor::matvec`].
    Matvec,
}

impl MatmulVariant {
    /// Stable name, used in tuning tables and benchmark output.
    pub fn name(&self) -> String {
        match self {
            MatmulVariant::Tiled(MatmulTile::Small) => "tile16".into(),
            MatmulVariant::Tiled(MatmulTile::Large) => "tile64".into(),
            MatmulVariant::Tiled(MatmulTile::LargeFat) => "tile64fat".into(),
            MatmulVariant::Blocked(c) => format!("blocked{}", c.name()),
            MatmulVariant::Subgroup(rows, quads) => format!("subgroup{rows}q{quads}"),
            MatmulVariant::Matvec => "matvec".into(),
        }
    }

    /// Every variant there is (each applies to some calls only).
    pub fn all() -> Vec<MatmulVariant> {
        let mut all = vec![
            MatmulVariant::Tiled(MatmulTile::Small),
            MatmulVariant::Tiled(MatmulTile::Large),
            MatmulVariant::Tiled(MatmulTile::LargeFat),
        ];
        all.extend(BLOCKED_CONFIGS.iter().map(|&c| MatmulVariant::Blocked(c)));
        all.extend(
            [(16, 1), (32, 1), (64, 1), (32, 2)].map(|(r, q)| MatmulVariant::Subgroup(r, q)),
        );
        all.push(MatmulVariant::Matvec);
        all
    }

    /// The variant named `name` (see [`MatmulVariant::name`]).
    pub fn from_name(name: &str) -> Option<MatmulVariant> {
        Self::all().into_iter().find(|v| v.name() == name)
    }
}

/// A checked matmul call: flattened-batch operands and kernel parameters.
pub(crate) struct MatmulPlan {
    pub dtype: DType,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub batch: usize,
    pub a: Tensor,
    pub b: Tensor,
    pub a_layout: OperandLayout,
    pub b_layout: OperandLayout,
    pub params: MatmulParams,
}

impl MatmulPlan {
    /// The blocked spec for `config`, when its alignment rules hold.
    fn blocked(&self, config: BlockedConfig) -> Option<BlockedMatmulSpec> {
        BlockedMatmulSpec::applicable(
            self.dtype,
            config,
            (self.m, self.n, self.k),
            &self.a_layout,
            &self.b_layout,
        )
    }

    /// The subgroup spec for `rows`, when the adapter's subgroups hold at least
    /// [`SUBGROUP_MATMUL_LANES`] lanes; vec4 loads where the layout allows.
    fn subgroup(&self, rows: u32, quads: u32) -> Option<SubgroupMatmulSpec> {
        let features = &self.a.device().adapter().features;
        if !features.has_subgroups_of(SUBGROUP_MATMUL_LANES) {
            return None;
        }
        let load = |l: &OperandLayout, outer: usize, allow_outer: bool| match l
            .vec4_contiguous(outer, self.k)
        {
            Some(tessera_kernels::Contiguous::K) => SubgroupLoad::KVec4,
            Some(tessera_kernels::Contiguous::Outer) if allow_outer => SubgroupLoad::OuterVec4,
            _ => SubgroupLoad::Scalar,
        };
        let spec = SubgroupMatmulSpec {
            dtype: self.dtype,
            rows,
            quads,
            a: load(&self.a_layout, self.m, false),
            b: load(&self.b_layout, self.n, true),
        };
        spec.is_valid().then_some(spec)
    }

    /// Whether `variant` can run this call.
    pub fn applies(&self, variant: MatmulVariant) -> bool {
        match variant {
            MatmulVariant::Tiled(_) => true,
            MatmulVariant::Subgroup(rows, quads) => self.subgroup(rows, quads).is_some(),
            MatmulVariant::Matvec => super::matvec::matvec_applicable(self.m, self.n, self.k),
            MatmulVariant::Blocked(c) => self.blocked(c).is_some(),
        }
    }

    /// The variants worth measuring for this call: the applicable ones that can
    /// win on this kind of device (GPUs: the register-blocked tiles, the 64x64
    /// tile, the 16x16 tile and the matvec kernel; devices running on host
    /// memory and cores (`software`, [`tessera_hal::DeviceFeatures::host_memory`]):
    /// the subgroup-broadcast kernels and the fattest tiles), less tiles far
    /// larger than the output.
    pub fn candidates(&self, software: bool) -> Vec<MatmulVariant> {
        let (mb, nb) = (tuning::bucket(self.m), tuning::bucket(self.n));
        let small = mb < 64 && nb < 64;
        MatmulVariant::all()
            .into_iter()
            .filter(|&v| self.applies(v))
            .filter(|v| match v {
                MatmulVariant::Tiled(MatmulTile::Small) => small || !software,
                MatmulVariant::Tiled(MatmulTile::Large) => !small && !software,
                MatmulVariant::Tiled(MatmulTile::LargeFat) => !small && software,
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
    /// [`MatmulPlan::candidates`]).
    pub fn heuristic(&self, software: bool) -> MatmulVariant {
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
    pub fn class(&self) -> String {
        let side = |l: &OperandLayout, outer: usize| match l.vec4_contiguous(outer, self.k) {
            Some(tessera_kernels::Contiguous::K) => "k4",
            Some(tessera_kernels::Contiguous::Outer) => "o4",
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

    /// The kernel and grid `variant` runs for this call (`None` for the matvec
    /// kernels, which plan their own launch, or when it does not apply).
    fn kernel(
        &self,
        variant: MatmulVariant,
    ) -> Option<(
        std::sync::Arc<tessera_kernels::KernelSource>,
        Option<[u32; 3]>,
    )> {
        let (m, n, batch) = (self.m, self.n, self.batch);
        match variant {
            MatmulVariant::Tiled(tile) => {
                let spec = MatmulSpec {
                    dtype: self.dtype,
                    tile,
                };
                Some((spec.rendered(), spec.workgroups(m, n, batch)))
            }
            MatmulVariant::Blocked(config) => self
                .blocked(config)
                .map(|spec| (spec.rendered(), spec.workgroups(m, n, batch))),
            MatmulVariant::Subgroup(rows, quads) => self
                .subgroup(rows, quads)
                .map(|spec| (spec.rendered(), spec.workgroups(m, n, batch))),
            MatmulVariant::Matvec => None,
        }
    }

    /// Record the dispatch of `variant` writing `out` (contiguous `[batch, m, n]`).
    /// A variant that does not apply is a shape error. The matvec kernels write
    /// their own output (the caller runs them directly; here only to measure).
    pub fn run(&self, variant: MatmulVariant, out: &Tensor) -> Result<()> {
        let op = "matmul";
        if variant == MatmulVariant::Matvec {
            return self.a.matvec(&self.b).map(drop);
        }
        let Some((source, grid)) = self.kernel(variant) else {
            return Err(self.unavailable(variant));
        };
        let buffers = [self.a.buffer(), self.b.buffer(), out.buffer()];
        launch(op, out.device(), &source, &buffers, &self.params, grid)
    }

    /// The error of a forced `variant` that does not apply to this call.
    pub fn unavailable(&self, variant: MatmulVariant) -> crate::error::Error {
        crate::error::ShapeError::new(
            "matmul",
            format!(
                "variant {} does not apply (vec4 tiles need aligned operands, subgroup kernels subgroups of 8+ lanes)",
                variant.name()
            ),
            &[self.a.shape(), self.b.shape()],
        )
        .into()
    }

    /// The variant to run: the tuned choice for this call's class on this adapter.
    pub fn choose(&self, out: &Tensor) -> MatmulVariant {
        let device = out.device();
        let fallback = self.heuristic(device.adapter().features.host_memory);
        // The heuristic's pick first: later, slower candidates stop after one run.
        let mut candidates = self.candidates(device.adapter().features.host_memory);
        candidates.sort_by_key(|&v| v != fallback);
        tuning::choose(
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
