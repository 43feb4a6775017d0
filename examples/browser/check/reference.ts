/**
 * Node's references for the page's results: the same prepared images (and masks, and controls)
 * stylized in Node on wasm with the same model, twice: with Node's own neighbour searches, and
 * rendering the page's neighbour graphs (every computation compared on one graph); then the
 * slider's strengths restyled on both.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tpfr/core';
import { toModelRange, type TpfrModel } from '@tpfr/models';
import { differingRows } from '../src/graph-diff.js';
import { stylizeJob, type JobControls, type JobResult, type Pixels } from '../src/job.js';

/** The parts of a page result Node needs. */
export type PageResult = Pick<JobResult, 'content' | 'exemplars' | 'masks' | 'controls' | 'graph' | 'latent'>;

/** What Node computed for a page result. */
export interface NodeReference {
  /** Node's result with its own neighbour searches. */
  ownGraph: JobResult;
  /** Node's result rendering the page's neighbour graphs. */
  pageGraph: JobResult;
  /** Per strength asked, the restyled result on the page's graphs (−1…1). */
  restyled: Map<number, Float32Array>;
  /** Per style taking part, per stage: the rows whose neighbour set differs between the page and Node (order aside). */
  differingRows: number[][][];
  /**
   * Over the stage-1 rows whose sets differ: the largest relative gap, in float64 on Node's
   * codes, between the k-th distances of the page's set and Node's set (a near-tie: ≈ 1e-6).
   * NaN where it cannot be computed (the styles' colours matched to the content first).
   */
  stage1Gap: number;
}

/** Runs `fn` with a model on Node's wasm backend, then frees it and restores the backend. */
export async function onWasm<T>(load: () => Promise<TpfrModel>, fn: (model: TpfrModel) => Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await initBackend('wasm');
  const model = await load();
  try {
    return await fn(model);
  } finally {
    model.dispose();
    if (previous && previous !== 'wasm') await tf.setBackend(previous);
  }
}

const levels = (p: Pixels) =>
  tf.tidy(() => tf.expandDims(toModelRange(tf.tensor3d(Int32Array.from(p.data), [p.height, p.width, 3], 'int32')), 0) as tf.Tensor4D);

/** Stage 1's largest relative gap between the page's and Node's k-th distances, over the rows that differ. */
async function stage1Gap(model: TpfrModel, result: PageResult, own: JobResult, rows: number[][][]): Promise<number> {
  if (rows.every((r) => r[0].length === 0)) return 0;
  if (result.controls.preserveColor === 'histogram') return Number.NaN;
  const x = levels(result.content);
  const zc = model.codes(x);
  const q = Float64Array.from(await zc.content.data());
  const d = zc.content.shape[3];
  tf.dispose([x, zc.content, zc.style]);
  const k = result.latent.k;
  let gap = 0;
  for (const [s, style] of result.graph.styles.entries()) {
    if (rows[s][0].length === 0) continue;
    const pool = tf.concat(
      style.images.map((i) => levels(result.exemplars[i])),
      0,
    );
    const zs = model.codes(pool);
    const pc = Float64Array.from(await zs.content.data());
    tf.dispose([pool, zs.content, zs.style]);
    const dist = (r: number, j: number) => {
      let sum = 0;
      for (let c = 0; c < d; c++) sum += (q[r * d + c] - pc[j * d + c]) ** 2;
      return sum;
    };
    for (const r of rows[s][0]) {
      const kth = (ix: Int32Array) => Math.max(...Array.from(ix.subarray(r * k, r * k + k), (j) => dist(r, j)));
      const [a, b] = [kth(style.stages[0].indices), kth(own.graph.styles[s].stages[0].indices)];
      gap = Math.max(gap, Math.abs(a - b) / Math.max(b, 1e-12));
    }
  }
  return gap;
}

/**
 * Stylizes the page's prepared images in Node on wasm with the page's controls, with Node's own
 * searches and with the page's graphs, restyles the latter at `strengths`, and measures where the
 * graphs differ.
 */
export async function nodeReference(model: TpfrModel, result: PageResult, strengths: number[] = []): Promise<NodeReference> {
  const controls: JobControls = { ...result.controls, ...(result.masks ? { masks: result.masks } : {}) };
  const opts = { size: Math.min(result.content.width, result.content.height), prepared: true, controls };
  const own = await stylizeJob(model, result.content, result.exemplars, opts);
  own.dispose();
  const neighbours = result.graph.styles.map((s) => s.stages.map((st) => st.indices));
  const replay = await stylizeJob(model, result.content, result.exemplars, { ...opts, neighbours });
  const restyled = new Map<number, Float32Array>();
  try {
    for (const s of strengths) restyled.set(s, (await replay.restyle(s)).output);
  } finally {
    replay.dispose();
  }
  const k = result.latent.k;
  const rows = result.graph.styles.map((style, s) =>
    style.stages.map((st, i) => differingRows(st.indices, own.result.graph.styles[s]?.stages[i]?.indices ?? new Int32Array(0), k)),
  );
  return {
    ownGraph: own.result,
    pageGraph: replay.result,
    restyled,
    differingRows: rows,
    stage1Gap: await stage1Gap(model, result, own.result, rows),
  };
}
