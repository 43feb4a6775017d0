/**
 * Latent rows whose k neighbours differ, as sets, between two neighbour graphs `[N, k]` (row-major
 * int32, as a result's `attention[s].indices`). The order within a row does not matter: the
 * attention weighs a set. Graphs of different lengths differ at every row of the longer.
 */
export function differingRows(a: Int32Array, b: Int32Array, k: number): number[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`differingRows: expected k an integer ≥ 1, received ${k}`);
  const n = Math.max(a.length, b.length) / k;
  const out: number[] = [];
  const sorted = (x: Int32Array, r: number) => Array.from(x.subarray(r * k, r * k + k)).sort((p, q) => p - q);
  for (let r = 0; r < n; r++) {
    const [x, y] = [sorted(a, r), sorted(b, r)];
    if (x.length !== y.length || x.some((v, t) => v !== y[t])) out.push(r);
  }
  return out;
}
