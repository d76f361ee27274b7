// Direct convolution (no im2col): x [n, c_in, d, h, w], weight
// [c_out, c_in / groups, k_d, k_h, k_w], optional bias [c_out], out
// [n, c_out, out_d, out_h, out_w], then the activation. One thread computes
// OCB output channels of one group at one output position, so it loads each
// input value once for OCB products; neighbouring threads take neighbouring
// positions. Channels past the group's end repeat its last channel's weights
// and are not stored.
//
// Bounds: the host checks x holds x_off + n * c_in * in_d * in_h * in_w
// elements, weight w_off + c_out * (c_in / groups) * k_d * k_h * k_w and bias
// b_off + c_out; every input coordinate is tested against the input's dims
// before it is read, and threads past `total` return.

const OCB: u32 = 4u;

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
    let rest = t / out_sp;
    let cout_g = p.c_out / p.groups;
    let blocks = (cout_g + OCB - 1u) / OCB;
    let blk = rest % blocks;
    let ng = rest / blocks;
    let g = ng % p.groups;
    let n = ng / p.groups;
    let ow = pos % p.out_w;
    let oh = (pos / p.out_w) % p.out_h;
    let od = pos / (p.out_w * p.out_h);
    let oc0 = g * cout_g + blk * OCB;
    let valid = min(OCB, cout_g - blk * OCB);
    let cin_g = p.c_in / p.groups;
    let ksz = p.k_d * p.k_h * p.k_w;
    let in_sp = p.in_d * p.in_h * p.in_w;
    let row = cin_g * ksz;
    let r1 = min(1u, valid - 1u) * row;
    let r2 = min(2u, valid - 1u) * row;
    let r3 = min(3u, valid - 1u) * row;
    let id0 = i32(od * p.stride_d) - i32(p.pad_d);
    let ih0 = i32(oh * p.stride_h) - i32(p.pad_h);
    let iw0 = i32(ow * p.stride_w) - i32(p.pad_w);
    var acc = vec4<f32>(0.0);
    for (var ic = 0u; ic < cin_g; ic++) {
        let xc = p.x_off + (n * p.c_in + g * cin_g + ic) * in_sp;
        let wc = p.w_off + oc0 * row + ic * ksz;
        for (var kd = 0u; kd < p.k_d; kd++) {
            let id = id0 + i32(kd * p.dil_d);
            if id < 0 || id >= i32(p.in_d) {
                continue;
            }
            for (var kh = 0u; kh < p.k_h; kh++) {
                let ih = ih0 + i32(kh * p.dil_h);
                if ih < 0 || ih >= i32(p.in_h) {
                    continue;
                }
                let xrow = xc + (u32(id) * p.in_h + u32(ih)) * p.in_w;
                let krow = wc + (kd * p.k_h + kh) * p.k_w;
                for (var kw = 0u; kw < p.k_w; kw++) {
                    let iw = iw0 + i32(kw * p.dil_w);
                    if iw < 0 || iw >= i32(p.in_w) {
                        continue;
                    }
                    let xv = f32(x[xrow + u32(iw)]);
                    let k = krow + kw;
                    acc += xv * vec4<f32>(f32(w[k]), f32(w[k + r1]), f32(w[k + r2]), f32(w[k + r3]));
                }
            }
        }
    }
    if p.has_bias != 0u {
        let b0 = p.b_off + oc0;
        acc += vec4<f32>(f32(b[b0]), f32(b[b0 + r1 / row]), f32(b[b0 + r2 / row]),
                         f32(b[b0 + r3 / row]));
    }
    let o = (n * p.c_out + oc0) * out_sp + pos;
    for (var j = 0u; j < valid; j++) {
        out[o + j * out_sp] = T(activate(acc[j]));
    }
}
