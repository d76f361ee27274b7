//! The declaration of an op: everything about it that is not backend code,
//! in one value. The list of every declaration ([`crate::ops::DECLARATIONS`])
//! is what the conformance suite, `docs/CONFORMANCE.md` and every backend are
//! generated from.

use crate::conformance::Cases;
use crate::error::Result;
use tessera_hal::{DeviceFeatures, Execution};
use tessera_kernels::DType;

/// What a kernel candidate needs from the device, asked of its capabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Subgroup operations with at least this many lanes (0: none needed).
    pub subgroup_lanes: u32,
    /// `shader-f16` (for f16 operands).
    pub f16: bool,
}

impl Needs {
    /// Nothing beyond WGSL compute.
    pub const NOTHING: Needs = Needs {
        subgroup_lanes: 0,
        f16: false,
    };

    /// Subgroups of any size.
    pub const SUBGROUPS: Needs = Needs {
        subgroup_lanes: 1,
        f16: false,
    };

    /// Whether a device with `features` offers what this needs.
    pub fn met_by(&self, features: &DeviceFeatures) -> bool {
        let subgroups =
            features.subgroups && features.subgroup_min_size.max(1) >= self.subgroup_lanes;
        (self.subgroup_lanes == 0 || subgroups) && (!self.f16 || features.shader_f16)
    }
}

/// One kernel an op may lower to on a device that runs WGSL programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelCandidate {
    /// The candidate's name, as benchmarks and the tuning cache spell it.
    pub name: &'static str,
    /// The kernels crate's spec that renders it.
    pub spec: &'static str,
    /// What the device must offer.
    pub needs: Needs,
    /// When the heuristic picks it (for the docs).
    pub when: &'static str,
}

/// An op, declared once: its name, what it accepts, how close to its
/// reference it must be, and the kernels it may run as. The shape and dtype
/// rule and the `Tensor` method live beside the declaration, in the op's file;
/// the reference in [`crate::reference`]; the CPU backend runs that
/// reference ([`Execution::HostOps`]).
#[derive(Clone, Copy)]
pub struct OpDeclaration {
    /// The op's name and stem: `runtime/src/ops/<stem>.rs`, `tests/ops_<stem>.rs`.
    pub name: &'static str,
    /// One line on what it computes.
    pub summary: &'static str,
    /// The `Tensor` method(s) that run it.
    pub api: &'static str,
    /// The reference implementation (the oracle and the CPU backend).
    pub reference: &'static str,
    /// Element types of its float operands it accepts.
    pub dtypes: &'static [DType],
    /// The named tolerance against the reference (per dtype in the cases).
    pub tolerance: &'static str,
    /// The kernels it may lower to, in the heuristic's order of preference.
    pub kernels: &'static [KernelCandidate],
    /// Whether the choice among kernels is measured once per adapter and
    /// shape class and cached on disk ([`crate::tuning`]).
    pub tuned: bool,
    /// The conformance cases: fresh random inputs of odd shapes, each
    /// result compared with the reference under the op's tolerance.
    pub conformance: fn(&mut Cases) -> Result<()>,
}

impl OpDeclaration {
    /// The candidates a device with `features` can run (none on a device
    /// that runs ops directly).
    pub fn candidates_for(&self, features: &DeviceFeatures) -> Vec<&'static KernelCandidate> {
        if features.execution == Execution::HostOps {
            return Vec::new();
        }
        self.kernels
            .iter()
            .filter(|k| k.needs.met_by(features))
            .collect()
    }
}

impl std::fmt::Debug for OpDeclaration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpDeclaration({})", self.name)
    }
}
