//! Parameter uniforms: the host structs a kernel reads its sizes, offsets and
//! strides from, and the WGSL `struct Params` that mirrors each of them.
//!
//! A parameter type is a `#[repr(C)]` Pod struct whose [`UniformParams`] impl
//! ([`uniform_params!`]) names its WGSL mirror and lists its fields; the
//! renderer puts the mirror into every kernel that binds the type, and the
//! crate's tests lay the mirror out with naga and compare it, field by field,
//! with the host struct.

use crate::DType;

/// A kernel's parameter uniform: a `#[repr(C)]` Pod struct written by the host
/// and mirrored by a WGSL `struct Params` (bound as `var<uniform> p: Params`).
pub trait UniformParams: bytemuck::Pod {
    /// The WGSL declaration of `struct Params` with this type's layout.
    const WGSL: &'static str;

    /// The fields in declaration order, as the host lays them out.
    fn fields() -> Vec<ParamsField>;
}

/// One field of a parameter struct as the host lays it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamsField {
    /// The field's name; the WGSL member has the same name, except that a
    /// padding field (`pad*`) may be mirrored by several `pad*` members.
    pub name: &'static str,
    /// Byte offset in the struct.
    pub offset: usize,
    /// Size in bytes.
    pub size: usize,
    /// Scalar type of the field, or of its elements for an array.
    pub scalar: DType,
}

/// Scalar types a parameter field holds, alone or in an array.
pub(crate) trait ParamScalar {
    /// The scalar type.
    const DTYPE: DType;
}

impl ParamScalar for u32 {
    const DTYPE: DType = DType::U32;
}

impl ParamScalar for i32 {
    const DTYPE: DType = DType::I32;
}

impl ParamScalar for f32 {
    const DTYPE: DType = DType::F32;
}

impl<T: ParamScalar, const N: usize> ParamScalar for [T; N] {
    const DTYPE: DType = T::DTYPE;
}

/// The scalar type of a field's value (used by [`uniform_params!`]).
pub(crate) fn scalar_of<T: ParamScalar>(_: &T) -> DType {
    T::DTYPE
}

/// Implement [`UniformParams`] for a parameter struct: its WGSL mirror and
/// every field, in order. Leaving a field out does not compile.
///
/// `uniform_params!(RopeParams = include_str!("wgsl/rope_params.wgsl"); n, heads, ...);`
macro_rules! uniform_params {
    ($ty:ident = $wgsl:expr; $($field:ident),+ $(,)?) => {
        impl $crate::UniformParams for $ty {
            const WGSL: &'static str = $wgsl;

            fn fields() -> Vec<$crate::ParamsField> {
                let zero = <$ty as bytemuck::Zeroable>::zeroed();
                // Exhaustive: a struct field missing from the list is an error.
                let $ty { $($field: _),+ } = zero;
                vec![$($crate::ParamsField {
                    name: stringify!($field),
                    offset: std::mem::offset_of!($ty, $field),
                    size: std::mem::size_of_val(&zero.$field),
                    scalar: $crate::params::scalar_of(&zero.$field),
                }),+]
            }
        }
    };
}
pub(crate) use uniform_params;
