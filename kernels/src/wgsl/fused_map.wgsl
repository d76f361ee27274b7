// out[i] = eval(offsets of the inputs at i): a straight-line program over up
// to 7 broadcast inputs. fused_map.rs generates `INPUTS` (how many there are)
// and `eval` (the program in f32, reading input k at o[k]).

override WG: u32 = 256u;

// Input k's stride along dim d.
fn stride_of(k: u32, d: u32) -> u32 {
    let j = k * 8u + d;
    return p.strides[j / 4u][j % 4u];
}

// Each input's element offset at output index i (row-major over p.shape).
fn input_offsets(i: u32) -> array<u32, 8> {
    var o: array<u32, 8>;
    for (var k = 0u; k < INPUTS; k = k + 1u) {
        o[k] = p.offsets[k / 4u][k % 4u];
    }
    var rem = i;
    let rank = min(p.rank, MAX_RANK);
    for (var d = rank; d > 0u; d = d - 1u) {
        let dim = d - 1u;
        let size = p.shape[dim / 4u][dim % 4u];
        let c = rem % size;
        rem = rem / size;
        for (var k = 0u; k < INPUTS; k = k + 1u) {
            o[k] = o[k] + c * stride_of(k, dim);
        }
    }
    return o;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n {
        return;
    }
    out[p.out_off + i] = T(eval(input_offsets(i)));
}
