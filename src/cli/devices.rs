//! `tessera devices`: list adapters.

use clap::Args;
use tessera_hal::{choose_adapter, enumerate_adapters, AdapterSelector, DeviceError};

/// Arguments of `tessera devices`.
#[derive(Args, Debug)]
pub struct DevicesArgs {
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
}

/// List the adapters and mark the default choice.
pub fn run(args: DevicesArgs) -> Result<(), Box<dyn std::error::Error>> {
    let adapters = enumerate_adapters();
    if adapters.is_empty() {
        return Err(DeviceError::NoAdapter.into());
    }
    let default = choose_adapter(&adapters, &AdapterSelector::Auto);
    if args.json {
        let doc = serde_json::json!({
            "default": default.map(|i| adapters[i].index),
            "adapters": adapters,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    for (i, a) in adapters.iter().enumerate() {
        let mark = if Some(i) == default { "*" } else { " " };
        println!("{mark} {}", a.summary());
        println!(
            "    features: shader-f16 {}, subgroups {}, timestamps {}",
            yes(a.features.shader_f16),
            yes(a.features.subgroups),
            yes(a.features.timestamps)
        );
        println!(
            "    limits: buffer {} MiB, storage binding {} MiB, workgroup storage {} KiB, invocations {}",
            a.limits.max_buffer_size >> 20,
            a.limits.max_storage_buffer_binding_size >> 20,
            a.limits.max_compute_workgroup_storage_size >> 10,
            a.limits.max_compute_invocations_per_workgroup
        );
    }
    println!(
        "(* = default; set TESSERA_ADAPTER to an index or a name/backend substring to choose)"
    );
    Ok(())
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
