//! Timing GPU work for benchmarks and the tuner: GPU timestamps around the work
//! where the adapter has them, else a full sync before and after it on the host
//! clock. Warm-up runs are timed apart and excluded from the median.

use crate::error::Result;
use std::sync::Arc;
use std::time::Duration;
use tessera_hal::Device;
use web_time::Instant;

/// Which clock a [`Timing`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerSource {
    /// Timestamps written by the GPU at the start and end of the work.
    GpuTimestamps,
    /// Host clock around the work with a full device sync on both sides.
    HostSync,
}

impl TimerSource {
    /// Short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            TimerSource::GpuTimestamps => "gpu-timestamps",
            TimerSource::HostSync => "host-sync",
        }
    }
}

/// Which clock [`measure_with`] should use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClockChoice {
    /// GPU timestamps where the adapter has them, else the host clock with a
    /// full sync.
    #[default]
    Best,
    /// Always the host clock with a full sync on both sides, as other runtimes'
    /// benchmarks time their ops (submission and sync included).
    HostSync,
}

/// The result of [`measure`].
#[derive(Clone, Debug)]
pub struct Timing {
    /// Median of the timed repetitions.
    pub median: Duration,
    /// Fastest timed repetition.
    pub min: Duration,
    /// Host time of the first (warm-up) run, compile and tuning included.
    pub first_run: Duration,
    /// Every timed repetition, in order.
    pub samples: Vec<Duration>,
    /// The clock used.
    pub source: TimerSource,
}

/// Run `work(i)` `warmup` times untimed (the first timed on the host as
/// `first_run`), then `reps` times timed, and report the median. `work` should
/// record GPU work only (no read-back); `i` counts every call, for rotating inputs.
pub fn measure(
    device: &Arc<dyn Device>,
    warmup: usize,
    reps: usize,
    work: impl FnMut(usize) -> Result<()>,
) -> Result<Timing> {
    measure_with(device, ClockChoice::Best, warmup, reps, work)
}

/// [`measure`] on the chosen clock.
pub fn measure_with(
    device: &Arc<dyn Device>,
    clock: ClockChoice,
    warmup: usize,
    reps: usize,
    mut work: impl FnMut(usize) -> Result<()>,
) -> Result<Timing> {
    let mut call = 0usize;
    device.synchronize()?;
    let start = Instant::now();
    work(call)?;
    call += 1;
    device.synchronize()?;
    let first_run = start.elapsed();
    for _ in 1..warmup.max(1) {
        work(call)?;
        call += 1;
    }
    device.synchronize()?;
    let mut samples = Vec::with_capacity(reps.max(1));
    let mut source = TimerSource::HostSync;
    for _ in 0..reps.max(1) {
        let (elapsed, used) = match clock {
            ClockChoice::Best => time_once(device, || work(call))?,
            ClockChoice::HostSync => (time_on_host(device, || work(call))?, TimerSource::HostSync),
        };
        call += 1;
        source = used;
        samples.push(elapsed);
    }
    let mut sorted = samples.clone();
    sorted.sort();
    Ok(Timing {
        median: sorted[sorted.len() / 2],
        min: sorted[0],
        first_run,
        samples,
        source,
    })
}

/// Time one run of `work` (the device is synchronized first).
pub fn time_once(
    device: &Arc<dyn Device>,
    work: impl FnOnce() -> Result<()>,
) -> Result<(Duration, TimerSource)> {
    device.synchronize()?;
    if let Some(token) = device.timer_begin()? {
        work()?;
        let elapsed = device.timer_end(token)?;
        return Ok((elapsed, TimerSource::GpuTimestamps));
    }
    Ok((elapsed_on_host(device, work)?, TimerSource::HostSync))
}

/// Host time of one run of `work` with a full sync before and after it.
pub fn time_on_host(
    device: &Arc<dyn Device>,
    work: impl FnOnce() -> Result<()>,
) -> Result<Duration> {
    device.synchronize()?;
    elapsed_on_host(device, work)
}

/// Host time of `work` plus a full sync after it, on an already idle device.
fn elapsed_on_host(
    device: &Arc<dyn Device>,
    work: impl FnOnce() -> Result<()>,
) -> Result<Duration> {
    let start = Instant::now();
    work()?;
    device.synchronize()?;
    Ok(start.elapsed())
}

/// One untimed run of `work` (compile, first use), then the faster of two timed
/// runs: what the tuner compares variants by.
pub fn best_of_two(
    device: &Arc<dyn Device>,
    mut work: impl FnMut() -> Result<()>,
) -> Result<Duration> {
    work()?;
    let (first, _) = time_once(device, &mut work)?;
    let (second, _) = time_once(device, &mut work)?;
    Ok(first.min(second))
}
