//! Per-adapter choice among kernel variants, by measurement, once per shape class.
//!
//! An op that has several variants (tile shapes, vector widths, reductions) names
//! the shape class of a call (dtype, sizes bucketed to powers of two, layout) and
//! the variants applicable to it. The first call of a class on an adapter times
//! each candidate on the call's own operands (compile and one warm-up excluded,
//! best of two runs) and records the fastest in the adapter's [`TuningTable`],
//! which is mirrored to disk under [`tessera_hal::cache_dir::cache_dir`] keyed by
//! adapter, driver and crate version. Later calls, in this process or the next,
//! look the choice up. An entry is recorded under its class and a fingerprint
//! of the candidates' names, so a build that adds or removes a variant for a
//! class measures that class again instead of keeping an older build's choice.
//!
//! `TESSERA_TUNE=off` skips measuring: ops use their built-in heuristic (still
//! honouring choices already in the table); so does the web, which cannot wait
//! for a measurement and has no cache folder. The recording null device is never
//! measured.

mod cache;

pub use cache::TuningTable;

use crate::error::Result;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tessera_hal::Device;

/// Environment variable that turns measuring off (`off` or `0`).
pub const TUNE_ENV: &str = "TESSERA_TUNE";

/// Whether ops measure their variants on first use of a shape class. Never
/// on the web: a measurement must wait for the device, which the web cannot,
/// so ops there use their heuristics.
pub fn tuning_enabled() -> bool {
    !cfg!(target_arch = "wasm32")
        && !matches!(
            std::env::var(TUNE_ENV).as_deref(),
            Ok("off") | Ok("0") | Ok("false")
        )
}

fn tables() -> MutexGuard<'static, HashMap<String, TuningTable>> {
    static TABLES: OnceLock<Mutex<HashMap<String, TuningTable>>> = OnceLock::new();
    TABLES
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn with_table<R>(device: &Arc<dyn Device>, f: impl FnOnce(&mut TuningTable) -> R) -> R {
    let adapter = device.adapter();
    let key = adapter.cache_key();
    let mut tables = tables();
    let table = tables.entry(key.clone()).or_insert_with(|| {
        let identity = format!(
            "{} / {} / {} {}",
            adapter.name, adapter.backend, adapter.driver, adapter.driver_info
        );
        let path =
            tessera_hal::cache_dir::cache_dir().map(|d| d.join(format!("tuning-{key}.json")));
        TuningTable::load(&identity, path)
    });
    f(table)
}

/// The recorded choices of `device`'s adapter, as (shape class, variant)
/// pairs (the class without its candidates' fingerprint).
pub fn recorded_choices(device: &Arc<dyn Device>) -> Vec<(String, String)> {
    with_table(device, |t| {
        t.entries()
            .map(|(k, v)| {
                let class = k.split_once(FINGERPRINT_MARK).map_or(k, |(class, _)| class);
                (class.to_string(), v.to_string())
            })
            .collect()
    })
}

/// Separates a shape class from its candidates' fingerprint in a table key.
const FINGERPRINT_MARK: char = '@';

/// The table key of `class` among candidates named `names`: the class, then
/// a 64-bit FNV-1a hash of the names in order.
fn table_key<'a>(class: &str, names: impl Iterator<Item = &'a str>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for name in names {
        for byte in name.bytes().chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{class}{FINGERPRINT_MARK}{hash:016x}")
}

/// The measured choice behind `ops::select` (ops call that, never this):
/// choose among `candidates` for `class`: the recorded choice if any, else (with
/// tuning on and more than one candidate) the fastest by `measure`, recorded;
/// else `fallback`. `measure` gets the best time so far (`Duration::MAX` at
/// first) so it may cut short a candidate that is clearly slower. A candidate
/// whose measurement fails is skipped.
pub(crate) fn choose<V: Clone>(
    device: &Arc<dyn Device>,
    class: &str,
    candidates: &[V],
    name: impl Fn(&V) -> String,
    fallback: V,
    mut measure: impl FnMut(&V, Duration) -> Result<Duration>,
) -> V {
    if candidates.len() <= 1 {
        return candidates.first().cloned().unwrap_or(fallback);
    }
    // Only devices that run WGSL programs have kernels to measure: the null
    // device records them without running, the CPU backend runs none.
    if device.adapter().features.execution != tessera_hal::Execution::WgslPrograms {
        return fallback;
    }
    let names: Vec<String> = candidates.iter().map(&name).collect();
    let key = table_key(class, names.iter().map(String::as_str));
    if let Some(recorded) = with_table(device, |t| t.get(&key).map(str::to_string)) {
        if let Some(v) = candidates.iter().find(|v| name(v) == recorded) {
            return v.clone();
        }
    }
    if !tuning_enabled() {
        return fallback;
    }
    let mut best: Option<(Duration, &V)> = None;
    for candidate in candidates {
        match measure(candidate, best.map_or(Duration::MAX, |(t, _)| t)) {
            Ok(t) => {
                tracing::debug!("tuning {class}: {} took {t:?}", name(candidate));
                if best.is_none_or(|(b, _)| t < b) {
                    best = Some((t, candidate));
                }
            }
            Err(e) => tracing::debug!("tuning {class}: {} failed: {e}", name(candidate)),
        }
    }
    let Some((time, chosen)) = best else {
        return fallback;
    };
    tracing::info!("tuned {class}: {} ({time:?})", name(chosen));
    with_table(device, |t| t.insert(key, name(chosen)));
    chosen.clone()
}

/// Bucket a size to the next power of two (at least 1, at most 2^20), so shapes
/// of similar cost share a tuning entry.
pub(crate) fn bucket(size: usize) -> usize {
    size.clamp(1, 1 << 20).next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::table_key;

    #[test]
    fn table_key_changes_with_the_candidates() {
        let two = table_key("softmax/f32/n32", ["general", "vec4"].into_iter());
        let three = table_key(
            "softmax/f32/n32",
            ["general", "vec4", "per_thread"].into_iter(),
        );
        let split = table_key("softmax/f32/n32", ["gen", "eralvec4"].into_iter());
        assert!(two.starts_with("softmax/f32/n32@"));
        assert_ne!(two, three);
        assert_ne!(two, split);
        assert_eq!(
            two,
            table_key("softmax/f32/n32", ["general", "vec4"].into_iter())
        );
    }
}
