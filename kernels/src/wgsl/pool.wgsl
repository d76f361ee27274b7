// Max and average pooling: x [n * c, d, h, w] -> out [n * c, out_d, out_h,
// out_w], one thread per output element. The window of output o along a dim
// starts at o * stride - pad and takes k taps `dil` apart. Max ignores
// padding; average divides the sum of the taps inside the input by their
// count (mode 1) or by the count of taps inside the padded extent
// [-pad, size + pad_end) (mode 2, count_include_pad).
//
// Bounds: the host checks x holds x_off + n * c_in * in_d * in_h * in_w
// elements; every coordinate is tested against the input's dims before it is
// read.

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = linear_workgroup(wid, nwg) * WG + lid;
    if t >= p.total {
        return;
    }
    let out_sp = p.out_d * p.out_h * p.out_w;
    let pos = t % out_sp;
    let plane = t / out_sp;
    let ow = pos % p.out_w;
    let oh = (pos / p.out_w) % p.out_h;
    let od = pos / (p.out_w * p.out_h);
    let xc = p.x_off + plane * p.in_d * p.in_h * p.in_w;
    let id0 = i32(od * p.stride_d) - i32(p.pad_d);
    let ih0 = i32(oh * p.stride_h) - i32(p.pad_h);
    let iw0 = i32(ow * p.stride_w) - i32(p.pad_w);
    var best = -3.4028234663852886e38; // -f32::MAX exactly: Tint refuses literals past it
    var seen = false;
    var sum = 0.0;
    var inside = 0u;
    var padded = 0u;
    for (var kd = 0u; kd < p.k_d; kd++) {
        let id = id0 + i32(kd * p.dil_d);
        let d_in = id >= 0 && id < i32(p.in_d);
        let d_pad = id < i32(p.in_d + p.pad_end_d);
        for (var kh = 0u; kh < p.k_h; kh++) {
            let ih = ih0 + i32(kh * p.dil_h);
            let h_in = ih >= 0 && ih < i32(p.in_h);
            let h_pad = ih < i32(p.in_h + p.pad_end_h);
            for (var kw = 0u; kw < p.k_w; kw++) {
                let iw = iw0 + i32(kw * p.dil_w);
                let w_in = iw >= 0 && iw < i32(p.in_w);
                let w_pad = iw < i32(p.in_w + p.pad_end_w);
                if d_pad && h_pad && w_pad {
                    padded += 1u;
                }
                if d_in && h_in && w_in {
                    let v = f32(x[xc + (u32(id) * p.in_h + u32(ih)) * p.in_w + u32(iw)]);
                    // NaN wins, as in the reference.
                    if !seen || v > best || v != v {
                        best = select(v, best, best != best);
                    }
                    seen = true;
                    sum += v;
                    inside += 1u;
                }
            }
        }
    }
    var y = best;
    if p.mode == 1u {
        y = sum / f32(max(inside, 1u));
    } else if p.mode == 2u {
        y = sum / f32(max(padded, 1u));
    }
    out[t] = T(y);
}
