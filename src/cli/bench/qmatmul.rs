//! `tessera bench qmatmul`: `x [m, k] · Wᵀ` with `W` an `[n, k]` weight kept
//! in a GGML block format (or f16 / bf16 blocks) on the device, through the
//! automatic kernel choice or a forced one (so the quantized tiles, which the
//! automatic choice skips on software adapters, can be timed there too).

use super::inputs::{parse_dtype, random_tensor, random_values, rotation_sets};
use super::ops::CommonArgs;
use super::record::Record;
use clap::Args;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::QuantTile;
use tessera_runtime::quant::{quantize_rows, QuantFormat, QuantKernel, QuantMatrix};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Arguments of `tessera bench qmatmul`.
#[derive(Args, Debug, Clone)]
pub struct QuantMatmulArgs {
    /// Rows of x and of the output.
    #[arg(long, default_value_t = 512)]
    pub m: usize,
    /// Inner dimension (a multiple of the format's group: 32, or 256 for K formats).
    #[arg(long, default_value_t = 1024)]
    pub k: usize,
    /// Rows of the weight (output columns).
    #[arg(long, default_value_t = 1024)]
    pub n: usize,
    /// Weight format: q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q6_k, f16 or bf16.
    #[arg(long, default_value = "q8_0")]
    pub format: String,
    /// Storage dtype of x and the output: f32 or f16.
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    /// Force a kernel: matvec, tile (the wide tile), tile-fat or dequantized;
    /// default: the automatic choice.
    #[arg(long)]
    pub kernel: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// The kernel named `name` (see [`QuantMatmulArgs::kernel`]).
fn parse_kernel(name: &str) -> Result<QuantKernel, String> {
    Ok(match name {
        "matvec" => QuantKernel::Matvec,
        "tile" => QuantKernel::Tiled(QuantTile::Wide),
        "tile-fat" => QuantKernel::Tiled(QuantTile::Fat),
        "dequantized" => QuantKernel::Dequantized,
        other => {
            return Err(format!(
                "kernel {other:?}: expected matvec, tile, tile-fat or dequantized"
            ))
        }
    })
}

/// Run the quantized matmul benchmark; returns its record.
pub fn quant_matmul(device: &Arc<dyn Device>, args: &QuantMatmulArgs) -> BoxResult<Record> {
    let dtype = parse_dtype(&args.dtype)?;
    let format = QuantFormat::ALL
        .into_iter()
        .find(|f| f.name() == args.format.to_ascii_lowercase())
        .ok_or_else(|| format!("unknown weight format {:?}", args.format))?;
    let kernel = args.kernel.as_deref().map(parse_kernel).transpose()?;
    let (m, k, n) = (args.m, args.k, args.n);
    let bytes = quantize_rows(format, &random_values(n * k, 7), k)?;
    let w = QuantMatrix::from_ggml_bytes(device, format, n, k, &bytes)?;
    let sets = rotation_sets(m * k * dtype.size_in_bytes());
    let xs = (0..sets)
        .map(|s| random_tensor(device, &[m, k], dtype, 1 + s as u64))
        .collect::<Result<Vec<_>, _>>()?;
    let timing = args.common.measure(device, |i| {
        xs[i % sets].matmul_quant_t_with(&w, kernel).map(drop)
    })?;
    let record = Record {
        op: "qmatmul".into(),
        shape: format!("{m}x{k}x{n} {format}"),
        dtype: args.dtype.clone(),
        variant: args.kernel.clone().unwrap_or_else(|| "auto".into()),
        adapter: device.adapter().summary(),
        timing,
        flops: Some(2.0 * (m * n * k) as f64),
        bytes: None,
        input_sets: sets,
    };
    record.print(args.common.json);
    Ok(record)
}
