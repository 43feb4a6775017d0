/**
 * `pnpm bench:knn [--quick] [--sizes 4096,16384]`: exact streaming k-NN on wasm against the
 * backend's plain matMul for the same [N,d]·[d,M] product (N = M, d = 256, k = 5).
 *
 * Each size runs in a child process of its own, so its peak memory (the process's max RSS, which
 * includes the wasm heap that never shrinks) is not hidden by an earlier size's high-water mark.
 * Prints a table row and one JSON line per size; the last JSON line is the largest size.
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (record.ts); stdout is unchanged.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, knn, knnTileSizes } from '../../packages/core/src/index.ts';
import { childJsonLines } from './child.ts';
import { printLine } from './record.ts';

const D = 256;
const K = 5;
const MiB = 1024 * 1024;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function maxRssMiB(): number {
  return (process.resourceUsage().maxRSS * 1024) / MiB;
}

async function child(n: number): Promise<void> {
  await initBackend('wasm');
  const q = tf.randomNormal([n, D], 0, 1, 'float32', 1) as tf.Tensor2D;
  const p = tf.randomNormal([n, D], 0, 1, 'float32', 2) as tf.Tensor2D;
  // Warm up both paths on a small problem.
  tf.dispose(Object.values(knn(tf.slice(q, [0, 0], [64, D]), tf.slice(p, [0, 0], [256, D]), K)));
  tf.tidy(() => void tf.matMul(tf.slice(q, [0, 0], [64, D]), tf.slice(p, [0, 0], [256, D]), false, true).dataSync());
  (globalThis as { gc?: () => void }).gc?.();

  const baseline = maxRssMiB();
  const t0 = performance.now();
  const res = knn(q, p, K, { checkFinite: false });
  await res.indices.data();
  const msKnn = performance.now() - t0;
  const peakExtraMiB = maxRssMiB() - baseline;
  process.stderr.write(`knn N=${n}: ${Math.round(msKnn)} ms, peak extra ${peakExtraMiB.toFixed(1)} MiB; timing matMul...\n`);
  tf.dispose([res.indices, res.distances]);

  // The plain matMul of the same product, in the same row tiles (the whole [N, M] result does
  // not fit a wasm heap at N = 36864), with B transposed once as knn does.
  const { queryTile } = knnTileSizes(n, n);
  const pT = tf.transpose(p) as tf.Tensor2D;
  const t1 = performance.now();
  for (let i0 = 0; i0 < n; i0 += queryTile) {
    const rows = Math.min(queryTile, n - i0);
    // wasm runs each kernel synchronously: the product is complete when matMul returns.
    tf.tidy(() => {
      tf.matMul(tf.slice(q, [i0, 0], [rows, D]), pT);
    });
  }
  const msMatmul = performance.now() - t1;
  pT.dispose();
  const line = {
    bench: 'knn',
    N: n,
    M: n,
    d: D,
    k: K,
    backend: tf.getBackend(),
    queryTile,
    peakExtraMiB: +peakExtraMiB.toFixed(1),
    msKnn: Math.round(msKnn),
    msMatmul: Math.round(msMatmul),
    ratio: +(msKnn / msMatmul).toFixed(3),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const childN = arg('--child');
  if (childN) return child(Number(childN));
  const sizes = arg('--sizes')?.split(',').map(Number) ?? (process.argv.includes('--quick') ? [4096] : [4096, 16384, 36864]);
  const self = fileURLToPath(import.meta.url);
  console.log(`knn benchmark: N = M, d = ${D}, k = ${K}, wasm backend; matMul = same product, same tiles`);
  console.log('N\tknn ms\tmatMul ms\tratio\tpeak extra MiB');
  const lines: string[] = [];
  for (const n of sizes) {
    const line = childJsonLines(self, ['--child', String(n)], { nodeFlags: ['--expose-gc'] }).pop()!;
    const r = JSON.parse(line);
    console.log(`${r.N}\t${r.msKnn}\t${r.msMatmul}\t\t${r.ratio}\t${r.peakExtraMiB}`);
    lines.push(line);
  }
  for (const l of lines) printLine(l);
}

await main();
