//! The WGSL generator of [`ConvGemmSpec`](super::ConvGemmSpec): staging of
//! the weight and the on-the-fly im2col slice, the fully unrolled register
//! block, and the biased, activated store.

use super::ConvGemmConfig;
use crate::register_block::{write_register_block_step, RegisterBlock};
use std::fmt::Write;

/// The kernel body after the header, parameters and bindings.
pub(super) fn conv_gemm_body(c: &ConvGemmConfig) -> String {
    let t = c.threads();
    let (bm4, bn4) = (c.bm / 4, c.bn / 4);
    let tn4 = c.tn / 4;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "var<workgroup> a_tile: array<vec4<f32>, {}>; // weight [kk][channel / 4]
var<workgroup> b_tile: array<vec4<f32>, {}>; // im2col [kk][pixel / 4]
{STORE}
@compute @workgroup_size({t}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {{
    let n = wid.z / p.groups;
    let g = wid.z % p.groups;
    let oc_base = wid.y * {}u;
    let pix_base = wid.x * {}u;
    let cout_g = p.c_out / p.groups;
    let cin_g = p.c_in / p.groups;
    let khw = p.k_h * p.k_w;
    let taps = p.k_d * khw;
    let kdim = cin_g * taps;
    let in_sp = p.in_d * p.in_h * p.in_w;
    let out_hw = p.out_h * p.out_w;
    let out_sp = p.out_d * out_hw;
    let x_base = p.x_off + (n * p.c_in + g * cin_g) * in_sp;
    let w_base = p.w_off + g * cout_g * kdim;
    let tx = t % {}u;
    let ty = t / {}u;",
        c.bk * bm4,
        c.bk * bn4,
        c.bm,
        c.bn,
        c.bn / c.tn,
        c.bn / c.tn
    );
    // The pixel columns this thread stages, decomposed once.
    let slots = (c.bn / t).max(1);
    for i in 0..slots {
        let col = if c.bn >= t {
            format!("t + {}u", i * t)
        } else {
            format!("t % {}u", c.bn)
        };
        let _ = writeln!(
            s,
            "    let col{i} = {col};
    let pix{i} = pix_base + col{i};
    let pin{i} = pix{i} < out_sp;
    let od{i} = pix{i} / out_hw;
    let oh{i} = (pix{i} % out_hw) / p.out_w;
    let ow{i} = pix{i} % p.out_w;
    let id{i} = i32(od{i} * p.stride_d) - i32(p.pad_d);
    let ih{i} = i32(oh{i} * p.stride_h) - i32(p.pad_h);
    let iw{i} = i32(ow{i} * p.stride_w) - i32(p.pad_w);"
        );
    }
    for r in 0..c.tm {
        for j in 0..tn4 {
            let _ = writeln!(s, "    var acc{r}_{j} = vec4<f32>(0.0);");
        }
    }
    let _ = writeln!(
        s,
        "    for (var k0 = 0u; k0 < kdim; k0 = k0 + {}u) {{",
        c.bk
    );
    stage_weight(&mut s, c);
    stage_im2col(&mut s, c, slots);
    s.push_str("        workgroupBarrier();\n");
    write_register_block_step(
        &mut s,
        &RegisterBlock {
            tile: *c,
            row_lane: "ty",
            col_lane: "tx",
        },
    );
    let _ = writeln!(
        s,
        "    let r0 = oc_base + ty * {}u;\n    let q0 = pix_base + tx * {}u;",
        c.tm, c.tn
    );
    for r in 0..c.tm {
        for j in 0..tn4 {
            let _ = writeln!(
                s,
                "    store4(n, g, r0 + {r}u, q0 + {}u, out_sp, acc{r}_{j});",
                4 * j
            );
        }
    }
    s.push_str("}\n");
    s
}

/// Adds the bias of channel `oc` of group `g`, applies the activation and
/// stores the four pixels from `pix` that lie inside the output.
const STORE: &str = "fn store4(n: u32, g: u32, oc: u32, pix: u32, out_sp: u32, v: vec4<f32>) {
    let cout_g = p.c_out / p.groups;
    if oc >= cout_g {
        return;
    }
    let ch = g * cout_g + oc;
    var bias = 0.0;
    if p.has_bias != 0u {
        bias = f32(b[p.b_off + ch]);
    }
    let o = (n * p.c_out + ch) * out_sp + pix;
    for (var c = 0u; c < 4u; c = c + 1u) {
        if pix + c < out_sp {
            out[o + c] = T(activate(v[c] + bias));
        }
    }
}";

/// Stage the `bm x bk` weight slice: thread `t` loads elements `t + q * threads`
/// (row-major over `[channel][kk]`, so neighbouring threads read neighbouring
/// weights), zero past the group's channels or `kdim`.
fn stage_weight(s: &mut String, c: &ConvGemmConfig) {
    let t = c.threads();
    let bm4 = c.bm / 4;
    for q in 0..c.bm * c.bk / t {
        let _ = writeln!(
            s,
            "        {{
            let e = t + {}u;
            let row = e / {bk}u;
            let kk = e % {bk}u;
            let oc = oc_base + row;
            let k = k0 + kk;
            let ok = oc < cout_g && k < kdim;
            let v = f32(w[w_base + min(oc, cout_g - 1u) * kdim + min(k, kdim - 1u)]);
            a_tile[kk * {bm4}u + row / 4u][row % 4u] = select(0.0, v, ok);
        }}",
            q * t,
            bk = c.bk
        );
    }
}

/// Stage the `bk x bn` im2col slice: each thread fills fixed pixel columns
/// (decomposed before the loop) at depths `kk`, each depth split once into
/// input channel and kernel tap; taps in the padding, depths past `kdim` and
/// pixels past the output read as zero.
fn stage_im2col(s: &mut String, c: &ConvGemmConfig, slots: u32) {
    let t = c.threads();
    let bn4 = c.bn / 4;
    // (kk expression, slots at that depth)
    let depths: Vec<String> = if c.bn >= t {
        (0..c.bk).map(|kk| format!("{kk}u")).collect()
    } else {
        let rows_per_pass = t / c.bn;
        (0..c.bk * c.bn / t)
            .map(|q| format!("t / {}u + {}u", c.bn, q * rows_per_pass))
            .collect()
    };
    for kk in depths {
        let _ = writeln!(
            s,
            "        {{
            let kk = {kk};
            let k = k0 + kk;
            let kin = k < kdim;
            let ic = k / taps;
            let tap = k % taps;
            let kd = tap / khw;
            let kh = (tap % khw) / p.k_w;
            let kw = tap % p.k_w;
            let xc = x_base + min(ic, cin_g - 1u) * in_sp;
            let dd = i32(kd * p.dil_d);
            let dh = i32(kh * p.dil_h);
            let dw = i32(kw * p.dil_w);"
        );
        for i in 0..slots {
            let _ = writeln!(
                s,
                "            {{
                let d = id{i} + dd;
                let h = ih{i} + dh;
                let x_w = iw{i} + dw;
                let ok = kin && pin{i} && d >= 0 && d < i32(p.in_d) && h >= 0 && h < i32(p.in_h)
                    && x_w >= 0 && x_w < i32(p.in_w);
                let cd = u32(clamp(d, 0, i32(p.in_d) - 1));
                let ch = u32(clamp(h, 0, i32(p.in_h) - 1));
                let cw = u32(clamp(x_w, 0, i32(p.in_w) - 1));
                let v = f32(x[xc + (cd * p.in_h + ch) * p.in_w + cw]);
                b_tile[kk * {bn4}u + col{i} / 4u][col{i} % 4u] = select(0.0, v, ok);
            }}"
            );
        }
        s.push_str("        }\n");
    }
}
