//! Every kernel the crate renders, from the registry: each validates with
//! naga (with exactly the capabilities it may use), binds what its source
//! lists, lays out its parameter struct as the host does, and has a key of its
//! own; and every spec type of the crate is in the registry.

use super::*;
use crate::naga_check::{check_kernel_with, check_params_layout};
use crate::{ParamsField, UniformParams};
use std::any::type_name;
use std::collections::{BTreeSet, HashSet};

/// One rendered variant and what its spec type says about it.
struct Variant {
    source: KernelSource,
    subgroups: bool,
    fields: Vec<ParamsField>,
    params_size: usize,
}

/// The last segment of a type's path.
fn short_name<T>() -> &'static str {
    type_name::<T>().rsplit("::").next().unwrap()
}

/// Every variant of every spec type, and the spec types' and their parameter
/// types' short names.
fn all_variants() -> (Vec<Variant>, Vec<&'static str>, BTreeSet<&'static str>) {
    struct Collect(Vec<Variant>, Vec<&'static str>, BTreeSet<&'static str>);
    impl SpecVisitor for Collect {
        fn visit<S: KernelSpec>(&mut self) {
            let name = short_name::<S>();
            let all = S::all();
            assert!(!all.is_empty(), "{name} has no variants");
            for spec in all {
                let source: Option<Arc<KernelSource>> = spec.render_now().into();
                let source = source.unwrap_or_else(|| panic!("{spec:?} renders no kernel"));
                self.0.push(Variant {
                    source: Arc::unwrap_or_clone(source),
                    subgroups: spec.needs_subgroups(),
                    fields: S::Params::fields(),
                    params_size: std::mem::size_of::<S::Params>(),
                });
            }
            self.1.push(name);
            self.2.insert(short_name::<S::Params>());
        }
    }
    let mut collect = Collect(Vec::new(), Vec::new(), BTreeSet::new());
    for_each_spec_type(&mut collect);
    (collect.0, collect.1, collect.2)
}

#[test]
fn every_kernel_validates_and_mirrors_its_params() {
    let (variants, ..) = all_variants();
    let mut keys = HashSet::new();
    for v in &variants {
        assert!(keys.insert(&v.source.key), "duplicate key {}", v.source.key);
        assert_eq!(
            v.source.params_size as usize, v.params_size,
            "{}",
            v.source.key
        );
        assert_eq!(
            v.params_size % 16,
            0,
            "{}: params not 16-byte sized",
            v.source.key
        );
    }
    // naga in a debug build takes milliseconds a kernel: use every core.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = variants.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in variants.chunks(chunk) {
            scope.spawn(move || {
                for v in part {
                    check_kernel_with(&v.source, v.subgroups);
                    check_params_layout(&v.source, &v.fields, v.params_size);
                }
            });
        }
    });
}

#[test]
fn all_kernel_sources_lists_every_variant() {
    let (variants, names, _) = all_variants();
    let sources = all_kernel_sources();
    assert_eq!(sources.len(), variants.len());
    assert!(sources.iter().zip(&variants).all(|(s, v)| *s == v.source));
    // Each spec type renders kernels of its own family (the key's first part).
    let families: BTreeSet<&str> = sources
        .iter()
        .map(|s| s.key.split('/').next().unwrap())
        .collect();
    assert!(families.len() >= names.len(), "{families:?}");
    assert!(sources.iter().all(|s| s.entry == "main"));
}

/// The names that follow `marker` in the crate's sources and end in `suffix`.
fn names_in_sources(marker: &str, suffix: &str) -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for rest in text.split(marker).skip(1) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name.ends_with(suffix) {
                    names.insert(name);
                }
            }
        }
    }
    names
}

#[test]
fn every_spec_and_params_type_is_registered() {
    let (_, names, params) = all_variants();
    let registered: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    assert_eq!(registered.len(), names.len(), "a spec type is listed twice");
    assert_eq!(registered, names_in_sources("pub struct ", "Spec"));
    let params: BTreeSet<String> = params.iter().map(|n| n.to_string()).collect();
    assert_eq!(params, names_in_sources("uniform_params!(", "Params"));
}
