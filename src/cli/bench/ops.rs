//! Op benchmarks: matmul, row ops (softmax, layernorm, rmsnorm), elementwise
//! (add, copy) and the per-dispatch cost of a chain of small ops.

use super::inputs::{parse_dtype, random_tensor, rotation_sets};
use super::record::Record;
use clap::Args;
use std::sync::Arc;
use std::time::Instant;
use tessera::prelude::{open_device, AdapterSelector, DType, Device};
use tessera_kernels::RowVariant;
use tessera_runtime::ops::MatmulVariant;
use tessera_runtime::timing::{measure, measure_with, ClockChoice, TimerSource, Timing};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Options every op benchmark takes.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Adapter (index, or name/backend substring); default: the best one.
    #[arg(long)]
    pub adapter: Option<String>,
    /// Timed repetitions (the median is reported).
    #[arg(long, default_value_t = 10)]
    pub reps: usize,
    /// Untimed warm-up runs (the first is timed apart: compile and tuning).
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Print one JSON object per run instead of text.
    #[arg(long)]
    pub json: bool,
    /// Time on the host around each run with a full sync, even where the adapter
    /// has GPU timestamps (how other runtimes' benchmarks time, for side-by-side
    /// figures).
    #[arg(long)]
    pub host_timing: bool,
}

impl CommonArgs {
    /// Time `work` with these options: warm-up, repetitions and clock.
    pub fn measure(
        &self,
        device: &Arc<dyn Device>,
        work: impl FnMut(usize) -> tessera_runtime::Result<()>,
    ) -> tessera_runtime::Result<Timing> {
        let clock = if self.host_timing {
            ClockChoice::HostSync
        } else {
            ClockChoice::Best
        };
        measure_with(device, clock, self.warmup, self.reps, work)
    }

    /// Open the chosen adapter.
    pub fn open(&self) -> BoxResult<Arc<dyn Device>> {
        let selector = self
            .adapter
            .clone()
            .map(AdapterSelector::Named)
            .unwrap_or_default();
        Ok(open_device(&selector)?)
    }
}

/// Arguments of `tessera bench matmul`.
#[derive(Args, Debug, Clone)]
pub struct MatmulArgs {
    /// Rows of A and C.
    #[arg(long, default_value_t = 1024)]
    pub m: usize,
    /// Inner dimension.
    #[arg(long, default_value_t = 1024)]
    pub k: usize,
    /// Columns of B and C.
    #[arg(long, default_value_t = 1024)]
    pub n: usize,
    /// Batch count (A is `[batch, m, k]`, B `[batch, k, n]`).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Storage dtype: f32 or f16 (f32 accumulation either way).
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    /// B stored `[n, k]` and used transposed (a Linear layer's weight), no copy.
    #[arg(long)]
    pub transpose_b: bool,
    /// Force a kernel variant (see `--list-variants`); default: the tuned choice.
    #[arg(long)]
    pub variant: Option<String>,
    /// Benchmark every variant that applies to the shape, one record each.
    #[arg(long)]
    pub all_variants: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Run the matmul benchmark; returns its records.
pub fn matmul(device: &Arc<dyn Device>, args: &MatmulArgs) -> BoxResult<Vec<Record>> {
    let dtype = parse_dtype(&args.dtype)?;
    let (m, k, n, batch) = (args.m, args.k, args.n, args.batch.max(1));
    let set_bytes = (batch * m * k + batch * k * n) * dtype.size_in_bytes();
    let sets = rotation_sets(set_bytes);
    let mut inputs = Vec::new();
    for s in 0..sets {
        let a = random_tensor(device, &[batch, m, k], dtype, 1 + 2 * s as u64)?;
        let b = if args.transpose_b {
            random_tensor(device, &[batch, n, k], dtype, 2 + 2 * s as u64)?.transpose(1, 2)?
        } else {
            random_tensor(device, &[batch, k, n], dtype, 2 + 2 * s as u64)?
        };
        inputs.push((a, b));
    }
    let variants: Vec<Option<MatmulVariant>> = if args.all_variants {
        inputs[0]
            .0
            .matmul_variants(&inputs[0].1)?
            .into_iter()
            .map(Some)
            .collect()
    } else if let Some(name) = &args.variant {
        let v = MatmulVariant::from_name(name).ok_or_else(|| {
            let names: Vec<String> = MatmulVariant::all().iter().map(|v| v.name()).collect();
            format!("unknown variant {name:?}; variants: {}", names.join(", "))
        })?;
        vec![Some(v)]
    } else {
        vec![None]
    };
    let mut records = Vec::new();
    for variant in variants {
        let timing = args.common.measure(device, |i| {
            let (a, b) = &inputs[i % sets];
            a.matmul_with_variant(b, variant).map(drop)
        })?;
        let record = Record {
            op: "matmul".into(),
            shape: format!(
                "{}{m}x{k}x{n}{}",
                if batch > 1 {
                    format!("{batch}x")
                } else {
                    String::new()
                },
                if args.transpose_b {
                    " (B transposed)"
                } else {
                    ""
                }
            ),
            dtype: args.dtype.clone(),
            variant: variant.map_or("auto".into(), |v| v.name()),
            adapter: device.adapter().summary(),
            timing,
            flops: Some(2.0 * (batch * m * n * k) as f64),
            bytes: None,
            input_sets: sets,
        };
        record.print(args.common.json);
        records.push(record);
    }
    Ok(records)
}

/// Which row op to time.
#[derive(Clone, Copy, Debug)]
pub enum RowOp {
    /// Softmax.
    Softmax,
    /// Layer norm with weight and bias.
    LayerNorm,
    /// RMS norm with weight.
    RmsNorm,
}

/// Arguments of the row-op benchmarks.
#[derive(Args, Debug, Clone)]
pub struct RowsArgs {
    /// Rows.
    #[arg(long, default_value_t = 4096)]
    pub rows: usize,
    /// Row length.
    #[arg(long, default_value_t = 1024)]
    pub cols: usize,
    /// Storage dtype: f32 or f16.
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    /// Force a kernel variant: general, per-thread, vec4 or vec4-subgroup (default: automatic).
    #[arg(long)]
    pub variant: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

fn parse_row_variant(name: Option<&str>) -> BoxResult<Option<RowVariant>> {
    Ok(match name {
        None => None,
        Some("general") => Some(RowVariant::General),
        Some("per-thread") => Some(RowVariant::PerThread),
        Some("vec4") => Some(RowVariant::Vec4),
        Some("vec4-subgroup") => Some(RowVariant::Vec4Subgroup),
        Some(other) => {
            return Err(format!(
                "variant {other:?}: expected general, per-thread, vec4 or vec4-subgroup"
            )
            .into())
        }
    })
}

/// Run a row-op benchmark.
pub fn rows(device: &Arc<dyn Device>, op: RowOp, args: &RowsArgs) -> BoxResult<Record> {
    let dtype = parse_dtype(&args.dtype)?;
    let (rows, cols) = (args.rows, args.cols);
    let bytes = rows * cols * dtype.size_in_bytes();
    let sets = rotation_sets(bytes);
    let xs = (0..sets)
        .map(|s| random_tensor(device, &[rows, cols], dtype, 10 + s as u64))
        .collect::<Result<Vec<_>, _>>()?;
    let variant = parse_row_variant(args.variant.as_deref())?;
    let weight = random_tensor(device, &[cols], dtype, 20)?;
    let bias = random_tensor(device, &[cols], dtype, 21)?;
    let timing = args.common.measure(device, |i| {
        let x = &xs[i % sets];
        match op {
            RowOp::Softmax => x.softmax_with_variant(None, variant),
            RowOp::LayerNorm => {
                x.layer_norm_with_variant(Some(&weight), Some(&bias), 1e-5, variant)
            }
            RowOp::RmsNorm => x.rms_norm_with_variant(Some(&weight), 1e-6, variant),
        }
        .map(drop)
    })?;
    let name = match op {
        RowOp::Softmax => "softmax",
        RowOp::LayerNorm => "layernorm",
        RowOp::RmsNorm => "rmsnorm",
    };
    let record = Record {
        op: name.into(),
        shape: format!("{rows}x{cols}"),
        dtype: args.dtype.clone(),
        variant: args.variant.clone().unwrap_or_else(|| "auto".into()),
        adapter: device.adapter().summary(),
        timing,
        flops: None,
        bytes: Some(2.0 * bytes as f64),
        input_sets: sets,
    };
    record.print(args.common.json);
    Ok(record)
}

/// Which elementwise op to time.
#[derive(Clone, Copy, Debug)]
pub enum ElementOp {
    /// `a + b`.
    Add,
    /// A fresh copy of `a`.
    Copy,
}

/// Arguments of the elementwise benchmarks.
#[derive(Args, Debug, Clone)]
pub struct ElementsArgs {
    /// Elements per tensor.
    #[arg(long, default_value_t = 1 << 24)]
    pub elements: usize,
    /// Storage dtype: f32 or f16.
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Run an elementwise benchmark.
pub fn elements(device: &Arc<dyn Device>, op: ElementOp, args: &ElementsArgs) -> BoxResult<Record> {
    let dtype = parse_dtype(&args.dtype)?;
    let n = args.elements;
    let bytes = n * dtype.size_in_bytes();
    let operands = match op {
        ElementOp::Add => 2,
        ElementOp::Copy => 1,
    };
    let sets = rotation_sets(bytes * operands);
    let xs = (0..sets * operands)
        .map(|s| random_tensor(device, &[n], dtype, 30 + s as u64))
        .collect::<Result<Vec<_>, _>>()?;
    let timing = args.common.measure(device, |i| {
        let s = (i % sets) * operands;
        match op {
            ElementOp::Add => xs[s].add(&xs[s + 1]),
            ElementOp::Copy => xs[s].copy(),
        }
        .map(drop)
    })?;
    let record = Record {
        op: match op {
            ElementOp::Add => "add",
            ElementOp::Copy => "copy",
        }
        .into(),
        shape: format!("{n}"),
        dtype: args.dtype.clone(),
        variant: "auto".into(),
        adapter: device.adapter().summary(),
        timing,
        flops: None,
        bytes: Some(((operands + 1) * bytes) as f64),
        input_sets: sets,
    };
    record.print(args.common.json);
    Ok(record)
}

/// Arguments of `tessera bench dispatch`.
#[derive(Args, Debug, Clone)]
pub struct DispatchArgs {
    /// Ops in the chain.
    #[arg(long, default_value_t = 1000)]
    pub ops: usize,
    /// Elements per op (small, so the cost is the dispatch, not the work).
    #[arg(long, default_value_t = 1024)]
    pub elements: usize,
    /// Record on the null device (no GPU, no wgpu): the runtime's own host cost
    /// per op, which every adapter pays on top of wgpu's and the driver's.
    #[arg(long)]
    pub null_device: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

impl DispatchArgs {
    /// The device to run on: the chosen adapter, or the null device.
    pub fn open(&self) -> BoxResult<Arc<dyn Device>> {
        if self.null_device {
            Ok(Arc::new(tessera_hal::NullDevice::new()))
        } else {
            self.common.open()
        }
    }
}

/// What a dispatch chain cost.
#[derive(Clone, Debug)]
pub struct DispatchCost {
    /// Host wall time per op: recording, submission and execution, synced at the end.
    pub wall_per_op_us: f64,
    /// GPU time per op from timestamps around the chain, where available.
    pub gpu_per_op_us: Option<f64>,
    /// Host time per op to record and submit the chain, before waiting for it:
    /// Tessera's and wgpu's share of the overhead, whatever the adapter.
    pub host_per_op_us: f64,
}

/// Time a chain of `ops` dependent adds (`x = x + y`) of `elements` each.
pub fn dispatch(device: &Arc<dyn Device>, args: &DispatchArgs) -> BoxResult<DispatchCost> {
    let n = args.elements.max(1);
    let ops = args.ops.max(1);
    let x0 = random_tensor(device, &[n], DType::F32, 40)?;
    let y = random_tensor(device, &[n], DType::F32, 41)?;
    let chain = || -> tessera_runtime::Result<()> {
        let mut x = x0.clone();
        for _ in 0..ops {
            x = x.add(&y)?;
        }
        Ok(())
    };
    chain()?;
    device.synchronize()?;
    // Wall clock: record, submit and finish the chain; host: until the last
    // submission returns.
    let mut walls = Vec::new();
    let mut hosts = Vec::new();
    for _ in 0..args.common.reps.max(1) {
        let start = Instant::now();
        chain()?;
        device.flush()?;
        hosts.push(start.elapsed());
        device.synchronize()?;
        walls.push(start.elapsed());
    }
    walls.sort();
    hosts.sort();
    let wall = walls[walls.len() / 2];
    let host = hosts[hosts.len() / 2];
    let timing = measure(device, 1, args.common.reps, |_| chain())?;
    let gpu_per_op_us = (timing.source == TimerSource::GpuTimestamps)
        .then(|| timing.median.as_secs_f64() * 1e6 / ops as f64);
    let cost = DispatchCost {
        wall_per_op_us: wall.as_secs_f64() * 1e6 / ops as f64,
        gpu_per_op_us,
        host_per_op_us: host.as_secs_f64() * 1e6 / ops as f64,
    };
    if args.common.json {
        println!(
            "{}",
            serde_json::json!({
                "op": "dispatch",
                "ops": ops,
                "elements": n,
                "adapter": device.adapter().summary(),
                "wall_per_op_us": cost.wall_per_op_us,
                "gpu_per_op_us": cost.gpu_per_op_us,
                "host_per_op_us": cost.host_per_op_us,
                "reps": walls.len(),
            })
        );
    } else {
        println!(
            "dispatch chain of {ops} adds of {n} elements: {:.2} us per op wall clock (record + submit + run, median of {} chains); {:.2} us per op on the host (record + submit){}",
            cost.wall_per_op_us,
            walls.len(),
            cost.host_per_op_us,
            cost.gpu_per_op_us
                .map(|g| format!("; {g:.2} us per op on the GPU clock"))
                .unwrap_or_default()
        );
    }
    Ok(cost)
}
