//! Test-only: validate a rendered kernel with naga and translate it to SPIR-V
//! (Vulkan) and GLSL ES 3.1 (GL), the two paths our CI adapters take.
//!
//! Kernels are validated with exactly the capabilities they may rely on: f16
//! only where the source says it needs `shader-f16`, subgroup operations only
//! for the subgroup variants (checked with [`check_kernel_with`]), so a portable
//! kernel that slips into a subgroup builtin fails here. naga 30 takes subgroup
//! builtins without an `enable` directive (it rejects `enable subgroups;` as
//! unimplemented); wgpu admits them when the device has `Features::SUBGROUP`.

use crate::KernelSource;
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
    let module = naga::front::wgsl::parse_str(&src.wgsl).unwrap_or_else(|e| {
        panic!(
            "{}: WGSL parse error:\n{}",
            src.key,
            e.emit_to_string(&src.wgsl)
        )
    });
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
