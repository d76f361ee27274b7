//! The one selector of an op's kernel. Every op that has more than one
//! candidate kernel decides here: the candidates that apply to the call and
//! the device (the caller filters them by shape, layout and the declared
//! needs), the heuristic's pick, and, for an op declared `tuned`, the winner
//! measured once per adapter and shape class and cached on disk
//! ([`crate::tuning`]). The measurement runs the candidate's kernel alone,
//! never the op again.

use super::declaration::OpDeclaration;
use crate::error::Result;
use std::sync::Arc;
use std::time::Duration;
use tessera_hal::Device;

/// The kernel for one call of `decl`: `heuristic` unless the op is tuned and
/// there is a choice, else the recorded or measured winner among
/// `candidates` for `class` on `device` (`measure` times one candidate, given
/// the best time so far).
pub(crate) fn select<V: Clone>(
    decl: &OpDeclaration,
    device: &Arc<dyn Device>,
    class: &str,
    candidates: &[V],
    name: impl Fn(&V) -> String,
    heuristic: V,
    measure: impl FnMut(&V, Duration) -> Result<Duration>,
) -> V {
    if !decl.tuned {
        return heuristic;
    }
    crate::tuning::choose(device, class, candidates, name, heuristic, measure)
}
