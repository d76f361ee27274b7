// Direct convolution (no im2col): x [n, c_in, d, h, w], weight
// [c_out, c_in / groups, k_d, k_h, k_w], optional bias [c_out], out
// [n, c_out, out_d, out_h, out_w], then the activation. One thread computes a
// register block of OCB output channels of one group by PB neighbouring
// output positions along w: per tap it loads OCB weights and PB inputs for
// OCB * PB products. Channels past the group's end repeat its last channel's
// weights, positions past the row's end its last position; neither is stored.
//
// Bounds: the host checks x holds x_off + n * c_in * in_d * in_h * in_w
// elements, weight w_off + c_out * (c_in / groups) * k_d * k_h * k_w and bias
// b_off + c_out; depth and height coordinates are tested against the input's
// dims before a row is read, width coordinates are clamped into the row (and
// the value zeroed when outside), and threads past `total` return.

const OCB: u32 = 4u;
const PB: u32 = 4u;

override WG: u32 = 256u;

// x at width coordinate iw of the row starting at `row`, or 0 outside it.
fn x_at(row: u32, iw: i32) -> f32 {
    let inside = iw >= 0 && iw < i32(p.in_w);
    let v = f32(x[row + u32(clamp(iw, 0, i32(p.in_w) - 1))]);
    return select(0.0, v, inside);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = linear_workgroup(wid, nwg) * WG + lid;
    if t >= p.total {
        return;
    }
    let cout_g = p.c_out / p.groups;
    let blocks = (cout_g + OCB - 1u) / OCB;
    let row_blocks = (p.out_w + PB - 1u) / PB;
    let owb = t % row_blocks;
    var rest = t / row_blocks;
    let oh = rest % p.out_h;
    rest = rest / p.out_h;
    let od = rest % p.out_d;
    rest = rest / p.out_d;
    let blk = rest % blocks;
    rest = rest / blocks;
    let g = rest % p.groups;
    let n = rest / p.groups;
    let ow0 = owb * PB;
    let oc0 = g * cout_g + blk * OCB;
    let valid = min(OCB, cout_g - blk * OCB);
    let cin_g = p.c_in / p.groups;
    let ksz = p.k_d * p.k_h * p.k_w;
    let in_sp = p.in_d * p.in_h * p.in_w;
    let wrow = cin_g * ksz;
    let r1 = min(1u, valid - 1u) * wrow;
    let r2 = min(2u, valid - 1u) * wrow;
    let r3 = min(3u, valid - 1u) * wrow;
    let id0 = i32(od * p.stride_d) - i32(p.pad_d);
    let ih0 = i32(oh * p.stride_h) - i32(p.pad_h);
    let iw0 = i32(ow0 * p.stride_w) - i32(p.pad_w);
    let sw = i32(p.stride_w);
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    for (var ic = 0u; ic < cin_g; ic++) {
        let xc = p.x_off + (n * p.c_in + g * cin_g + ic) * in_sp;
        let wc = p.w_off + oc0 * wrow + ic * ksz;
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
                    let k = krow + kw;
                    let wv = vec4<f32>(f32(w[k]), f32(w[k + r1]), f32(w[k + r2]), f32(w[k + r3]));
                    let iw = iw0 + i32(kw * p.dil_w);
                    a0 += x_at(xrow, iw) * wv;
                    a1 += x_at(xrow, iw + sw) * wv;
                    a2 += x_at(xrow, iw + 2 * sw) * wv;
                    a3 += x_at(xrow, iw + 3 * sw) * wv;
                }
            }
        }
    }
    if p.has_bias != 0u {
        let b0 = p.b_off + oc0;
        let bv = vec4<f32>(f32(b[b0]), f32(b[b0 + r1 / wrow]), f32(b[b0 + r2 / wrow]),
                           f32(b[b0 + r3 / wrow]));
        a0 += bv;
        a1 += bv;
        a2 += bv;
        a3 += bv;
    }
    let out_sp = p.out_d * p.out_h * p.out_w;
    let o = (n * p.c_out + oc0) * out_sp + (od * p.out_h + oh) * p.out_w + ow0;
    let positions = min(PB, p.out_w - ow0);
    for (var c = 0u; c < valid; c++) {
        let oc = o + c * out_sp;
        out[oc] = T(activate(a0[c]));
        if positions > 1u {
            out[oc + 1u] = T(activate(a1[c]));
        }
        if positions > 2u {
            out[oc + 2u] = T(activate(a2[c]));
        }
        if positions > 3u {
            out[oc + 3u] = T(activate(a3[c]));
        }
    }
}
