//! The pieces of `tessera bench onnx`: the inputs held on the host (a
//! serialized TensorProto or NAME=FILE.npy per graph input, or a ramp in the
//! declared shape) and one run split into upload, compute and read-back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera::runtime::onnx::{
    decode_tensor_bytes, npy_to_value, value_to_npy, Dim, OnnxModel, OnnxValue, ValueInfo,
};
use tessera::Tensor;
use tessera_hal::Device;
use tessera_runtime::loaders::npy::{read_npy, NpyArray};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// One graph input as the host holds it between runs.
pub enum HostInput {
    /// f32 elements and their shape (a TensorProto file, or the default ramp).
    F32(Vec<usize>, Vec<f32>),
    /// A NumPy array for the graph input it is named after.
    Npy(ValueInfo, NpyArray),
}

impl HostInput {
    /// Copies the input to the device.
    fn upload(&self, device: &Arc<dyn Device>) -> BoxResult<OnnxValue> {
        Ok(match self {
            HostInput::F32(shape, values) => {
                OnnxValue::Tensor(Tensor::from_slice(device, values, shape)?)
            }
            HostInput::Npy(info, array) => npy_to_value(info, array.clone(), device)?,
        })
    }
}

/// The inputs in graph order from `--input` arguments: each `NAME=FILE.npy`,
/// or one `FILE.pb` (a TensorProto) for a single-input model; none gives
/// arange(n) / n in the declared shape of a single input.
pub fn read_inputs(model: &OnnxModel, args: &[String]) -> BoxResult<Vec<HostInput>> {
    let infos = model.inputs();
    if let [single] = args {
        if !single.contains('=') {
            let t = decode_tensor_bytes(&std::fs::read(single)?)?;
            if infos.len() != 1 {
                return Err("a .pb input fits a single-input model: pass NAME=FILE.npy".into());
            }
            return Ok(vec![HostInput::F32(t.shape.clone(), t.to_f32())]);
        }
    }
    if args.is_empty() {
        let [info] = infos else {
            return Err("the model takes several inputs: pass --input NAME=FILE.npy".into());
        };
        let fixed = |d: &Dim| match d {
            Dim::Fixed(n) => Some(*n as usize),
            _ => None,
        };
        let shape: Vec<usize> = info
            .dims
            .as_ref()
            .and_then(|dims| dims.iter().map(fixed).collect())
            .ok_or("the input's shape is not fixed: pass --input")?;
        let n: usize = shape.iter().product();
        return Ok(vec![HostInput::F32(
            shape,
            (0..n).map(|i| i as f32 / n as f32).collect(),
        )]);
    }
    let mut files = Vec::new();
    for spec in args {
        let (name, file) = spec
            .split_once('=')
            .ok_or_else(|| format!("--input {spec}: expected NAME=FILE.npy"))?;
        files.push((name.to_string(), PathBuf::from(file)));
    }
    infos
        .iter()
        .map(|info| {
            let (_, file) = files
                .iter()
                .find(|(n, _)| *n == info.name)
                .ok_or_else(|| format!("graph input {} is missing: pass --input", info.name))?;
            Ok(HostInput::Npy(info.clone(), read_npy(file)?))
        })
        .collect()
}

/// The device values of `inputs` (for the FLOP count).
pub fn upload_all(inputs: &[HostInput], device: &Arc<dyn Device>) -> BoxResult<Vec<OnnxValue>> {
    inputs.iter().map(|i| i.upload(device)).collect()
}

/// One run's times and dispatches.
#[derive(Clone, Copy, Debug)]
pub struct RunSplit {
    /// Inputs to the device, synchronized.
    pub upload: Duration,
    /// The graph: GPU timestamps around it where the adapter has them, else
    /// the host clock around recording, submission and a full sync.
    pub compute: Duration,
    /// Every output back to the host.
    pub read_back: Duration,
    /// Wall time of the three, on the host.
    pub wall: Duration,
    /// Dispatches the run recorded.
    pub dispatches: u64,
    /// Whether `compute` came from GPU timestamps.
    pub gpu_timestamps: bool,
}

/// Runs `model` once on `inputs`, timing each phase.
pub fn timed_run(
    model: &OnnxModel,
    inputs: &[HostInput],
    device: &Arc<dyn Device>,
    host_timing: bool,
) -> BoxResult<RunSplit> {
    device.synchronize()?;
    let start = Instant::now();
    let values = upload_all(inputs, device)?;
    device.synchronize()?;
    let uploaded = Instant::now();
    let dispatches = device.stats().dispatches;
    let token = if host_timing {
        None
    } else {
        device.timer_begin()?
    };
    let outputs = model.run_values(values)?;
    let dispatches = device.stats().dispatches - dispatches;
    let gpu = match token {
        Some(token) => Some(device.timer_end(token)?),
        None => None,
    };
    device.synchronize()?;
    let computed = Instant::now();
    for (info, value) in model.outputs().iter().zip(&outputs) {
        value_to_npy(info, value)?;
    }
    let done = Instant::now();
    Ok(RunSplit {
        upload: uploaded - start,
        compute: gpu.unwrap_or(computed - uploaded),
        read_back: done - computed,
        wall: done - start,
        dispatches,
        gpu_timestamps: gpu.is_some(),
    })
}

/// The median of `runs` by `key`.
pub fn median_by(runs: &[RunSplit], key: impl Fn(&RunSplit) -> Duration) -> Duration {
    let mut v: Vec<Duration> = runs.iter().map(key).collect();
    v.sort();
    v[v.len() / 2]
}
