//! The registry of spec types: every spec the crate defines, tied to the
//! parameter uniform its kernels bind, so that every kernel the crate renders
//! can be listed ([`all_kernel_sources`]) and tested.
//!
//! Each spec type has an inherent `render` and `all` (and, where it may use
//! subgroups, `needs_subgroups`); the list below turns them into its
//! [`KernelSpec`] impl. A spec type missing from the list has no
//! [`KernelSpec::rendered`], and the crate's tests fail on any `pub struct
//! ...Spec` the list does not name.

use crate::{KernelSource, KernelSpec};
use std::sync::Arc;

/// Something that visits spec types one by one ([`for_each_spec_type`]).
pub(crate) trait SpecVisitor {
    /// Visit the spec type `S`.
    fn visit<S: KernelSpec>(&mut self);
}

/// Implement [`KernelSpec`] for every spec type, from its inherent `render`
/// (returning the source, or for `optional` specs an `Option` of it), `all`
/// and, where named after the params, `needs_subgroups`; and list them in
/// [`for_each_spec_type`].
macro_rules! kernel_specs {
    (
        always: $($spec:ident($params:ident $(, $sg:ident)?)),* ;
        optional: $($opt:ident($oparams:ident $(, $osg:ident)?)),* $(,)?
    ) => {
        $(kernel_specs!(@impl $spec, $params, Arc<KernelSource>, Arc::new $(, $sg)?);)*
        $(kernel_specs!(
            @impl $opt, $oparams, Option<Arc<KernelSource>>,
            |s: Option<KernelSource>| s.map(Arc::new) $(, $osg)?
        );)*

        /// Call `visitor.visit::<S>()` for every spec type `S` of the crate.
        pub(crate) fn for_each_spec_type(visitor: &mut impl SpecVisitor) {
            $(visitor.visit::<crate::$spec>();)*
            $(visitor.visit::<crate::$opt>();)*
        }
    };
    (@impl $spec:ident, $params:ident, $rendered:ty, $share:expr $(, $sg:ident)?) => {
        impl KernelSpec for crate::$spec {
            type Rendered = $rendered;
            type Params = crate::$params;

            fn render_now(&self) -> $rendered {
                ($share)(crate::$spec::render(self))
            }

            fn all() -> Vec<Self> {
                crate::$spec::all()
            }

            fn needs_subgroups(&self) -> bool {
                (kernel_specs!(@subgroups $spec $(, $sg)?))(self)
            }
        }
    };
    (@subgroups $spec:ident) => { |_: &crate::$spec| false };
    (@subgroups $spec:ident, $sg:ident) => { crate::$spec::$sg };
}

kernel_specs!(
    always:
    AffineSpec(UnaryParams),
    AffineVec4Spec(UnaryParams),
    BinarySpec(BinaryParams),
    BinaryVec4Spec(BinaryVec4Params),
    BlockedMatmulSpec(MatmulParams),
    CastSpec(CastParams),
    ConvGemmSpec(WindowParams),
    ConvSpec(WindowParams),
    ConvTransposeSpec(WindowParams),
    CopySpec(CopyParams),
    CopyVec4Spec(CopyVec4Params),
    DecodeAttentionSpec(DecodeAttentionParams),
    FusedMapSpec(FusedMapParams),
    GatherSpec(GatherParams),
    MatmulSpec(MatmulParams),
    MatvecSpec(MatmulParams),
    PoolSpec(WindowParams),
    QkvRopeSpec(QkvRopeParams),
    QuantGatherSpec(QuantGatherParams),
    QuantMatvecSpec(QuantMatmulParams, needs_subgroups),
    QuantTiledSpec(QuantMatmulParams),
    ReduceSpec(ReduceParams),
    RopeSpec(RopeParams),
    SlottedAttentionSpec(SlottedAttentionParams),
    SlottedQkvRopeSpec(SlottedQkvRopeParams),
    SoftmaxPerThreadSpec(SoftmaxParams),
    SoftmaxSpec(SoftmaxParams),
    SoftmaxVec4Spec(SoftmaxParams, needs_subgroups),
    SubgroupMatmulSpec(MatmulParams, needs_subgroups),
    UnarySpec(UnaryParams),
    UnaryVec4Spec(UnaryParams),
    WhereSpec(WhereParams);
    optional:
    NormPerThreadSpec(NormParams),
    NormSpec(NormParams),
    NormVec4Spec(NormParams, needs_subgroups),
);

/// Every kernel the crate renders: each variant ([`KernelSpec::all`]) of each
/// spec type. For tools that list or precompile kernels, and for the tests
/// that validate every one.
pub fn all_kernel_sources() -> Vec<KernelSource> {
    struct Collect(Vec<KernelSource>);
    impl SpecVisitor for Collect {
        fn visit<S: KernelSpec>(&mut self) {
            let rendered = S::all().into_iter().filter_map(|s| s.render_now().into());
            self.0.extend(rendered.map(Arc::unwrap_or_clone));
        }
    }
    let mut collect = Collect(Vec::new());
    for_each_spec_type(&mut collect);
    collect.0
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
