//! Rendered kernels, kept per spec value.
//!
//! Rendering builds the whole WGSL text of a kernel (string and float
//! formatting), which costs several times more host time than recording the
//! dispatch itself. An op renders its spec on every call, so without this cache
//! a chain of small ops spends most of its host time re-rendering text the device
//! has already compiled. [`KernelSpec::rendered`] renders a spec once per
//! process and hands out the shared result afterwards.
//!
//! Specs are small `Copy` values (dtype, op, layout, tile choice), never shapes,
//! so the cache holds one entry per distinct kernel, as the device's pipeline
//! cache does.

use crate::{KernelSource, UniformParams};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

/// A kernel configuration that renders to WGSL. Every spec type of the crate
/// implements it (see `registry.rs`), which ties it to its parameter uniform
/// and lists its variants.
pub trait KernelSpec: Copy + Eq + Hash + std::fmt::Debug + Send + Sync + 'static {
    /// What rendering gives: `Arc<KernelSource>`, or for specs that may name no
    /// kernel (RMS norm with a bias), `Option<Arc<KernelSource>>`.
    type Rendered: Clone + Send + Into<Option<Arc<KernelSource>>> + 'static;

    /// The parameter uniform the kernels of this spec bind.
    type Params: UniformParams;

    /// Render the kernel now (the whole WGSL text).
    fn render_now(&self) -> Self::Rendered;

    /// Every variant of this spec type: each dtype, tuning choice and flag it
    /// renders. Each one renders a kernel.
    fn all() -> Vec<Self>;

    /// Whether the kernel needs subgroup operations on the adapter.
    fn needs_subgroups(&self) -> bool;

    /// The rendering of this spec, rendered on first use and shared after.
    fn rendered(&self) -> Self::Rendered {
        if let Some(source) = with_cache::<Self, _>(|cache| cache.get(self).cloned()) {
            return source;
        }
        // Rendered outside the lock: rendering never needs the cache, and other
        // threads' lookups need not wait for it. Two threads may both render a
        // new spec; the renderings are equal, so either may win.
        let source = self.render_now();
        with_cache::<Self, _>(|cache| cache.entry(*self).or_insert(source).clone())
    }
}

type Caches = HashMap<TypeId, Box<dyn Any + Send>>;

/// Run `f` on the cache of spec type `S` (one map per spec type).
fn with_cache<S: KernelSpec, R>(f: impl FnOnce(&mut HashMap<S, S::Rendered>) -> R) -> R {
    static CACHES: OnceLock<Mutex<Caches>> = OnceLock::new();
    // A panic while holding the lock cannot leave a map half-updated (each
    // update is one insert), so a poisoned lock is still safe to use.
    let mut caches = CACHES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let cache = caches
        .entry(TypeId::of::<S>())
        .or_insert_with(|| Box::new(HashMap::<S, S::Rendered>::new()))
        .downcast_mut::<HashMap<S, S::Rendered>>()
        .expect("each cache is stored under its own spec type");
    f(cache)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BinaryOp, BinarySpec, DType, UnaryOp, UnarySpec};

    #[test]
    fn a_spec_renders_once_and_equal_specs_share_it() {
        let add = BinarySpec {
            op: BinaryOp::Add,
            dtype: DType::F32,
        };
        let first = add.rendered();
        assert_eq!(*first, add.render());
        assert!(Arc::ptr_eq(&first, &add.rendered()));
        let mul = BinarySpec {
            op: BinaryOp::Mul,
            ..add
        };
        assert_ne!(mul.rendered().key, first.key);
        // Another spec type with its own map.
        let exp = UnarySpec {
            op: UnaryOp::Exp,
            dtype: DType::F32,
        };
        assert_eq!(*exp.rendered(), exp.render());
        assert!(Arc::ptr_eq(&first, &add.rendered()));
    }
}
