//! The shape of a register-blocked workgroup tile, shared by the blocked
//! matmul ([`BlockedConfig`](crate::BlockedConfig)) and the implicit-GEMM
//! conv ([`ConvGemmConfig`](crate::ConvGemmConfig)); each kernel adds its own
//! validity rules on top of [`TileShape::blocks_fit`].

/// One workgroup computes a `bm x bn` output tile, staging `bk`-deep slices
/// of both operands; each invocation owns a `tm x tn` block of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileShape {
    /// Output rows per workgroup (output channels, for the conv).
    pub bm: u32,
    /// Output columns per workgroup (output pixels, for the conv).
    pub bn: u32,
    /// Depth of one staged step.
    pub bk: u32,
    /// Output rows per invocation (a multiple of 4).
    pub tm: u32,
    /// Output columns per invocation (a multiple of 4).
    pub tn: u32,
}

impl TileShape {
    /// Invocations per workgroup.
    pub fn threads(&self) -> u32 {
        (self.bm / self.tm) * (self.bn / self.tn)
    }

    /// Short name, e.g. `64x64x16t16x16`.
    pub fn name(&self) -> String {
        format!(
            "{}x{}x{}t{}x{}",
            self.bm, self.bn, self.bk, self.tm, self.tn
        )
    }

    /// Bytes of workgroup memory for both staged tiles (f32).
    pub fn workgroup_bytes(&self) -> u32 {
        (self.bm + self.bn) * self.bk * 4
    }

    /// The rules every register-blocked kernel shares: blocks of whole
    /// vec4s that divide the tile, and 1 to 256 invocations (WebGPU's
    /// guaranteed limit).
    pub fn blocks_fit(&self) -> bool {
        self.tm.is_multiple_of(4)
            && self.tn.is_multiple_of(4)
            && self.bm.is_multiple_of(self.tm)
            && self.bn.is_multiple_of(self.tn)
            && (1..=256).contains(&self.threads())
    }
}
