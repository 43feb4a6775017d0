// Generates src/generated/simd-kernels.js: a small WebAssembly module (SIMD, 4 lanes) of kernels
// that work in the wasm backend's own memory, for what tfjs composes of several passes:
//
// - the tile transforms of Winograd's F(4×4, 3×3). XNNPACK runs the 36 products of a Winograd
//   convolution near the machine's peak, but tfjs offers no kernel for the transforms around them:
//   composed of tfjs kernels (gathers, transposes, small products, splits and copies), they took as
//   long as the products (26 ms of a 50 ms convolution [1, 64, 64, 256]). Here each 6×6 input tile
//   goes from the image straight into the 36 product operands, and each product's result straight
//   into the output image: one pass each.
// - instance normalization's statistics and its scale and shift (per-channel sums over the pixels,
//   of the values and of their squared deviations; then (x − mean)·scale + shift), where tfjs
//   takes a subtraction, a square, two poolings, two products and a sum, each a pass over the map;
// - PReLU, which tfjs-wasm runs one value at a time;
// - batched products of a few rows (the attention's weights times each pixel's k neighbours), which
//   tfjs-wasm runs in a scalar loop;
// - the neighbour search's running top-k over each score tile, four scores compared at once.
//
// The WebAssembly text is written out here (the transforms from their matrices, each sum unrolled,
// the zero coefficients left out), compiled by wabt (a build-time dependency only), and stored as
// base64 twice: importing the backend's memory shared (the threaded build) and not shared.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import initWabt from 'wabt';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'src', 'generated');
const outFile = join(outDir, 'simd-kernels.js');

/**
 * Bᵀ, G and Aᵀ of F(4×4, 3×3), interpolation points 0, ±1, ±2 and ∞: written into the generated
 * module too, where src/wasm-winograd.ts (the composed transforms) takes them.
 */
const BT = [
  [4, 0, -5, 0, 1, 0],
  [0, -4, -4, 1, 1, 0],
  [0, 4, -4, -1, 1, 0],
  [0, -2, -1, 2, 1, 0],
  [0, 2, -1, -2, 1, 0],
  [0, 4, 0, -5, 0, 1],
];
const G = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];
const AT = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 2, -2, 0],
  [0, 1, 1, 4, 4, 0],
  [0, 1, -1, 8, -8, 1],
];

const get = (name) => `(local.get $${name})`;
/** A constant in all four lanes, written with the digits that give its float32 exactly. */
const splat = (c) => {
  const t = Number.isInteger(c) ? String(c) : Math.fround(c).toPrecision(9);
  return `(v128.const f32x4 ${t} ${t} ${t} ${t})`;
};
/** Σ coef·local over the non-zero coefficients, as one f32x4 expression. */
function combination(terms) {
  const nz = terms.filter(([c]) => c !== 0);
  if (nz.length === 0) return '(v128.const i32x4 0 0 0 0)';
  const term = (c, v) => (Math.abs(c) === 1 ? get(v) : `(f32x4.mul ${get(v)} ${splat(Math.abs(c))})`);
  const [c0, v0] = nz[0];
  let acc = c0 === 1 ? get(v0) : c0 === -1 ? `(f32x4.neg ${get(v0)})` : `(f32x4.mul ${get(v0)} ${splat(c0)})`;
  for (const [c, v] of nz.slice(1)) acc = `(${c > 0 ? 'f32x4.add' : 'f32x4.sub'} ${acc} ${term(c, v)})`;
  return acc;
}
const range = (n) => Array.from({ length: n }, (_, i) => i);
const i32 = (names) => names.map((n) => `(local $${n} i32)`).join(' ');
const v128 = (names) => names.map((n) => `(local $${n} v128)`).join(' ');
/** A loop of `body` over `$var` from 0 while below `limit`, by `step`. */
const loop = (label, v, limit, step, body) =>
  `(local.set $${v} (i32.const 0))
   (block $${label}_end (loop $${label}
     (br_if $${label}_end (i32.ge_u ${get(v)} ${limit}))
     ${body}
     (local.set $${v} (i32.add ${get(v)} (i32.const ${step})))
     (br $${label})))`;

/** The 36 byte offsets of a table of i32 at `$table`, into locals `$<prefix>0` … `$<prefix>35`. */
const loadTable = (prefix, table) =>
  range(36)
    .map((p) => `(local.set $${prefix}${p} (i32.load offset=${4 * p} ${get(table)}))`)
    .join('\n');
/**
 * Tile `$t0 + $t`'s image `$bi` and the row and column of its top-left output pixel (`$r0`, `$c0`),
 * less `shift` (the padding before the input, for the input's tile).
 */
const tileOrigin = (shift) =>
  `(local.set $tt (i32.add ${get('t0')} ${get('t')}))
    (local.set $bi (i32.div_u ${get('tt')} ${get('per')}))
    (local.set $rem (i32.rem_u ${get('tt')} ${get('per')}))
    (local.set $r0 ${shift ? `(i32.sub (i32.shl (i32.div_u ${get('rem')} ${get('tw')}) (i32.const 2)) ${get(shift.top)})` : `(i32.shl (i32.div_u ${get('rem')} ${get('tw')}) (i32.const 2))`})
    (local.set $c0 ${shift ? `(i32.sub (i32.shl (i32.rem_u ${get('rem')} ${get('tw')}) (i32.const 2)) ${get(shift.left)})` : `(i32.shl (i32.rem_u ${get('rem')} ${get('tw')}) (i32.const 2))`})`;

/**
 * input_tiles(x, h, w, cin, t0, n, th, tw, top, left, outs): for tiles t0 … t0 + n − 1 of an
 * output tiled th × tw per image, each tile's 6×6 input (zeros outside [0, h) × [0, w)) through
 * Bᵀ d B, position p = 6i + k written to row t − t0 of the [n, cin] matrix whose byte offset is the
 * p-th i32 at `outs`. x is [B, h, w, cin] at byte offset `x`; cin a multiple of 4.
 */
function inputTiles() {
  const d = (i, j) => `d${i}_${j}`;
  const m = (p, j) => `m${p}_${j}`;
  const a = (i, j) => `a${i}_${j}`;
  const ok = (i, j) => `ok${i}_${j}`;
  const ij = range(6).flatMap((i) => range(6).map((j) => [i, j]));
  const loads = (checked) =>
    ij
      .map(([i, j]) => {
        const load = `(v128.load (i32.add ${get(a(i, j))} ${get('c')}))`;
        return `(local.set $${d(i, j)} ${checked ? `(if (result v128) ${get(ok(i, j))} (then ${load}) (else (v128.const i32x4 0 0 0 0)))` : load})`;
      })
      .join('\n');
  // tmp = Bᵀ d (rows), then V = tmp B (columns), each V[p][q] stored as computed.
  const rows = range(6)
    .flatMap((p) => range(6).map((j) => `(local.set $${m(p, j)} ${combination(range(6).map((i) => [BT[p][i], d(i, j)]))})`))
    .join('\n');
  const cols = range(6)
    .flatMap((p) =>
      range(6).map(
        (q) => `(v128.store (i32.add ${get(`o${p * 6 + q}`)} ${get('dc')}) ${combination(range(6).map((j) => [BT[q][j], m(p, j)]))})`,
      ),
    )
    .join('\n');
  const channels = (checked) =>
    loop(
      'ch' + (checked ? 'b' : 'i'),
      'c',
      get('pix'),
      16,
      `(local.set $dc (i32.add ${get('dst')} ${get('c')}))\n${loads(checked)}\n${rows}\n${cols}`,
    );
  return `(func (export "input_tiles")
  (param $x i32) (param $h i32) (param $w i32) (param $cin i32) (param $t0 i32) (param $n i32)
  (param $th i32) (param $tw i32) (param $top i32) (param $left i32) (param $outs i32)
  ${i32(['t', 'tt', 'per', 'rem', 'bi', 'r0', 'c0', 'base', 'pix', 'row', 'dst', 'dc', 'c'])}
  ${i32(range(36).map((p) => `o${p}`))}
  ${i32(ij.map(([i, j]) => a(i, j)))}
  ${i32(ij.map(([i, j]) => ok(i, j)))}
  ${i32(range(6).map((i) => `ri${i}`))} ${i32(range(6).map((j) => `cj${j}`))}
  ${v128(ij.map(([i, j]) => d(i, j)))}
  ${v128(ij.map(([p, j]) => m(p, j)))}
  (local.set $pix (i32.shl ${get('cin')} (i32.const 2)))
  (local.set $row (i32.mul ${get('w')} ${get('pix')}))
  (local.set $per (i32.mul ${get('th')} ${get('tw')}))
  ${loadTable('o', 'outs')}
  ${loop(
    'tiles',
    't',
    get('n'),
    1,
    `${tileOrigin({ top: 'top', left: 'left' })}
    (local.set $base (i32.add ${get('x')} (i32.mul (i32.add (i32.mul (i32.add (i32.mul ${get('bi')} ${get('h')}) ${get('r0')}) ${get('w')}) ${get('c0')}) ${get('pix')})))
    ${ij.map(([i, j]) => `(local.set $${a(i, j)} (i32.add ${get('base')} (i32.add (i32.mul (i32.const ${i}) ${get('row')}) (i32.mul (i32.const ${j}) ${get('pix')}))))`).join('\n')}
    (local.set $dst (i32.mul ${get('t')} ${get('pix')}))
    (if (i32.and (i32.and (i32.ge_s ${get('r0')} (i32.const 0)) (i32.lt_s (i32.add ${get('r0')} (i32.const 5)) ${get('h')}))
                 (i32.and (i32.ge_s ${get('c0')} (i32.const 0)) (i32.lt_s (i32.add ${get('c0')} (i32.const 5)) ${get('w')})))
      (then ${channels(false)})
      (else
        ${range(6)
          .map((i) => `(local.set $ri${i} (i32.lt_u (i32.add ${get('r0')} (i32.const ${i})) ${get('h')}))`)
          .join('\n')}
        ${range(6)
          .map((j) => `(local.set $cj${j} (i32.lt_u (i32.add ${get('c0')} (i32.const ${j})) ${get('w')}))`)
          .join('\n')}
        ${ij.map(([i, j]) => `(local.set $${ok(i, j)} (i32.and ${get(`ri${i}`)} ${get(`cj${j}`)}))`).join('\n')}
        ${channels(true)}))`,
  )})`;
}

/**
 * output_tiles(ms, n, cout, t0, th, tw, oh, ow, out): for tiles t0 … t0 + n − 1, the 36 products'
 * rows t − t0 (the [n, cout] matrix of position p at the p-th i32 offset at `ms`) through
 * Aᵀ M A, each 4×4 output tile written into out [B, oh, ow, cout] at byte offset `out`, cropped
 * to [0, oh) × [0, ow). cout a multiple of 4.
 */
function outputTiles() {
  const mm = (p) => `m${p}`;
  const tmp = (r, k) => `s${r}_${k}`;
  const q = (r, s) => `q${r}_${s}`;
  const rs = range(4).flatMap((r) => range(4).map((s) => [r, s]));
  const loads = range(36)
    .map((p) => `(local.set $${mm(p)} (v128.load (i32.add ${get(`p${p}`)} ${get('sc')})))`)
    .join('\n');
  const rows = range(4)
    .flatMap((r) => range(6).map((k) => `(local.set $${tmp(r, k)} ${combination(range(6).map((i) => [AT[r][i], mm(i * 6 + k)]))})`))
    .join('\n');
  const stores = (checked) =>
    rs
      .map(([r, s]) => {
        const store = `(v128.store (i32.add ${get(q(r, s))} ${get('c')}) ${combination(range(6).map((k) => [AT[s][k], tmp(r, k)]))})`;
        return checked ? `(if ${get(`ok${r}_${s}`)} (then ${store}))` : store;
      })
      .join('\n');
  const channels = (checked) =>
    loop(
      'ch' + (checked ? 'b' : 'i'),
      'c',
      get('pix'),
      16,
      `(local.set $sc (i32.add ${get('src')} ${get('c')}))\n${loads}\n${rows}\n${stores(checked)}`,
    );
  return `(func (export "output_tiles")
  (param $ms i32) (param $n i32) (param $cout i32) (param $t0 i32) (param $th i32) (param $tw i32)
  (param $oh i32) (param $ow i32) (param $out i32)
  ${i32(['t', 'tt', 'per', 'rem', 'bi', 'r0', 'c0', 'base', 'pix', 'row', 'src', 'sc', 'c'])}
  ${i32(range(36).map((p) => `p${p}`))}
  ${i32(rs.map(([r, s]) => q(r, s)))}
  ${i32(rs.map(([r, s]) => `ok${r}_${s}`))}
  ${v128(range(36).map(mm))}
  ${v128(range(4).flatMap((r) => range(6).map((k) => tmp(r, k))))}
  (local.set $pix (i32.shl ${get('cout')} (i32.const 2)))
  (local.set $row (i32.mul ${get('ow')} ${get('pix')}))
  (local.set $per (i32.mul ${get('th')} ${get('tw')}))
  ${loadTable('p', 'ms')}
  ${loop(
    'tiles',
    't',
    get('n'),
    1,
    `${tileOrigin(null)}
    (local.set $base (i32.add ${get('out')} (i32.mul (i32.add (i32.mul (i32.add (i32.mul ${get('bi')} ${get('oh')}) ${get('r0')}) ${get('ow')}) ${get('c0')}) ${get('pix')})))
    ${rs.map(([r, s]) => `(local.set $${q(r, s)} (i32.add ${get('base')} (i32.add (i32.mul (i32.const ${r}) ${get('row')}) (i32.mul (i32.const ${s}) ${get('pix')}))))`).join('\n')}
    (local.set $src (i32.mul ${get('t')} ${get('pix')}))
    (if (i32.and (i32.lt_u (i32.add ${get('r0')} (i32.const 3)) ${get('oh')}) (i32.lt_u (i32.add ${get('c0')} (i32.const 3)) ${get('ow')}))
      (then ${channels(false)})
      (else
        ${rs.map(([r, s]) => `(local.set $ok${r}_${s} (i32.and (i32.lt_u (i32.add ${get('r0')} (i32.const ${r})) ${get('oh')}) (i32.lt_u (i32.add ${get('c0')} (i32.const ${s})) ${get('ow')})))`).join('\n')}
        ${channels(true)}))`,
  )})`;
}

/**
 * filter_tiles(g, count, outs): U = G g Gᵀ of a filter [3, 3, count] (count = Cin·Cout, a multiple
 * of 4) at byte offset `g`, position p = 6i + k written to the `count` floats whose byte offset is
 * the p-th i32 at `outs`.
 */
function filterTiles() {
  const g = (j, l) => `g${j}_${l}`;
  const tmp = (p, l) => `s${p}_${l}`;
  const jl = range(3).flatMap((j) => range(3).map((l) => [j, l]));
  const loads = jl.map(([j, l]) => `(local.set $${g(j, l)} (v128.load (i32.add ${get(`a${j}_${l}`)} ${get('c')})))`).join('\n');
  const rows = range(6)
    .flatMap((p) => range(3).map((l) => `(local.set $${tmp(p, l)} ${combination(range(3).map((j) => [G[p][j], g(j, l)]))})`))
    .join('\n');
  const cols = range(6)
    .flatMap((p) =>
      range(6).map(
        (q) => `(v128.store (i32.add ${get(`o${p * 6 + q}`)} ${get('c')}) ${combination(range(3).map((l) => [G[q][l], tmp(p, l)]))})`,
      ),
    )
    .join('\n');
  return `(func (export "filter_tiles") (param $g i32) (param $count i32) (param $outs i32)
  ${i32(['bytes', 'c'])}
  ${i32(range(36).map((p) => `o${p}`))}
  ${i32(jl.map(([j, l]) => `a${j}_${l}`))}
  ${v128(jl.map(([j, l]) => g(j, l)))}
  ${v128(range(6).flatMap((p) => range(3).map((l) => tmp(p, l))))}
  (local.set $bytes (i32.shl ${get('count')} (i32.const 2)))
  ${loadTable('o', 'outs')}
  ${jl.map(([j, l]) => `(local.set $a${j}_${l} (i32.add ${get('g')} (i32.mul (i32.const ${j * 3 + l}) ${get('bytes')})))`).join('\n')}
  ${loop('ch', 'c', get('bytes'), 16, `${loads}\n${rows}\n${cols}`)})`;
}

/** Loops over a map's rows of `c` channels: `perRow(row byte offset)` for rows in [r0, r1). */
const rowsLoop = (label, r0, r1, body) =>
  `(local.set $r ${r0})
   (block $${label}_end (loop $${label}
     (br_if $${label}_end (i32.ge_u ${get('r')} ${r1}))
     (local.set $row (i32.add ${get('x')} (i32.mul ${get('r')} ${get('bytes')})))
     ${body}
     (local.set $r (i32.add ${get('r')} (i32.const 1)))
     (br $${label})))`;
/** Rows summed in float32 before their sum is added to the total (bounds the rounding of long sums). */
const SUM_BLOCK = 64;

/**
 * channel_sums(x, rows, c, mean, out, tmp): out[j] = Σ_r x[r, j] (mean = 0), or Σ_r (x[r, j] −
 * mean[j])² (mean ≠ 0: the byte offset of c floats), over a map [rows, c] at byte offset x; c a
 * multiple of 4, tmp c floats of scratch. Summed over blocks of SUM_BLOCK rows, then the blocks.
 */
function channelSums() {
  const each = (body) => loop('ch', 'j', get('bytes'), 16, body);
  const add = (centred) =>
    centred
      ? `(local.set $v (f32x4.sub (v128.load (i32.add ${get('row')} ${get('j')})) (v128.load (i32.add ${get('mean')} ${get('j')}))))
         (v128.store (i32.add ${get('tmp')} ${get('j')}) (f32x4.add (v128.load (i32.add ${get('tmp')} ${get('j')})) (f32x4.mul ${get('v')} ${get('v')})))`
      : `(v128.store (i32.add ${get('tmp')} ${get('j')}) (f32x4.add (v128.load (i32.add ${get('tmp')} ${get('j')})) (v128.load (i32.add ${get('row')} ${get('j')}))))`;
  const blocks = (centred) =>
    loop(
      'blocks' + (centred ? 'c' : 'p'),
      'b0',
      get('rows'),
      SUM_BLOCK,
      `${each(`(v128.store (i32.add ${get('tmp')} ${get('j')}) (v128.const i32x4 0 0 0 0))`)}
       (local.set $b1 (select (i32.add ${get('b0')} (i32.const ${SUM_BLOCK})) ${get('rows')} (i32.lt_u (i32.add ${get('b0')} (i32.const ${SUM_BLOCK})) ${get('rows')})))
       ${rowsLoop('rows' + (centred ? 'c' : 'p'), get('b0'), get('b1'), each(add(centred)))}
       ${each(`(v128.store (i32.add ${get('out')} ${get('j')}) (f32x4.add (v128.load (i32.add ${get('out')} ${get('j')})) (v128.load (i32.add ${get('tmp')} ${get('j')}))))`)}`,
    );
  return `(func (export "channel_sums") (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $out i32) (param $tmp i32)
  ${i32(['bytes', 'j', 'r', 'row', 'b0', 'b1'])} ${v128(['v'])}
  (local.set $bytes (i32.shl ${get('c')} (i32.const 2)))
  ${each(`(v128.store (i32.add ${get('out')} ${get('j')}) (v128.const i32x4 0 0 0 0))`)}
  (if (i32.eqz ${get('mean')}) (then ${blocks(false)}) (else ${blocks(true)})))`;
}

/**
 * scale_shift(x, y, rows, c, m, s, t): y[r, j] = (x[r, j] − m[j])·s[j] + t[j] over maps [rows, c]
 * at byte offsets x and y (y may be x); m, s and t c floats each; c a multiple of 4.
 */
function scaleShift() {
  const at = (base) => `(v128.load (i32.add ${get(base)} ${get('j')}))`;
  const body = `(v128.store (i32.add ${get('out')} ${get('j')}) (f32x4.add (f32x4.mul (f32x4.sub ${at('row')} ${at('m')}) ${at('s')}) ${at('t')}))`;
  return `(func (export "scale_shift") (param $x i32) (param $y i32) (param $rows i32) (param $c i32) (param $m i32) (param $s i32) (param $t i32)
  ${i32(['bytes', 'j', 'r', 'row', 'out'])}
  (local.set $bytes (i32.shl ${get('c')} (i32.const 2)))
  ${rowsLoop('rows', '(i32.const 0)', get('rows'), `(local.set $out (i32.add ${get('y')} (i32.mul ${get('r')} ${get('bytes')})))\n${loop('ch', 'j', get('bytes'), 16, body)}`)})`;
}

/**
 * prelu(x, y, rows, c, a): y[r, j] = x[r, j] < 0 ? a[j]·x[r, j] : x[r, j] (tfjs' rule), over maps
 * [rows, c] at byte offsets x and y; a c floats; c a multiple of 4.
 */
function prelu() {
  const body = `(local.set $v (v128.load (i32.add ${get('row')} ${get('j')})))
    (v128.store (i32.add ${get('out')} ${get('j')})
      (v128.bitselect (f32x4.mul ${get('v')} (v128.load (i32.add ${get('a')} ${get('j')}))) ${get('v')} (f32x4.lt ${get('v')} (v128.const i32x4 0 0 0 0))))`;
  return `(func (export "prelu") (param $x i32) (param $y i32) (param $rows i32) (param $c i32) (param $a i32)
  ${i32(['bytes', 'j', 'r', 'row', 'out'])} ${v128(['v'])}
  (local.set $bytes (i32.shl ${get('c')} (i32.const 2)))
  ${rowsLoop(
    'rows',
    '(i32.const 0)',
    get('rows'),
    `(local.set $out (i32.add ${get('y')} (i32.mul ${get('r')} ${get('bytes')})))
${loop('ch', 'j', get('bytes'), 16, body)}`,
  )})`;
}

/**
 * batch_rows(a, b, out, batch, m, k, n): out[i] = a[i]·b[i] for each of `batch` products of a few
 * rows, a [batch, m, k] and b [batch, k, n] at byte offsets a and b, out [batch, m, n]: each output
 * row the sum of b[i]'s rows weighted by a row of a[i]; n a multiple of 4.
 */
function batchRows() {
  const at = (base) => `(v128.load (i32.add ${get(base)} ${get('j')}))`;
  return `(func (export "batch_rows") (param $a i32) (param $b i32) (param $out i32) (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
  ${i32(['i', 'r', 'q', 'j', 'bytes', 'arow', 'brow', 'orow', 'bmat'])} ${v128(['w'])}
  (local.set $bytes (i32.shl ${get('n')} (i32.const 2)))
  ${loop(
    'products',
    'i',
    get('batch'),
    1,
    `(local.set $bmat (i32.add ${get('b')} (i32.mul (i32.mul ${get('i')} ${get('k')}) ${get('bytes')})))
    ${loop(
      'outrows',
      'r',
      get('m'),
      1,
      `(local.set $arow (i32.add ${get('a')} (i32.shl (i32.mul (i32.add (i32.mul ${get('i')} ${get('m')}) ${get('r')}) ${get('k')}) (i32.const 2))))
      (local.set $orow (i32.add ${get('out')} (i32.mul (i32.add (i32.mul ${get('i')} ${get('m')}) ${get('r')}) ${get('bytes')})))
      ${loop('zero', 'j', get('bytes'), 16, `(v128.store (i32.add ${get('orow')} ${get('j')}) (v128.const i32x4 0 0 0 0))`)}
      ${loop(
        'terms',
        'q',
        get('k'),
        1,
        `(local.set $w (v128.load32_splat (i32.add ${get('arow')} (i32.shl ${get('q')} (i32.const 2)))))
        (local.set $brow (i32.add ${get('bmat')} (i32.mul ${get('q')} ${get('bytes')})))
        ${loop('axpy', 'j', get('bytes'), 16, `(v128.store (i32.add ${get('orow')} ${get('j')}) (f32x4.add ${at('orow')} (f32x4.mul ${get('w')} ${at('brow')})))`)}`,
      )}`,
    )}`,
  )})`;
}

/**
 * topk_scan(scores, rows, w, k, best, ids, offset): the running top-k of each row of a score tile
 * [rows, w] at byte offset `scores`, kept in best [rows, k] (float32, descending) and ids [rows, k]
 * (int32: offset + column): four scores compared with the k-th best at once, and only where one
 * beats it, each of them inserted as `knn`'s scan does (strictly larger ahead, so ties keep the
 * lower column).
 */
function topkScan() {
  const lanes = range(4)
    .map(
      (lane) => `(local.set $x (f32x4.extract_lane ${lane} ${get('v')}))
      (if (f32.gt ${get('x')} ${get('thr')}) (then
        (call $insert ${get('bs')} ${get('bi')} ${get('k')} ${get('x')} (i32.add ${get('offset')} (i32.add ${get('c')} (i32.const ${lane}))))
        (local.set $thr (f32.load ${get('last')}))))`,
    )
    .join('\n');
  return `(func $insert (param $bs i32) (param $bi i32) (param $k i32) (param $x f32) (param $id i32)
  (local $j i32) (local $at i32)
  (local.set $j (i32.sub ${get('k')} (i32.const 1)))
  (block $done (loop $shift
    (br_if $done (i32.eqz ${get('j')}))
    (local.set $at (i32.add ${get('bs')} (i32.shl ${get('j')} (i32.const 2))))
    (br_if $done (i32.eqz (f32.lt (f32.load offset=0 (i32.sub ${get('at')} (i32.const 4))) ${get('x')})))
    (f32.store ${get('at')} (f32.load (i32.sub ${get('at')} (i32.const 4))))
    (i32.store (i32.add ${get('bi')} (i32.shl ${get('j')} (i32.const 2))) (i32.load (i32.add ${get('bi')} (i32.shl (i32.sub ${get('j')} (i32.const 1)) (i32.const 2)))))
    (local.set $j (i32.sub ${get('j')} (i32.const 1)))
    (br $shift)))
  (f32.store (i32.add ${get('bs')} (i32.shl ${get('j')} (i32.const 2))) ${get('x')})
  (i32.store (i32.add ${get('bi')} (i32.shl ${get('j')} (i32.const 2))) ${get('id')}))
(func (export "topk_scan") (param $scores i32) (param $rows i32) (param $w i32) (param $k i32) (param $best i32) (param $ids i32) (param $offset i32)
  ${i32(['r', 'c', 'row', 'bs', 'bi', 'last', 'w4'])} (local $thr f32) (local $x f32) ${v128(['v'])}
  (local.set $w4 (i32.and ${get('w')} (i32.const -4)))
  ${loop(
    'rows',
    'r',
    get('rows'),
    1,
    `(local.set $bs (i32.add ${get('best')} (i32.shl (i32.mul ${get('r')} ${get('k')}) (i32.const 2))))
    (local.set $bi (i32.add ${get('ids')} (i32.shl (i32.mul ${get('r')} ${get('k')}) (i32.const 2))))
    (local.set $last (i32.add ${get('bs')} (i32.shl (i32.sub ${get('k')} (i32.const 1)) (i32.const 2))))
    (local.set $thr (f32.load ${get('last')}))
    (local.set $row (i32.add ${get('scores')} (i32.shl (i32.mul ${get('r')} ${get('w')}) (i32.const 2))))
    ${loop(
      'quads',
      'c',
      get('w4'),
      4,
      `(local.set $v (v128.load (i32.add ${get('row')} (i32.shl ${get('c')} (i32.const 2)))))
      (if (v128.any_true (f32x4.gt ${get('v')} (f32x4.splat ${get('thr')}))) (then ${lanes}))`,
    )}
    (local.set $c ${get('w4')})
    (block $tail_end (loop $tail
      (br_if $tail_end (i32.ge_u ${get('c')} ${get('w')}))
      (local.set $x (f32.load (i32.add ${get('row')} (i32.shl ${get('c')} (i32.const 2)))))
      (if (f32.gt ${get('x')} ${get('thr')}) (then
        (call $insert ${get('bs')} ${get('bi')} ${get('k')} ${get('x')} (i32.add ${get('offset')} ${get('c')}))
        (local.set $thr (f32.load ${get('last')}))))
      (local.set $c (i32.add ${get('c')} (i32.const 1)))
      (br $tail)))`,
  )})`;
}

export function simdKernelsWat({ shared }) {
  return `(module
  (import "env" "memory" (memory 1 ${shared ? '65536 shared' : ''}))
  ${filterTiles()}
  ${inputTiles()}
  ${outputTiles()}
  ${channelSums()}
  ${scaleShift()}
  ${prelu()}
  ${batchRows()}
  ${topkScan()})`;
}

const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
const stamp = createHash('sha256').update(source).digest('hex').slice(0, 16);
if (existsSync(outFile) && readFileSync(outFile, 'utf8').includes(`source ${stamp}`)) process.exit(0);

const wabt = await initWabt();
const compile = (shared) => {
  const mod = wabt.parseWat('simd-kernels.wat', simdKernelsWat({ shared }), { simd: true, threads: true });
  try {
    mod.validate({ simd: true, threads: true });
    return Buffer.from(mod.toBinary({}).buffer).toString('base64');
  } finally {
    mod.destroy();
  }
};
mkdirSync(outDir, { recursive: true });
writeFileSync(
  outFile,
  `// Generated by scripts/build-simd-kernels.mjs (source ${stamp}); do not edit.\n` +
    `export const simdKernelsShared = '${compile(true)}';\n` +
    `export const simdKernelsPlain = '${compile(false)}';\n` +
    `export const winogradMatrices = ${JSON.stringify({ BT, G, AT })};\n`,
);
writeFileSync(
  join(outDir, 'simd-kernels.d.ts'),
  `/** The SIMD kernels' WebAssembly module, base64, importing a shared memory (the threaded build). */\n` +
    `export declare const simdKernelsShared: string;\n` +
    `/** The same module importing a memory that is not shared. */\n` +
    `export declare const simdKernelsPlain: string;\n` +
    `/** Bᵀ [6, 6], G [6, 3] and Aᵀ [4, 6] of Winograd's F(4×4, 3×3), as the kernels were written from them. */\n` +
    `export declare const winogradMatrices: { BT: number[][]; G: number[][]; AT: number[][] };\n`,
);
console.log(`build-simd-kernels: wrote ${outFile}`);
