//! The window ops (conv, conv_transpose, pool): their declared conformance
//! cases on every test adapter, and bad shapes as typed errors.

mod common;

use common::*;
use tessera_runtime::conformance::{dtypes_for, run_op};
use tessera_runtime::ops::DECLARATIONS;
use tessera_runtime::reference::{ConvActivation, PoolMode, WindowGeometry};
use tessera_runtime::{Error, Tensor};

#[test]
fn window_ops_match_their_reference_on_every_adapter() {
    let (_, seed) = seeded_rng("ops_conv");
    let mut failures = Vec::new();
    for device in test_devices() {
        for op in DECLARATIONS
            .iter()
            .filter(|d| ["conv", "conv_transpose", "pool"].contains(&d.name))
        {
            for dtype in dtypes_for(op, device) {
                let row = run_op(op, device, dtype, seed);
                eprintln!(
                    "{} on {}: {} checks, worst {:.2e} ({:.2} of tolerance)",
                    op.name,
                    label(device),
                    row.report.checks,
                    row.report.worst_error,
                    row.report.worst_fraction
                );
                failures.extend(row.error.map(|e| format!("{}: {e}", op.name)));
                failures.extend(row.report.failures);
                assert!(row.report.checks > 0, "{} ran no checks", op.name);
            }
        }
    }
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
}

#[test]
fn bad_window_shapes_are_shape_errors() {
    let device = &test_devices()[0];
    let x = Tensor::from_slice(device, &[0.5f32; 2 * 3 * 5 * 5], &[2, 3, 5, 5]).unwrap();
    let w = Tensor::from_slice(device, &[0.25f32; 4 * 3 * 3 * 3], &[4, 3, 3, 3]).unwrap();
    let geom = WindowGeometry::plain(&[3, 3]);
    let shape_err = |r: Result<Tensor, Error>, what: &str| match r {
        Err(Error::Shape(_)) => {}
        other => panic!("{what}: expected a shape error, got {other:?}"),
    };
    // Groups that do not divide the channels, a kernel larger than the input,
    // a weight of the wrong kernel, a bias of the wrong length, a 1-D window
    // over a 2-D input, a zero stride.
    shape_err(x.conv(&w, None, 2, &geom, ConvActivation::None), "groups");
    let big = WindowGeometry::plain(&[7, 7]);
    let w7 = Tensor::from_slice(device, &[0.25f32; 4 * 3 * 49], &[4, 3, 7, 7]).unwrap();
    shape_err(
        x.conv(&w7, None, 1, &big, ConvActivation::None),
        "kernel > input",
    );
    shape_err(
        x.conv(
            &w,
            None,
            1,
            &WindowGeometry::plain(&[3, 2]),
            ConvActivation::None,
        ),
        "kernel",
    );
    let b = Tensor::from_slice(device, &[0.0f32; 3], &[3]).unwrap();
    shape_err(x.conv(&w, Some(&b), 1, &geom, ConvActivation::None), "bias");
    shape_err(
        x.pool(PoolMode::Max, &WindowGeometry::plain(&[3]), false),
        "rank",
    );
    let mut zero = geom.clone();
    zero.strides = vec![0, 1];
    shape_err(x.pool(PoolMode::Max, &zero, false), "zero stride");
    shape_err(
        x.conv_transpose(&w, None, 1, &geom, &[]),
        "transpose weight",
    );
}
