// Transposed convolution as a gather: x [n, c_in, d, h, w], weight
// [c_in, c_out / groups, k_d, k_h, k_w], optional bias [c_out], out
// [n, c_out, out_d, out_h, out_w]. One thread per output element sums, over
// its group's input channels and the kernel taps, x at the input position
// whose scatter lands here: o + pad - k * dil must be a multiple of the stride
// and the quotient inside the input.
//
// Bounds: the host checks the operands' sizes as for conv; every input
// coordinate is tested against the input's dims before it is read.

override WG: u32 = 256u;

// The input coordinate that tap k of output o reads along one dim, or -1.
fn source_of(o: u32, k: u32, pad: u32, dil: u32, stride: u32, size: u32) -> i32 {
    let num = i32(o + pad) - i32(k * dil);
    if num < 0 || (u32(num) % stride) != 0u {
        return -1;
    }
    let i = u32(num) / stride;
    return select(-1, i32(i), i < size);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = linear_workgroup(wid, nwg) * WG + lid;
    if t >= p.total {
        return;
    }
    let out_sp = p.out_d * p.out_h * p.out_w;
    let pos = t % out_sp;
    let nc = t / out_sp;
    let oc = nc % p.c_out;
    let n = nc / p.c_out;
    let ow = pos % p.out_w;
    let oh = (pos / p.out_w) % p.out_h;
    let od = pos / (p.out_w * p.out_h);
    let cout_g = p.c_out / p.groups;
    let cin_g = p.c_in / p.groups;
    let g = oc / cout_g;
    let ocg = oc % cout_g;
    let ksz = p.k_d * p.k_h * p.k_w;
    let in_sp = p.in_d * p.in_h * p.in_w;
    var acc = 0.0;
    for (var kd = 0u; kd < p.k_d; kd++) {
        let id = source_of(od, kd, p.pad_d, p.dil_d, p.stride_d, p.in_d);
        if id < 0 {
            continue;
        }
        for (var kh = 0u; kh < p.k_h; kh++) {
            let ih = source_of(oh, kh, p.pad_h, p.dil_h, p.stride_h, p.in_h);
            if ih < 0 {
                continue;
            }
            for (var kw = 0u; kw < p.k_w; kw++) {
                let iw = source_of(ow, kw, p.pad_w, p.dil_w, p.stride_w, p.in_w);
                if iw < 0 {
                    continue;
                }
                let xs = (u32(id) * p.in_h + u32(ih)) * p.in_w + u32(iw);
                let k = (kd * p.k_h + kh) * p.k_w + kw;
                for (var ic = 0u; ic < cin_g; ic++) {
                    let c = g * cin_g + ic;
                    let xv = f32(x[p.x_off + (n * p.c_in + c) * in_sp + xs]);
                    acc += xv * f32(w[p.w_off + (c * cout_g + ocg) * ksz + k]);
                }
            }
        }
    }
    if p.has_bias != 0u {
        acc += f32(b[p.b_off + oc]);
    }
    out[t] = T(activate(acc));
}
