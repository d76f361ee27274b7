//! The dense kernels of the family, named by [`MatmulVariant`]: the tiles
//! (strided, register-blocked, subgroup-broadcast) and the matrix-vector
//! kernels; the spec each renders for a checked call, and its dispatch.
//! Which one runs is [`super::plan`]'s choice.

use super::matvec::{self, MatvecChoice};
use super::operands::DenseOperands;
use crate::error::{Error, Result, ShapeError};
use crate::ops::launch::launch;
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_kernels::{
    BlockedConfig, BlockedMatmulSpec, Contiguous, KernelSource, KernelSpec, MatmulSpec, MatmulTile,
    OperandLayout, SubgroupLoad, SubgroupMatmulSpec, BLOCKED_CONFIGS, SUBGROUP_MATMUL_LANES,
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
            MatmulVariant::Tiled(MatmulTile::Direct) => "direct32".into(),
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
            MatmulVariant::Tiled(MatmulTile::Direct),
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

impl DenseOperands {
    /// The blocked spec for `config`, when its alignment rules hold.
    pub(super) fn blocked(&self, config: BlockedConfig) -> Option<BlockedMatmulSpec> {
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
    pub(super) fn subgroup(&self, rows: u32, quads: u32) -> Option<SubgroupMatmulSpec> {
        let features = &self.a.device().adapter().features;
        if !features.has_subgroups_of(SUBGROUP_MATMUL_LANES) {
            return None;
        }
        let load = |l: &OperandLayout, outer: usize, allow_outer: bool| match l
            .vec4_contiguous(outer, self.k)
        {
            Some(Contiguous::K) => SubgroupLoad::KVec4,
            Some(Contiguous::Outer) if allow_outer => SubgroupLoad::OuterVec4,
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

    /// The kernel and grid `variant` runs for this call (`None` for the matvec
    /// kernels, which plan their own launch, or when it does not apply).
    pub(super) fn kernel(
        &self,
        variant: MatmulVariant,
    ) -> Option<(Arc<KernelSource>, Option<[u32; 3]>)> {
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

    /// Record the dispatch of `variant` writing `out` (contiguous, of
    /// [`DenseOperands::out_shape`]). A tile that does not apply is a shape error.
    pub(super) fn run(&self, variant: MatmulVariant, out: &Tensor) -> Result<()> {
        if variant == MatmulVariant::Matvec {
            return matvec::run(self, MatvecChoice::Auto, out);
        }
        let Some((source, grid)) = self.kernel(variant) else {
            return Err(self.unavailable(variant));
        };
        let buffers = [self.a.buffer(), self.b.buffer(), out.buffer()];
        launch(
            "matmul",
            out.device(),
            &source,
            &buffers,
            &self.params,
            grid,
        )
    }

    /// The error of a forced `variant` that does not apply to this call.
    pub(super) fn unavailable(&self, variant: MatmulVariant) -> Error {
        ShapeError::new(
            "matmul",
            format!(
                "variant {} does not apply (vec4 tiles need aligned operands, subgroup kernels subgroups of 8+ lanes)",
                variant.name()
            ),
            &[self.a.shape(), self.b.shape()],
        )
        .into()
    }
}
