//! `tessera onnx run`: a model on NumPy `.npy` inputs, each output written to
//! `DIR/output_<i>.npy` (graph order) with one JSON line per output.

use clap::Args;
use std::collections::HashMap;
use std::path::PathBuf;
use tessera_hal::{open_device, AdapterSelector};
use tessera_runtime::loaders::npy::{read_npy, write_npy};
use tessera_runtime::onnx::{npy_to_value, value_to_npy, OnnxModel};

/// Arguments of `tessera onnx run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The model file.
    model: PathBuf,
    /// A graph input as NAME=FILE.npy; one per graph input.
    #[arg(long = "input", value_name = "NAME=FILE")]
    inputs: Vec<String>,
    /// The folder for output_<i>.npy (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Adapter: an index, or a substring of its name or backend (default: $TESSERA_ADAPTER or the best).
    #[arg(long)]
    adapter: Option<String>,
    /// Print the run's device memory (weights, largest live set, device peak), dispatches and fused elementwise groups as a JSON line on stderr.
    #[arg(long)]
    stats: bool,
}

/// Runs the model and writes its outputs.
pub fn run(args: RunArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut files: HashMap<String, PathBuf> = HashMap::new();
    for spec in &args.inputs {
        let Some((name, file)) = spec.split_once('=') else {
            return Err(format!("--input {spec}: expected NAME=FILE.npy").into());
        };
        if files
            .insert(name.to_string(), PathBuf::from(file))
            .is_some()
        {
            return Err(format!("--input {name} is given twice").into());
        }
    }
    let selector = args
        .adapter
        .clone()
        .map(AdapterSelector::Named)
        .unwrap_or_default();
    let device = open_device(&selector)?;
    let model = OnnxModel::load(&args.model, &device)?;
    let declared: Vec<&str> = model.inputs().iter().map(|v| v.name.as_str()).collect();
    if let Some(extra) = files.keys().find(|k| !declared.contains(&k.as_str())) {
        return Err(format!(
            "--input {extra}: the graph has no such input (it takes {declared:?})"
        )
        .into());
    }
    let mut values = Vec::with_capacity(declared.len());
    for info in model.inputs() {
        let Some(file) = files.get(&info.name) else {
            return Err(format!(
                "graph input {} is missing: pass --input {}=FILE.npy",
                info.name, info.name
            )
            .into());
        };
        let array = read_npy(file)?;
        values.push(npy_to_value(info, array, &device)?);
    }
    let outputs = model.run_values(values)?;
    std::fs::create_dir_all(&args.out)?;
    for (i, (info, value)) in model.outputs().iter().zip(&outputs).enumerate() {
        let array = value_to_npy(info, value)?;
        let file = args.out.join(format!("output_{i}.npy"));
        write_npy(&file, &array)?;
        let line = serde_json::json!({
            "index": i,
            "name": info.name,
            "shape": array.shape,
            "dtype": array.dtype.name(),
            "file": file.display().to_string(),
        });
        println!("{line}");
    }
    if args.stats {
        if let Some(m) = model.last_run_memory() {
            let line = serde_json::json!({
                "adapter": device.adapter().summary(),
                "weights_bytes": m.weights,
                "largest_live_bytes": m.largest_live,
                "device_peak_bytes": m.device_peak,
                "dispatches": model.last_run_dispatches(),
                "fused_groups": model.fused_groups().0,
                "fused_nodes": model.fused_groups().1,
            });
            eprintln!("{line}");
        }
    }
    Ok(())
}
