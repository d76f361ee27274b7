// Quantized matvec for software adapters (decoding on llvmpipe): out[r, c] =
// Σ_k x[r, k] · W[c, k], W an n x k GGML matrix that stays quantized (see the
// format snippet), for a few rows of x.
//
// On a CPU adapter the lanes of a subgroup are the lanes of one SIMD register
// and every load whose address differs per lane is a loop over the lanes, so
// loads are what cost. Here each lane owns COLS output columns (col0 + c WG)
// and walks their rows of W block by block; all lanes of a workgroup take the
// same block at the same time. A block of one x row is 8 vec4s: lane l of
// each 8 loads vec4 l % 8, and the lanes take the other seven by
// subgroupBroadcast (a register shuffle) instead of loading all eight
// themselves, which is a quarter of matvec_quant.wgsl's loads per block. Each
// block of W is unpacked once and applied to every row of x; each x load and
// broadcast serves all COLS columns (per row, that load and the broadcasts
// cost about as much as the row's multiply-adds on llvmpipe, so sharing them
// halves the time of 8 rows). No reduction is left: each lane holds its
// columns' sums.
//
// `main` follows, written out by matvec_quant_subgroup.rs for ROWS rows and
// COLS columns, one accumulator variable per (row, column) and every loop but
// the one over blocks unrolled.
//
// Needs subgroups of at least 8 lanes (the host checks the adapter's minimum
// subgroup size) and uniform control flow around the broadcasts: the loop
// runs over uniform bounds, and loads are clamped instead of guarded (the
// columns to n - 1, the rows to m - 1); the stores are guarded by m and n.
// The header defines T, ROWS, WG and epilogue, as for matvec_quant.wgsl.
