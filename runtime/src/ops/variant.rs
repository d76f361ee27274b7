//! Choosing the kernel variant of the row ops (softmax, norms) and the
//! elementwise ops: automatically from the shapes, offsets and the adapter's
//! features, or forced by a caller (benchmarks, tuners), in which case a variant
//! that does not fit is a typed error, never a wrong result.

use super::declaration::OpDeclaration;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::{Device, DeviceError};
use tessera_kernels::{
    row_vec4_fits, vec4_fits, ElementwiseVariant, RowVariant, Vec4Layout, ROW_PER_THREAD_MAX,
};

/// Every row variant, to map a declared kernel candidate's name to its variant.
const ROW_VARIANTS: [RowVariant; 4] = [
    RowVariant::PerThread,
    RowVariant::Vec4Subgroup,
    RowVariant::Vec4,
    RowVariant::General,
];

/// Whether the automatic choice takes the per-thread row kernel for rows of
/// `len` whose operands start at `offsets` on `device`: rows of up to
/// [`ROW_PER_THREAD_MAX`] on a software adapter behind the browser
/// (SwiftShader), where it beats the vec4 and general kernels 3-40x, and on
/// any other software adapter (lavapipe, llvmpipe GL) where the row would
/// take the general kernel, which it beats 5-17x (BENCHMARKS.md, "Browser").
/// Elsewhere it is a tuning candidate.
fn per_thread_preferred(device: &Arc<dyn Device>, len: usize, offsets: &[usize]) -> bool {
    let adapter = device.adapter();
    len <= ROW_PER_THREAD_MAX
        && (adapter.is_software_webgpu()
            || (adapter.features.host_memory && !row_vec4_fits(len, offsets)))
}

/// The row variants `decl` declares, in its order of preference, that the
/// device offers what they need.
fn declared_row_variants(decl: &OpDeclaration, device: &Arc<dyn Device>) -> Vec<RowVariant> {
    let features = &device.adapter().features;
    decl.kernels
        .iter()
        .filter(|k| k.needs.met_by(features))
        .filter_map(|k| ROW_VARIANTS.into_iter().find(|v| v.name() == k.name))
        .collect()
}

/// The row variant of op `decl` for rows of `len` values whose operands (x,
/// y, weight, bias; not the softmax mask, read as scalars) start at `offsets`.
///
/// Automatic: the first of the op's declared candidates (per-thread where
/// [`per_thread_preferred`], vec4 with subgroup reductions, vec4 with tree
/// reductions, general) that the row fits and the device offers. Forced: an
/// error when the row does not fit it ([`Error::VariantUnavailable`]) or the
/// device lacks what it needs; the per-thread and general kernels take any row.
pub(crate) fn choose_row_variant(
    decl: &OpDeclaration,
    device: &Arc<dyn Device>,
    len: usize,
    offsets: &[usize],
    forced: Option<RowVariant>,
) -> Result<RowVariant> {
    let op = decl.name;
    let fits = |v: RowVariant| !v.is_vec4() || row_vec4_fits(len, offsets);
    let offered = declared_row_variants(decl, device);
    let Some(variant) = forced else {
        let preferred = |v: RowVariant| match v {
            RowVariant::PerThread => per_thread_preferred(device, len, offsets),
            _ => fits(v),
        };
        return Ok(offered
            .into_iter()
            .find(|&v| preferred(v))
            .unwrap_or(RowVariant::General));
    };
    if !fits(variant) {
        return Err(Error::VariantUnavailable {
            op,
            variant: variant.name(),
            reason: format!(
                "row length {len} and operand offsets {offsets:?} must be non-zero multiples of 4"
            ),
        });
    }
    if !offered.contains(&variant) {
        return Err(no_subgroups(device, op, variant.name()));
    }
    Ok(variant)
}

/// The automatic row variant, tuned: the variants that fit (the per-thread one
/// for rows of up to [`ROW_PER_THREAD_MAX`] values) are measured by
/// `measure` (which launches the op's kernel alone, with the variant) on the
/// first call of `class` on this adapter and the fastest is recorded (see
/// [`crate::tuning`]); [`choose_row_variant`]'s pick where nothing is measured.
pub(crate) fn tuned_row_variant(
    decl: &OpDeclaration,
    device: &Arc<dyn Device>,
    class: &str,
    len: usize,
    offsets: &[usize],
    mut measure: impl FnMut(RowVariant) -> Result<()>,
) -> Result<RowVariant> {
    let heuristic = choose_row_variant(decl, device, len, offsets, None)?;
    let candidates: Vec<RowVariant> = declared_row_variants(decl, device)
        .into_iter()
        .filter(|&v| choose_row_variant(decl, device, len, offsets, Some(v)).is_ok())
        .filter(|&v| v != RowVariant::PerThread || len <= ROW_PER_THREAD_MAX)
        .collect();
    Ok(super::select::select(
        decl,
        device,
        class,
        &candidates,
        |v| v.name().to_string(),
        heuristic,
        |&v, _| crate::timing::best_of_two(device, || measure(v)),
    ))
}

fn no_subgroups(device: &Arc<dyn Device>, op: &str, variant: &str) -> Error {
    Error::Device(DeviceError::Unsupported {
        what: format!("subgroups ({op}, variant {variant})"),
        adapter: device.adapter().name.clone(),
    })
}

/// The variant of a unary or affine op over the contiguous `x`.
///
/// Automatic: vec4 where the element count and offset are multiples of 4.
pub(crate) fn choose_unary_variant(
    op: &'static str,
    x: &Tensor,
    forced: Option<ElementwiseVariant>,
) -> Result<ElementwiseVariant> {
    let fits = vec4_fits(x.numel(), &[x.offset()]);
    match forced {
        None if fits => Ok(ElementwiseVariant::Vec4),
        None | Some(ElementwiseVariant::General) => Ok(ElementwiseVariant::General),
        Some(ElementwiseVariant::Vec4) if fits => Ok(ElementwiseVariant::Vec4),
        Some(v @ ElementwiseVariant::Vec4) => Err(Error::VariantUnavailable {
            op,
            variant: v.name(),
            reason: format!(
                "{} elements at offset {} must both be multiples of 4",
                x.numel(),
                x.offset()
            ),
        }),
        Some(v @ ElementwiseVariant::Vec4RowBroadcast) => Err(Error::VariantUnavailable {
            op,
            variant: v.name(),
            reason: "a unary op has no second operand to broadcast".into(),
        }),
    }
}

/// How a binary op runs: the general strided kernel, or the vec4 kernel with a
/// layout and the repeated operand's period (in elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinaryPlan {
    /// The broadcasting scalar kernel.
    General,
    /// The vec4 kernel.
    Vec4 {
        /// How a and b line up with the output.
        layout: Vec4Layout,
        /// Elements of the repeated operand (the output's count for `Same`).
        period: usize,
    },
}

/// Elements after which `t` repeats when broadcast to `shape`, if `t` is a
/// contiguous block repeated along `shape`'s leading dims (after numpy's
/// left-padding of `t`'s shape with ones): `[n]` over `[rows, n]` gives `n`.
fn repeat_period(t: &Tensor, shape: &[usize]) -> Option<usize> {
    if !t.is_contiguous() || t.rank() > shape.len() {
        return None;
    }
    let pad = shape.len() - t.rank();
    let padded: Vec<usize> = std::iter::repeat_n(1, pad)
        .chain(t.shape().iter().copied())
        .collect();
    let mut start = shape.len();
    while start > 0 && padded[start - 1] == shape[start - 1] {
        start -= 1;
    }
    padded[..start]
        .iter()
        .all(|&d| d == 1)
        .then(|| shape[start..].iter().product())
}

/// The plan of `op(a, b)` broadcast to `shape` (a and b as the caller gave them).
///
/// Automatic: vec4 with a linear index where both operands have the output's
/// shape, are contiguous and aligned; else vec4 with a repeated row vector where
/// one operand has the output's shape and the other repeats; else general.
pub(crate) fn plan_binary(
    op: &'static str,
    shape: &[usize],
    a: &Tensor,
    b: &Tensor,
    forced: Option<ElementwiseVariant>,
) -> Result<BinaryPlan> {
    let n: usize = shape.iter().product();
    let full = |t: &Tensor| t.shape() == shape && t.is_contiguous();
    let aligned = |period: usize| vec4_fits(n, &[a.offset(), b.offset(), period]) && period > 0;
    let same = (full(a) && full(b) && aligned(n)).then_some(BinaryPlan::Vec4 {
        layout: Vec4Layout::Same,
        period: n,
    });
    let repeated = || {
        let repeat_b = repeat_period(b, shape)
            .filter(|&p| full(a) && aligned(p))
            .map(|period| BinaryPlan::Vec4 {
                layout: Vec4Layout::RepeatB,
                period,
            });
        repeat_b.or_else(|| {
            repeat_period(a, shape)
                .filter(|&p| full(b) && aligned(p))
                .map(|period| BinaryPlan::Vec4 {
                    layout: Vec4Layout::RepeatA,
                    period,
                })
        })
    };
    let unavailable = |v: ElementwiseVariant, why: &str| Error::VariantUnavailable {
        op,
        variant: v.name(),
        reason: format!(
            "{why} (shapes {:?} and {:?}, offsets {} and {})",
            a.shape(),
            b.shape(),
            a.offset(),
            b.offset()
        ),
    };
    match forced {
        None => Ok(same.or_else(repeated).unwrap_or(BinaryPlan::General)),
        Some(ElementwiseVariant::General) => Ok(BinaryPlan::General),
        Some(v @ ElementwiseVariant::Vec4) => same.ok_or_else(|| {
            unavailable(
                v,
                "needs contiguous operands of the output's shape, count and offsets multiples of 4",
            )
        }),
        Some(v @ ElementwiseVariant::Vec4RowBroadcast) => repeated().ok_or_else(|| {
            unavailable(
                v,
                "needs one contiguous operand of the output's shape and one repeated contiguous block, lengths and offsets multiples of 4",
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_hal::NullDevice;

    fn device() -> Arc<dyn Device> {
        Arc::new(NullDevice::new())
    }

    fn tensor(dev: &Arc<dyn Device>, shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_slice(dev, &vec![1.0f32; n], shape).unwrap()
    }

    #[test]
    fn automatic_row_choice_follows_alignment_and_features() {
        let dev = device();
        assert!(!dev.adapter().features.subgroups);
        let decl = &crate::ops::softmax::SOFTMAX;
        let auto = |len, offsets: &[usize]| choose_row_variant(decl, &dev, len, offsets, None);
        assert_eq!(auto(4096, &[0, 0]).unwrap(), RowVariant::Vec4);
        assert_eq!(auto(4100, &[8, 0, 4]).unwrap(), RowVariant::Vec4);
        assert_eq!(auto(1030, &[0, 0]).unwrap(), RowVariant::General);
        assert_eq!(auto(8, &[2, 0]).unwrap(), RowVariant::General);
        let forced = |v| choose_row_variant(decl, &dev, 8, &[0, 0], Some(v));
        assert!(matches!(
            forced(RowVariant::Vec4Subgroup),
            Err(Error::Device(DeviceError::Unsupported { .. }))
        ));
        assert_eq!(forced(RowVariant::General).unwrap(), RowVariant::General);
    }

    #[test]
    fn short_rows_run_per_thread_on_software_adapters() {
        let web = Arc::new(NullDevice::software_webgpu());
        let web_dev: Arc<dyn Device> = web.clone();
        assert!(web_dev.adapter().is_software_webgpu());
        let native = device();
        let decl = &crate::ops::softmax::SOFTMAX;
        let auto =
            |dev: &Arc<dyn Device>, len| choose_row_variant(decl, dev, len, &[0, 0], None).unwrap();
        let per_thread = RowVariant::PerThread;
        for len in [1, 30, 32, 384, ROW_PER_THREAD_MAX] {
            assert_eq!(auto(&web_dev, len), per_thread, "{len}");
        }
        assert_eq!(auto(&web_dev, ROW_PER_THREAD_MAX + 4), RowVariant::Vec4);
        assert_eq!(auto(&web_dev, ROW_PER_THREAD_MAX + 1), RowVariant::General);
        // Other software adapters: where the general kernel would run.
        let soft: Arc<dyn Device> = Arc::new(NullDevice::software());
        assert_eq!(auto(&soft, 30), per_thread);
        assert_eq!(auto(&soft, 32), RowVariant::Vec4Subgroup);
        assert_eq!(auto(&soft, ROW_PER_THREAD_MAX + 1), RowVariant::General);
        // Hardware adapters: never the automatic pick, only a tuning candidate.
        assert_eq!(auto(&native, 30), RowVariant::General);
        assert_eq!(auto(&native, 32), RowVariant::Vec4);
        // Forced, it takes any row length and offset.
        let forced = choose_row_variant(decl, &native, 1030, &[3, 0], Some(per_thread));
        assert_eq!(forced.unwrap(), per_thread);

        // What runs: the per-thread kernels, 64 rows per workgroup.
        let x = tensor(&web_dev, &[2, 65, 30]);
        x.softmax(Some(&tensor(&web_dev, &[2, 1, 30]))).unwrap();
        x.layer_norm(None, None, 1e-5).unwrap();
        let recorded = web.recorded();
        let keys: Vec<(&str, [u32; 3])> = recorded
            .iter()
            .map(|d| (d.key.as_str(), d.workgroups))
            .collect();
        assert_eq!(
            keys[keys.len() - 2..],
            [
                ("softmax_per_thread/mask/f32", [3, 1, 1]),
                ("norm_per_thread/layer/f32/w0/b0/wg64", [3, 1, 1]),
            ]
        );
    }

    #[test]
    fn binary_plans_follow_shapes_layouts_and_offsets() {
        let dev = device();
        let plan = |a: &Tensor, b: &Tensor| {
            let shape = crate::tensor::shape::broadcast_shapes("t", a.shape(), b.shape()).unwrap();
            plan_binary("t", &shape, a, b, None).unwrap()
        };
        let vec4 = |layout, period| BinaryPlan::Vec4 { layout, period };
        let (x, row) = (tensor(&dev, &[6, 8]), tensor(&dev, &[8]));
        assert_eq!(plan(&x, &x), vec4(Vec4Layout::Same, 48));
        assert_eq!(plan(&x, &row), vec4(Vec4Layout::RepeatB, 8));
        assert_eq!(plan(&row, &x), vec4(Vec4Layout::RepeatA, 8));
        let (y, tail) = (tensor(&dev, &[2, 3, 4, 12]), tensor(&dev, &[1, 4, 12]));
        assert_eq!(plan(&y, &tail), vec4(Vec4Layout::RepeatB, 48));
        // Column broadcast, odd counts, scalars, transposes: the general kernel.
        assert_eq!(plan(&x, &tensor(&dev, &[6, 1])), BinaryPlan::General);
        assert_eq!(
            plan(&tensor(&dev, &[3, 6]), &tensor(&dev, &[6])),
            BinaryPlan::General
        );
        assert_eq!(plan(&x, &tensor(&dev, &[1])), BinaryPlan::General);
        let t = tensor(&dev, &[8, 6]).transpose(0, 1).unwrap();
        assert_eq!(plan(&t, &x), BinaryPlan::General);
        let shifted = tensor(&dev, &[49])
            .narrow(0, 1..49)
            .unwrap()
            .reshape(&[6, 8])
            .unwrap();
        assert_eq!(plan(&shifted, &x), BinaryPlan::General);
        let forced = plan_binary("t", &[6, 8], &x, &row, Some(ElementwiseVariant::Vec4));
        assert!(matches!(forced, Err(Error::VariantUnavailable { .. })));
    }
}
