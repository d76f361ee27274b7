//! One benchmark result: printed as a line of text, or as one JSON object.

use tessera_runtime::timing::Timing;

/// What was measured and how fast it ran.
#[derive(Clone, Debug)]
pub struct Record {
    /// Op name, e.g. `matmul`.
    pub op: String,
    /// Shape in words, e.g. `1024x1024x1024`.
    pub shape: String,
    /// Storage dtype.
    pub dtype: String,
    /// Kernel variant (or `auto` when the op chose).
    pub variant: String,
    /// Adapter summary line.
    pub adapter: String,
    /// Timings.
    pub timing: Timing,
    /// Floating-point operations per run, for compute-bound ops.
    pub flops: Option<f64>,
    /// Bytes moved per run (reads + writes), for memory-bound ops.
    pub bytes: Option<f64>,
    /// Input sets rotated among.
    pub input_sets: usize,
}

impl Record {
    /// GFLOP/s at the median.
    pub fn gflops(&self) -> Option<f64> {
        self.flops
            .map(|f| f / self.timing.median.as_secs_f64() / 1e9)
    }

    /// GB/s at the median.
    pub fn gbps(&self) -> Option<f64> {
        self.bytes
            .map(|b| b / self.timing.median.as_secs_f64() / 1e9)
    }

    /// Throughput in words, e.g. `123.4 GFLOP/s`.
    pub fn rate(&self) -> String {
        match (self.gflops(), self.gbps()) {
            (Some(g), _) => format!("{g:.1} GFLOP/s"),
            (None, Some(b)) => format!("{b:.1} GB/s"),
            _ => "-".into(),
        }
    }

    /// Print as text or JSON.
    pub fn print(&self, json: bool) {
        if json {
            println!("{}", self.to_json());
            return;
        }
        let t = &self.timing;
        println!(
            "{} {} {} [{}]: {} (median {:.3} ms of {} reps, min {:.3} ms, {}, {} input set(s)); first run {:.1} ms (compile, tuning, warm-up; excluded)",
            self.op,
            self.shape,
            self.dtype,
            self.variant,
            self.rate(),
            t.median.as_secs_f64() * 1e3,
            t.samples.len(),
            t.min.as_secs_f64() * 1e3,
            t.source.name(),
            self.input_sets,
            t.first_run.as_secs_f64() * 1e3
        );
    }

    /// One JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        serde_json::json!({
            "op": self.op,
            "shape": self.shape,
            "dtype": self.dtype,
            "variant": self.variant,
            "adapter": self.adapter,
            "timer": self.timing.source.name(),
            "reps": self.timing.samples.len(),
            "median_ms": ms(self.timing.median),
            "min_ms": ms(self.timing.min),
            "first_run_ms": ms(self.timing.first_run),
            "samples_ms": self.timing.samples.iter().map(|&d| ms(d)).collect::<Vec<_>>(),
            "gflops": self.gflops(),
            "gbps": self.gbps(),
            "input_sets": self.input_sets,
        })
    }
}
