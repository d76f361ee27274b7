//! `tessera bench suite`: the table of issue #4 in one run, sized for the
//! adapter: the H100-class sizes on GPUs, smaller ones on software adapters
//! (the CI machine). Prints a markdown table with, per row, the figure, the
//! target, and the ratio to the ceiling (the reference figures measured with
//! cuBLAS/PyTorch on the H100 when the adapter is one, else this adapter's own
//! measured copy bandwidth for memory-bound rows).

use super::ops::{
    self, CommonArgs, DispatchArgs, ElementOp, ElementsArgs, MatmulArgs, RowOp, RowsArgs,
};
use super::record::Record;
use clap::Args;
use std::time::Instant;
use tessera::prelude::DType;

/// Arguments of `tessera bench suite`.
#[derive(Args, Debug, Clone)]
pub struct SuiteArgs {
    /// Sizes: `gpu` (the H100 table), `software` (the CI table) or `auto` (by adapter type).
    #[arg(long, default_value = "auto")]
    pub sizes: String,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Reference figures of one row: target, ceiling and burn-wgpu, in the row's unit.
struct Refs {
    target: &'static str,
    ceiling: Option<f64>,
    burn: &'static str,
}

fn h100_refs(row: &str) -> Refs {
    let r = |target, ceiling, burn| Refs {
        target,
        ceiling: Some(ceiling),
        burn,
    };
    match row {
        "matmul 4096^3 f32" => r(">= 36 TFLOP/s", 51.1e3, "20.6 TFLOP/s"),
        "matmul 1024^3 f32" => r(">= 15 TFLOP/s", 30.1e3, "2.6 TFLOP/s"),
        "matmul 4096^3 f16" => Refs {
            target: ">= 50 TFLOP/s",
            ceiling: None,
            burn: "31.2 TFLOP/s",
        },
        "softmax 32768x4096" => r(">= 2.3 TB/s", 2350.0, "0.85 TB/s"),
        "layernorm 32768x4096" => r(">= 2.2 TB/s", 1880.0, "1.14 TB/s"),
        "add 256M" => r(">= 2.9 TB/s", 2950.0, "3.06 TB/s"),
        "copy 256M" => r("-", 2890.0, "-"),
        _ => Refs {
            target: "-",
            ceiling: None,
            burn: "-",
        },
    }
}

fn software_refs(row: &str) -> Refs {
    let r = |target, burn| Refs {
        target,
        ceiling: None,
        burn,
    };
    match row {
        "matmul 1024^3 f32" => r(">= 2x burn (24-28 GFLOP/s)", "12-14 GFLOP/s"),
        "softmax 4096x1024" => r(">= 2x burn (1.4-2.4 GB/s)", "0.7-1.2 GB/s"),
        _ => r("-", "-"),
    }
}

/// Run the suite and print the table.
pub fn run(args: &SuiteArgs) -> Result<(), Box<dyn std::error::Error>> {
    let device = args.common.open()?;
    let adapter = device.adapter().clone();
    let gpu = match args.sizes.as_str() {
        "gpu" => true,
        "software" => false,
        "auto" => !adapter.features.host_memory,
        other => return Err(format!("--sizes {other:?}: expected gpu, software or auto").into()),
    };
    let h100 = adapter.name.contains("H100");
    let c = args.common.clone();
    let mm = |m: usize, dtype: &str| MatmulArgs {
        m,
        k: m,
        n: m,
        batch: 1,
        dtype: dtype.into(),
        transpose_b: false,
        variant: None,
        all_variants: false,
        common: c.clone(),
    };
    let rows_args = |rows, cols| RowsArgs {
        rows,
        cols,
        dtype: "f32".into(),
        variant: None,
        common: c.clone(),
    };
    let elems = |n| ElementsArgs {
        elements: n,
        dtype: "f32".into(),
        common: c.clone(),
    };
    let (big, mid, rows, cols, n, n_name) = if gpu {
        (4096, 1024, 32768, 4096, 256 << 20, "256M")
    } else {
        (0, 1024, 4096, 1024, 16 << 20, "16M")
    };
    println!("adapter: {}", adapter.summary());
    let mut table: Vec<(String, Record)> = Vec::new();
    // Copy first: it is the ceiling of the memory-bound rows on any adapter.
    let copy = ops::elements(&device, ElementOp::Copy, &elems(n))?;
    let copy_gbps = copy.gbps().unwrap_or(f64::NAN);
    table.push((format!("copy {n_name}"), copy));
    if big > 0 {
        let mut r = ops::matmul(&device, &mm(big, "f32"))?;
        table.push((format!("matmul {big}^3 f32"), r.remove(0)));
    }
    let mut r = ops::matmul(&device, &mm(mid, "f32"))?;
    table.push((format!("matmul {mid}^3 f32"), r.remove(0)));
    if big > 0 && adapter.features.shader_f16 {
        let mut r = ops::matmul(&device, &mm(big, "f16"))?;
        table.push((format!("matmul {big}^3 f16"), r.remove(0)));
    }
    table.push((
        format!("softmax {rows}x{cols}"),
        ops::rows(&device, RowOp::Softmax, &rows_args(rows, cols))?,
    ));
    table.push((
        format!("layernorm {rows}x{cols}"),
        ops::rows(&device, RowOp::LayerNorm, &rows_args(rows, cols))?,
    ));
    table.push((
        format!("rmsnorm {rows}x{cols}"),
        ops::rows(&device, RowOp::RmsNorm, &rows_args(rows, cols))?,
    ));
    table.push((
        format!("add {n_name}"),
        ops::elements(&device, ElementOp::Add, &elems(n))?,
    ));
    let dispatch = ops::dispatch(
        &device,
        &DispatchArgs {
            ops: 1000,
            elements: 1024,
            null_device: false,
            common: c.clone(),
        },
    )?;
    // First call of a shape not run above: compile (pipeline cache) + tune
    // (tuning cache) + run, on the host clock.
    let first_shape = if gpu { 2048 } else { 512 };
    let a = super::inputs::random_tensor(&device, &[first_shape, first_shape], DType::F32, 90)?;
    let b = super::inputs::random_tensor(&device, &[first_shape, first_shape], DType::F32, 91)?;
    device.synchronize()?;
    let tuned_before = tessera_runtime::tuning::recorded_choices(&device).len();
    let start = Instant::now();
    a.matmul(&b)?.to_vec::<f32>()?;
    let first_call = start.elapsed();
    let tuned_after = tessera_runtime::tuning::recorded_choices(&device).len();

    println!();
    println!("| work (f32 unless said) | Tessera | variant | ratio to ceiling | target | burn-wgpu (issue #4) |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let choices = tessera_runtime::tuning::recorded_choices(&device);
    for (name, record) in &table {
        let refs = if h100 {
            h100_refs(name)
        } else {
            software_refs(name)
        };
        let (value, unit) = match (record.gflops(), record.gbps()) {
            (Some(g), _) => (g, "GFLOP/s"),
            (None, Some(b)) => (b, "GB/s"),
            _ => (f64::NAN, ""),
        };
        let ceiling = refs
            .ceiling
            .or((unit == "GB/s" && !name.starts_with("copy")).then_some(copy_gbps));
        let ratio = ceiling
            .map(|c| {
                format!(
                    "{:.0}% of {c:.1} {unit}{}",
                    100.0 * value / c,
                    if refs.ceiling.is_none() {
                        " (copy here)"
                    } else {
                        ""
                    }
                )
            })
            .unwrap_or_else(|| "-".into());
        println!(
            "| {name} | {value:.1} {unit} | {} | {ratio} | {} | {} |",
            chosen_variant(record, &choices),
            refs.target,
            refs.burn
        );
    }
    println!(
        "| dispatch overhead (1000 adds of 1024) | {:.2} us/op wall, {:.2} us/op host{} | - | - | < 5 us | - |",
        dispatch.wall_per_op_us,
        dispatch.host_per_op_us,
        dispatch
            .gpu_per_op_us
            .map(|g| format!(", {g:.2} us/op GPU"))
            .unwrap_or_default()
    );
    println!(
        "| first call of a new shape ({first_shape}^3 matmul: compile + tune + run) | {:.3} s ({}) | - | - | <= 0.3 s with a warm cache | 3.5 to 8 s |",
        first_call.as_secs_f64(),
        if tuned_after > tuned_before { "tuned now: cold tuning cache" } else { "tuning cache warm" }
    );
    Ok(())
}

/// The variant a record ran: forced, or for matmul the tuned choice of its class.
fn chosen_variant(record: &Record, choices: &[(String, String)]) -> String {
    if record.variant != "auto" || record.op != "matmul" {
        return record.variant.clone();
    }
    let dims: Vec<&str> = record.shape.split('x').collect();
    let [m, k, n] = dims[..] else {
        return record.variant.clone();
    };
    let prefix = format!("matmul/{}/m{m}/n{n}/k{k}/", record.dtype);
    choices
        .iter()
        .find(|(class, _)| class.starts_with(&prefix))
        .map_or(record.variant.clone(), |(_, v)| format!("tuned: {v}"))
}
