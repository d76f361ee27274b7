//! Test-only: validate a rendered kernel with naga and translate it to SPIR-V
//! (Vulkan) and GLSL ES 3.1 (GL), the two paths our CI adapters take; check
//! its bindings against the source's list and its parameter struct against
//! the host's.
//!
//! Kernels are validated with exactly the capabilities they may rely on: f16
//! only where the source says it needs `shader-f16`, subgroup operations only
//! for the subgroup variants (checked with [`check_kernel_with`]), so a portable
//! kernel that slips into a subgroup builtin fails here. naga 30 takes subgroup
//! builtins without an `enable` directive (it rejects `enable subgroups;` as
//! unimplemented); wgpu admits them when the device has `Features::SUBGROUP`.

use crate::{BindingKind, DType, KernelSource, ParamsField};
use naga::back::PipelineConstants;
use naga::valid::{Capabilities, ValidationFlags, Validator};

/// Parse, validate, resolve overrides and emit SPIR-V and GLSL for `src`, a
/// kernel that uses no subgroup operations.
/// Panics with the kernel key and naga's message on any failure.
pub fn check_kernel(src: &KernelSource) {
    check_kernel_with(src, false);
}

/// [`check_kernel`], granting the subgroup capability when `subgroups`. A
/// subgroup kernel is only emitted as SPIR-V: our GL adapters have no subgroups,
/// and the runtime never picks a subgroup variant there.
pub fn check_kernel_with(src: &KernelSource, subgroups: bool) {
    let module = parse(src);
    check_bindings(src, &module);
    let mut caps = Capabilities::all();
    if !src.needs_f16 {
        caps -= Capabilities::SHADER_FLOAT16;
    }
    if !subgroups {
        caps -= Capabilities::SUBGROUP | Capabilities::SUBGROUP_BARRIER;
    }
    let info = Validator::new(ValidationFlags::all(), caps)
        .validate(&module)
        .unwrap_or_else(|e| {
            panic!(
                "{}: validation error:\n{}",
                src.key,
                e.emit_to_string(&src.wgsl)
            )
        });
    let entry = module
        .entry_points
        .iter()
        .find(|ep| ep.name == src.entry)
        .unwrap_or_else(|| panic!("{}: no entry point named {}", src.key, src.entry));
    assert_eq!(
        entry.stage,
        naga::ShaderStage::Compute,
        "{}: entry is not compute",
        src.key
    );

    let mut constants = PipelineConstants::default();
    for (name, value) in &src.overrides {
        constants.insert(name.clone(), *value);
    }
    let (module, info) = naga::back::pipeline_constants::process_overrides(
        &module,
        &info,
        Some((naga::ShaderStage::Compute, src.entry)),
        &constants,
    )
    .unwrap_or_else(|e| panic!("{}: override error: {e}", src.key));
    let wg = module
        .entry_points
        .iter()
        .find(|ep| ep.name == src.entry)
        .map(|ep| ep.workgroup_size)
        .unwrap();
    assert_eq!(
        wg, src.workgroup,
        "{}: workgroup size differs from the spec",
        src.key
    );

    let pipeline = naga::back::spv::PipelineOptions {
        shader_stage: naga::ShaderStage::Compute,
        entry_point: src.entry.to_string(),
    };
    naga::back::spv::write_vec(&module, &info, &Default::default(), Some(&pipeline))
        .unwrap_or_else(|e| panic!("{}: SPIR-V emission failed: {e}", src.key));

    if !src.needs_f16 && !subgroups {
        let options = naga::back::glsl::Options {
            version: naga::back::glsl::Version::Embedded {
                version: 310,
                is_webgl: false,
            },
            ..Default::default()
        };
        let pipeline = naga::back::glsl::PipelineOptions {
            shader_stage: naga::ShaderStage::Compute,
            entry_point: src.entry.to_string(),
            multiview: None,
        };
        let mut out = String::new();
        let mut writer = naga::back::glsl::Writer::new(
            &mut out,
            &module,
            &info,
            &options,
            &pipeline,
            naga::proc::BoundsCheckPolicies::default(),
        )
        .unwrap_or_else(|e| panic!("{}: GLSL writer failed: {e}", src.key));
        writer
            .write()
            .unwrap_or_else(|e| panic!("{}: GLSL emission failed: {e}", src.key));
    }
}

/// The naga module of `src`; panics with naga's message on a parse error.
fn parse(src: &KernelSource) -> naga::Module {
    naga::front::wgsl::parse_str(&src.wgsl).unwrap_or_else(|e| {
        panic!(
            "{}: WGSL parse error:\n{}",
            src.key,
            e.emit_to_string(&src.wgsl)
        )
    })
}

/// The module's resource bindings are the ones `src` lists: storage buffers
/// at group 0, bindings `0..n` with the listed access, and the parameter
/// uniform at binding `n` when the source has one.
fn check_bindings(src: &KernelSource, module: &naga::Module) {
    let mut found: Vec<(u32, Option<BindingKind>)> = Vec::new();
    for (_, var) in module.global_variables.iter() {
        let Some(binding) = &var.binding else {
            continue;
        };
        assert_eq!(binding.group, 0, "{}: binding outside group 0", src.key);
        let kind = match var.space {
            naga::AddressSpace::Storage { access } => {
                Some(if access.contains(naga::StorageAccess::STORE) {
                    BindingKind::ReadWrite
                } else {
                    BindingKind::ReadOnly
                })
            }
            naga::AddressSpace::Uniform => None,
            other => panic!("{}: unexpected binding space {other:?}", src.key),
        };
        found.push((binding.binding, kind));
    }
    found.sort_by_key(|&(binding, _)| binding);
    let mut want: Vec<(u32, Option<BindingKind>)> = (0..)
        .zip(src.bindings.iter().map(|&kind| Some(kind)))
        .collect();
    if src.params_size > 0 {
        want.push((src.bindings.len() as u32, None));
    }
    assert_eq!(
        found, want,
        "{}: bindings differ from the source's list",
        src.key
    );
}

/// The scalar type of a naga type, or of its elements.
fn scalar_of(module: &naga::Module, ty: naga::Handle<naga::Type>) -> DType {
    match module.types[ty].inner {
        naga::TypeInner::Scalar(s) | naga::TypeInner::Vector { scalar: s, .. } => {
            match (s.kind, s.width) {
                (naga::ScalarKind::Uint, 4) => DType::U32,
                (naga::ScalarKind::Sint, 4) => DType::I32,
                (naga::ScalarKind::Float, 4) => DType::F32,
                (naga::ScalarKind::Float, 2) => DType::F16,
                other => panic!("unexpected scalar {other:?}"),
            }
        }
        naga::TypeInner::Array { base, .. } => scalar_of(module, base),
        ref other => panic!("unexpected member type {other:?}"),
    }
}

/// The parameter struct of `src` (the type of its uniform), laid out by naga,
/// has exactly the host's layout `fields` and size `size`: every field is
/// mirrored by a member of the same name, offset, size and scalar type, and a
/// padding field (`pad*`) may be mirrored by consecutive `pad*` members that
/// cover it exactly.
pub fn check_params_layout(src: &KernelSource, fields: &[ParamsField], size: usize) {
    let module = parse(src);
    let mut layouter = naga::proc::Layouter::default();
    layouter
        .update(module.to_ctx())
        .unwrap_or_else(|e| panic!("{}: layout error: {e}", src.key));
    let (_, uniform) = module
        .global_variables
        .iter()
        .find(|(_, v)| v.space == naga::AddressSpace::Uniform)
        .unwrap_or_else(|| panic!("{}: no parameter uniform", src.key));
    let naga::TypeInner::Struct { members, .. } = &module.types[uniform.ty].inner else {
        panic!("{}: the parameter uniform is not a struct", src.key);
    };
    let key = &src.key;
    assert_eq!(
        layouter[uniform.ty].size as usize, size,
        "{key}: WGSL Params size differs from the host struct's"
    );
    // (name, offset, size, scalar) of each WGSL member.
    let wgsl: Vec<(&str, usize, usize, DType)> = members
        .iter()
        .map(|m| {
            (
                m.name.as_deref().unwrap_or(""),
                m.offset as usize,
                layouter[m.ty].size as usize,
                scalar_of(&module, m.ty),
            )
        })
        .collect();
    let mut next = 0;
    for field in fields {
        let end = field.offset + field.size;
        let covering: Vec<_> = wgsl
            .iter()
            .filter(|m| m.1 >= field.offset && m.1 < end)
            .collect();
        let mut at = field.offset;
        for &&(name, offset, member_size, scalar) in &covering {
            assert_eq!(
                offset, at,
                "{key}: WGSL member {name} is not at {at} ({field:?})"
            );
            assert_eq!(
                scalar, field.scalar,
                "{key}: WGSL member {name} type ({field:?})"
            );
            let same = covering.len() == 1 && name == field.name;
            let padding = name.starts_with("pad") && field.name.starts_with("pad");
            assert!(
                same || padding,
                "{key}: WGSL member {name} mirrors {field:?}"
            );
            at += member_size;
        }
        assert_eq!(at, end, "{key}: WGSL members do not cover {field:?}");
        next += covering.len();
    }
    assert_eq!(
        next,
        wgsl.len(),
        "{key}: WGSL Params has members the host lacks"
    );
}
