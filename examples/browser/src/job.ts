/**
 * The page's stylization, as plain functions on tfjs tensors: the same code runs in the page's
 * worker (any backend) and in the Node test that computes the reference on wasm.
 *
 * Steps: the content's shorter side is resized to the working size S (Pillow's bicubic, as the
 * authors' pipeline) and its sides cropped to the network's multiple; every exemplar is resized
 * to S and centre-cropped to S × S, so the exemplars form one pool of equal maps. Then the
 * network runs stage by stage (encodings, the TPFR layer with its attention returned, the
 * decoder), reporting progress between stages.
 */
import * as tf from '@tensorflow/tfjs-core';
import { peerRecombination, stackPeers } from '@tpfr/layers';
import { toModelRange, type TpfrModel } from '@tpfr/models';
import { centerCrop, resizeShorterSide } from '@tpfr/models/pipeline';
import type { LatentGeometry } from './pool-position.js';

/** 8-bit RGB pixels, row-major `[height, width, 3]`. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray | number[];
}

export { poolPosition } from './pool-position.js';

/** For each stage, the k neighbours of every result pixel of the latent map. */
export interface StageAttention {
  /** `[h, w, k]` row-major: rows of the exemplar pool (exemplar, then row, then column). */
  indices: Int32Array;
  /** `[h, w, k]`: their attention weights (they sum to 1 over k). */
  weights: Float32Array;
}

/** What {@link stylizeJob} returns. */
export interface JobResult {
  /** The result `[H, W, 3]` on the model's −1…1 scale, unclipped. */
  output: Float32Array;
  width: number;
  height: number;
  /** The latent map `[h, w]` and its exemplar maps `[P, h′, w′]`. */
  latent: LatentGeometry;
  /** Stage 1 (style recombined on the content graph) and stage 2 (content on the new style). */
  attention: [StageAttention, StageAttention];
  /** The exemplars as the network saw them: S × S, 8-bit RGB. */
  exemplars: Pixels[];
  /** The content as the network saw it, 8-bit RGB. */
  content: Pixels;
  /** Milliseconds per step. */
  timings: Record<string, number>;
}

/** Steps reported to `onProgress`, in order. */
export const JOB_STEPS = ['prepare', 'encode content', 'encode exemplars', 'recombine (stage 1 + 2)', 'decode'] as const;

/** Options of {@link stylizeJob}. */
export interface JobOptions {
  /** Working size S: the content's shorter side and the exemplars' side (default 256). */
  size?: number;
  /** Called before each step with its index in {@link JOB_STEPS}; may wait (e.g. for a frame). */
  onProgress?: (step: number, name: (typeof JOB_STEPS)[number]) => void | Promise<void>;
  /**
   * A neighbour graph to render instead of searching: both stages' indices as a result's
   * `attention` lists them (the layer's `neighbours` call argument). The check compares backends
   * on one graph this way: near-ties of distances may pick other neighbours on another backend.
   */
  neighbours?: [Int32Array, Int32Array];
  /** The images are already prepared (a result's `content` and `exemplars`): skip the resize and crop. */
  prepared?: boolean;
}

function levels(p: Pixels): tf.Tensor3D {
  if (p.data.length !== p.width * p.height * 3)
    throw new Error(`stylizeJob: expected ${p.width}×${p.height}×3 = ${p.width * p.height * 3} bytes of RGB, received ${p.data.length}`);
  return tf.tensor3d(Int32Array.from(p.data), [p.height, p.width, 3], 'int32');
}

async function toPixels(x: tf.Tensor3D): Promise<Pixels> {
  const [height, width] = x.shape;
  return { width, height, data: Uint8Array.from(await x.data()) };
}

/**
 * The content resized (shorter side `size`) and cropped to the network's multiple, and each
 * exemplar resized and centre-cropped to `size × size`; 8-bit levels `[H, W, 3]` (int32).
 */
export function prepareImages(
  model: TpfrModel,
  content: Pixels,
  styles: Pixels[],
  size: number,
): { content: tf.Tensor3D; exemplars: tf.Tensor3D[] } {
  if (styles.length === 0) throw new Error('stylizeJob: expected at least one style image, received none');
  const m = model.widths.multiple;
  if (!Number.isInteger(size) || size < model.widths.minSide)
    throw new Error(`stylizeJob: expected a working size ≥ ${model.widths.minSide}, received ${size}`);
  return tf.tidy(() => {
    const c = resizeShorterSide(levels(content), size);
    const [h, w] = c.shape;
    const cropped = centerCrop(c, [h - (h % m), w - (w % m)]);
    const exemplars = styles.map((s) => centerCrop(resizeShorterSide(levels(s), size), size - (size % m)));
    return { content: cropped, exemplars };
  });
}

/**
 * Stylizes `content` with the exemplars `styles`, stage by stage, and returns the result with
 * both stages' neighbours and weights. Equal to `stylize(model, content, exemplars)` of the
 * prepared images (see {@link prepareImages}).
 */
export async function stylizeJob(model: TpfrModel, content: Pixels, styles: Pixels[], opts: JobOptions = {}): Promise<JobResult> {
  const size = opts.size ?? 256;
  const timings: Record<string, number> = {};
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor | tf.Tensor[]>(t: T): T => {
    owned.push(...(Array.isArray(t) ? t : [t]));
    return t;
  };
  let t0 = performance.now();
  const step = async (i: number, done?: tf.Tensor) => {
    if (done) await done.data();
    if (i > 0) timings[JOB_STEPS[i - 1]] = performance.now() - t0;
    if (i < JOB_STEPS.length) await opts.onProgress?.(i, JOB_STEPS[i]);
    t0 = performance.now();
  };
  try {
    await step(0);
    const { content: c8, exemplars: e8 } = opts.prepared
      ? { content: levels(content), exemplars: styles.map(levels) }
      : prepareImages(model, content, styles, size);
    keep([c8, ...e8]);
    const x = keep(tf.tidy(() => tf.expandDims(toModelRange(c8), 0) as tf.Tensor4D));
    const pool = keep(tf.tidy(() => tf.stack(e8.map((e) => toModelRange(e))) as tf.Tensor4D));
    await step(1, pool);
    const zc = model.codes(x);
    keep([zc.content, zc.style]);
    await step(2, zc.style);
    const zs = model.codes(pool);
    keep([zs.content, zs.style]);
    await step(3, zs.style);
    const source = model.recombinationLayer;
    const layer = peerRecombination({ ...(source.getConfig() as object), name: 'inspect', returnAttention: true });
    const inputs = [zc.content, zc.style, keep(stackPeers(zs.content, 1)), keep(stackPeers(zs.style, 1))];
    layer.build(inputs.map((t) => t.shape));
    layer.setWeights(source.getWeights());
    const graph = opts.neighbours?.map((ix) =>
      keep(
        tf.tensor4d(ix, [1, zc.content.shape[1], zc.content.shape[2], ix.length / (zc.content.shape[1] * zc.content.shape[2])], 'int32'),
      ),
    ) as [tf.Tensor, tf.Tensor] | undefined;
    const [cOut, sOut, i1, w1, i2, w2] = keep(layer.apply(inputs, { training: false, neighbours: graph }) as tf.Tensor[]);
    // Applied eagerly, the layer has no graph node and cannot be disposed: free its weights.
    layer.weights.forEach((w) => w.dispose());
    await step(4, w2);
    const image = keep(model.decode({ content: cOut as tf.Tensor4D, style: sOut as tf.Tensor4D }));
    const output = (await image.data()) as Float32Array;
    await step(5);
    const [, h, w] = zc.content.shape;
    const [p, ph, pw] = [pool.shape[0], zs.content.shape[1], zs.content.shape[2]];
    return {
      output,
      width: image.shape[2],
      height: image.shape[1],
      latent: { height: h, width: w, exemplars: p, exemplarHeight: ph, exemplarWidth: pw, k: i1.shape[3]!, scale: model.widths.multiple },
      attention: [
        { indices: (await i1.data()) as Int32Array, weights: (await w1.data()) as Float32Array },
        { indices: (await i2.data()) as Int32Array, weights: (await w2.data()) as Float32Array },
      ],
      exemplars: await Promise.all(e8.map(toPixels)),
      content: await toPixels(c8),
      timings,
    };
  } finally {
    tf.dispose(owned);
  }
}
