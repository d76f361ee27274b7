//! The declarations of the matmul family (see [`OpDeclaration`]): the dense
//! product and the product with a quantized weight.

use crate::ops::{KernelCandidate, Needs, OpDeclaration};
use tessera_kernels::{DType, QUANT_MATVEC_SUBGROUP_LANES};

/// The declaration of `matmul` (see [`OpDeclaration`]).
pub(crate) const MATMUL: OpDeclaration = OpDeclaration {
    name: "matmul",
    summary: "[.., m, k] @ [.., k, n] with batch broadcasting and strided operands",
    api: "Tensor::matmul",
    reference: "reference::matmul",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "matmul_f32(k) / matmul_f16(k)",
    kernels: &[
        KernelCandidate {
            name: "matvec",
            spec: "MatvecSpec",
            needs: Needs::NOTHING,
            when: "1 <= m <= 8 on GPUs",
        },
        KernelCandidate {
            name: "blocked",
            spec: "BlockedMatmulSpec",
            needs: Needs::NOTHING,
            when: "m, n >= 64: register-blocked tiles",
        },
        KernelCandidate {
            name: "subgroup",
            spec: "SubgroupMatmulSpec",
            needs: Needs::SUBGROUPS,
            when: "m, n >= 64 on host-memory adapters",
        },
        KernelCandidate {
            name: "tile64",
            spec: "MatmulSpec",
            needs: Needs::NOTHING,
            when: "large outputs",
        },
        KernelCandidate {
            name: "tile64fat",
            spec: "MatmulSpec",
            needs: Needs::NOTHING,
            when: "large outputs on host-memory adapters",
        },
        KernelCandidate {
            name: "direct32",
            spec: "MatmulSpec",
            needs: Needs::NOTHING,
            when: "software adapters behind the browser (no barrier)",
        },
        KernelCandidate {
            name: "tile16",
            spec: "MatmulSpec",
            needs: Needs::NOTHING,
            when: "small outputs",
        },
    ],
    tuned: true,
    conformance: crate::conformance::matmul,
};

/// The declaration of `matmul_quant_t` (see [`OpDeclaration`]).
pub(crate) const MATMUL_QUANT_T: OpDeclaration = OpDeclaration {
    name: "matmul_quant_t",
    summary: "x · Wᵀ (+ residual) for a weight in any GGUF quant format",
    api: "Tensor::matmul_t (a quantized Weight), nn::Linear",
    reference: "quant::dequantize_rows, then reference::matmul",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "matmul_f32(k) / matmul_f16(k)",
    kernels: &[
        KernelCandidate {
            name: "matvec_subgroup",
            spec: "QuantMatvecSpec",
            needs: Needs {
                subgroup_lanes: QUANT_MATVEC_SUBGROUP_LANES,
                f16: false,
            },
            when: "up to 8 rows on host-memory adapters",
        },
        KernelCandidate {
            name: "matvec",
            spec: "QuantMatvecSpec",
            needs: Needs::NOTHING,
            when: "up to 8 rows (split-k)",
        },
        KernelCandidate {
            name: "dequantized",
            spec: "QuantGatherSpec + dense matmul",
            needs: Needs::NOTHING,
            when: "more rows on host-memory adapters, f32 copy under 256 MiB",
        },
        KernelCandidate {
            name: "tiled_wide",
            spec: "QuantTiledSpec",
            needs: Needs::NOTHING,
            when: "more rows on GPUs",
        },
        KernelCandidate {
            name: "tiled_fat",
            spec: "QuantTiledSpec",
            needs: Needs::NOTHING,
            when: "more rows on host-memory adapters past the f32 copy limit",
        },
    ],
    tuned: false,
    conformance: crate::conformance::matmul_quant_t,
};
