/**
 * The page's stylization of one image, through the library's frame stylizer (`createStylizer`):
 * the same code runs in the page's worker (any backend) and in the Node check that computes the
 * reference on wasm.
 *
 * Steps: the content's shorter side is resized to the working size S (Pillow's bicubic, as the
 * authors' pipeline) and its sides cropped to the network's multiple; every exemplar is resized
 * to S and centre-cropped to S × S; masks follow the content's geometry. A stylizer with the
 * controls (strength, style weights, colour, regions) encodes the exemplars, then stylizes the
 * content with `inspect` (every style's neighbour graph kept) and no coherence (a still image is
 * exactly `stylize`'s result). The job keeps the stylizer: {@link StillJob.restyle} decodes the
 * same codes at another strength, with no encoding and no search (the page's slider).
 */
import * as tf from '@tensorflow/tfjs-core';
import { collectTimings } from '@tpfr/core/utils';
import { createStylizer, type ColorPreservation, type Stylizer, type TpfrModel } from '@tpfr/models';
import { centerCrop, centerCropOffsets, resizeShorterSide, shorterSideSize } from '@tpfr/models/pipeline';
import type { JobGraph, StyleGraph } from './graph.js';
import type { MaskPixels, Pixels } from './pixels.js';
import type { LatentGeometry } from './pool-position.js';

export type { MaskPixels, Pixels } from './pixels.js';
export type { JobGraph, StageAttention, StyleGraph } from './graph.js';
export { poolPosition } from './pool-position.js';

/** The controls of a stylization (see `StylizeOptions` of `@tpfr/models`). */
export interface JobControls {
  /** 0 (the content's reconstruction) … 1 (the full stylization; default). */
  strength?: number;
  /** One weight per style image: each style recombines on its own and the codes are mixed. */
  styleWeights?: number[];
  preserveColor?: ColorPreservation;
  /** One mask per style image, at any size (the content's, as painted): where each style applies. */
  masks?: MaskPixels[];
}

/** What a stylization returns. */
export interface JobResult {
  /** The result `[H, W, 3]` on the model's −1…1 scale (clipped). */
  output: Float32Array;
  width: number;
  height: number;
  /** The latent map `[h, w]` and its exemplar maps. */
  latent: LatentGeometry;
  /** Every style's neighbours and weights per stage, and how the styles were mixed. */
  graph: JobGraph;
  /** The exemplars as the network saw them: S × S, 8-bit RGB. */
  exemplars: Pixels[];
  /** The content as the network saw it, 8-bit RGB. */
  content: Pixels;
  /** The masks as the network got them (the content's size), when regions were painted. */
  masks?: MaskPixels[];
  /** The controls it ran with (masks aside). */
  controls: Omit<JobControls, 'masks'>;
  /** Milliseconds per step ({@link JOB_STEPS}), and the library's own parts (`part: …`). */
  timings: Record<string, number>;
}

/** A still image's stylization, kept to restyle it. */
export interface StillJob {
  readonly result: JobResult;
  /** The same codes decoded at another strength: the result `[H, W, 3]` (−1…1) and the milliseconds it took. */
  restyle(strength: number): Promise<{ output: Float32Array; ms: number }>;
  /** Frees the stylizer (the exemplars' codes, the last frame's codes and graphs). */
  dispose(): void;
}

/** Steps reported to `onProgress`, in order. */
export const JOB_STEPS = ['prepare', 'encode exemplars', 'encode, recombine and decode', 'read back'] as const;

/** Options of {@link stylizeJob}. */
export interface JobOptions {
  /** Working size S: the content's shorter side and the exemplars' side (default 256). */
  size?: number;
  controls?: JobControls;
  /** Called before each step with its index in {@link JOB_STEPS}; may wait (e.g. for a frame). */
  onProgress?: (step: number, name: (typeof JOB_STEPS)[number]) => void | Promise<void>;
  /**
   * Neighbour graphs to render instead of searching: per style taking part, each stage's indices
   * as a result's `graph` lists them (`StylizeFrameOptions.neighbours` of the stylizer). The check
   * compares backends on one graph this way: near-ties of distances may pick other neighbours on
   * another backend.
   */
  neighbours?: Int32Array[][];
  /** The images (and masks) are already prepared (a result's `content`, `exemplars`, `masks`): no resize or crop. */
  prepared?: boolean;
}

/** The content `[H, W, 3]` as 8-bit levels (int32). */
export function levels(p: Pixels): tf.Tensor3D {
  if (p.data.length !== p.width * p.height * 3)
    throw new Error(`stylizeJob: expected ${p.width}×${p.height}×3 = ${p.width * p.height * 3} bytes of RGB, received ${p.data.length}`);
  return tf.tensor3d(Int32Array.from(p.data), [p.height, p.width, 3], 'int32');
}

function maskLevels(m: MaskPixels, i: number): tf.Tensor3D {
  if (m.data.length !== m.width * m.height)
    throw new Error(
      `stylizeJob: expected mask ${i + 1} of ${m.width}×${m.height} = ${m.width * m.height} levels, received ${m.data.length}`,
    );
  return tf.tensor3d(Int32Array.from(m.data), [m.height, m.width, 1], 'int32');
}

async function toPixels(x: tf.Tensor3D): Promise<Pixels> {
  const [height, width] = x.shape;
  return { width, height, data: Uint8Array.from(await x.data()) };
}

/** A mask `[h, w, 1]` read back. */
async function toMask(x: tf.Tensor3D): Promise<MaskPixels> {
  const [height, width] = x.shape;
  return { width, height, data: Uint8Array.from(await x.data()) };
}

/** A result 0–255 as the model's −1…1 scale. */
function fromModelScale(y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.div(y, 127.5), 1));
}

/** Waits until the backend has run every kernel queued so far (GPU queues run in order). */
async function settle(): Promise<void> {
  const probe = tf.tidy(() => tf.add(tf.zeros([1]), 1));
  await probe.data();
  probe.dispose();
}

/**
 * The content resized (shorter side `size`) and cropped to the network's multiple, each exemplar
 * resized and centre-cropped to `size × size`, and each mask resized (bilinear) and cropped as the
 * content is; 8-bit levels (int32), new tensors.
 */
export function prepareImages(
  model: TpfrModel,
  content: Pixels,
  styles: Pixels[],
  size: number,
  masks: MaskPixels[] = [],
): { content: tf.Tensor3D; exemplars: tf.Tensor3D[]; masks: tf.Tensor3D[] } {
  if (styles.length === 0) throw new Error('stylizeJob: expected at least one style image, received none');
  const m = model.widths.multiple;
  if (!Number.isInteger(size) || size < model.widths.minSide)
    throw new Error(`stylizeJob: expected a working size ≥ ${model.widths.minSide}, received ${size}`);
  return tf.tidy(() => {
    const c = resizeShorterSide(levels(content), size);
    const [h, w] = c.shape;
    const crop: [number, number] = [h - (h % m), w - (w % m)];
    const cropped = centerCrop(c, crop);
    const exemplars = styles.map((s) => centerCrop(resizeShorterSide(levels(s), size), size - (size % m)));
    const [top, left] = centerCropOffsets([h, w], crop);
    const sides = shorterSideSize([content.height, content.width], size);
    const prepared = masks.map((mask, i) =>
      tf.cast(
        tf.round(tf.slice(tf.image.resizeBilinear(tf.cast(maskLevels(mask, i), 'float32'), sides, true), [top, left, 0], [...crop, 1])),
        'int32',
      ),
    ) as tf.Tensor3D[];
    return { content: cropped, exemplars, masks: prepared };
  });
}

/** The stylizer's options for the controls (per style when weights or masks are given, else one pool). */
function stylizerInputs(
  exemplars: tf.Tensor3D[],
  masks: tf.Tensor3D[],
  controls: JobControls,
): { styles: tf.Tensor3D[] | tf.Tensor3D[][]; perStyle: boolean } {
  const perStyle = controls.styleWeights !== undefined || masks.length > 0;
  return { styles: perStyle ? exemplars.map((e) => [e]) : exemplars, perStyle };
}

/** The graph of a stylizer's last frame, read back (`[h, w, k]` per stage and style). */
async function readGraph(stylizer: Stylizer, images: number, perStyle: boolean): Promise<JobGraph> {
  const g = stylizer.lastGraph;
  if (!g) throw new Error('stylizeJob: the stylizer kept no graph (expected inspect: true)');
  const styles: StyleGraph[] = [];
  for (const { style, graph } of g.styles) {
    const stages = [];
    for (let s = 0; s < graph.indices.length; s++)
      stages.push({ indices: (await graph.indices[s].data()) as Int32Array, weights: (await graph.weights[s].data()) as Float32Array });
    styles.push({ style, images: perStyle ? [style] : Array.from({ length: images }, (_, i) => i), stages });
  }
  const mix = g.mix === null ? null : Array.isArray(g.mix) ? g.mix : { data: (await g.mix.data()) as Float32Array, styles: g.mix.shape[0] };
  return { styles, mix };
}

/**
 * Stylizes `content` with the exemplars `styles` and the controls, keeping the stylizer to
 * restyle. Equal to `stylize(model, content, exemplars, controls)` of the prepared images (see
 * {@link prepareImages}).
 */
export async function stylizeJob(model: TpfrModel, content: Pixels, styles: Pixels[], opts: JobOptions = {}): Promise<StillJob> {
  const size = opts.size ?? 256;
  const controls = opts.controls ?? {};
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const step = async (i: number) => {
    if (i > 0) {
      await settle();
      timings[JOB_STEPS[i - 1]] = performance.now() - t0;
    }
    if (i < JOB_STEPS.length) await opts.onProgress?.(i, JOB_STEPS[i]);
    t0 = performance.now();
  };
  const owned: tf.Tensor[] = [];
  let stylizer: Stylizer | undefined;
  try {
    await step(0);
    const prepared = opts.prepared
      ? { content: levels(content), exemplars: styles.map(levels), masks: (controls.masks ?? []).map(maskLevels) }
      : prepareImages(model, content, styles, size, controls.masks);
    owned.push(prepared.content, ...prepared.exemplars, ...prepared.masks);
    await step(1);
    const { styles: input, perStyle } = stylizerInputs(prepared.exemplars, prepared.masks, controls);
    stylizer = createStylizer(model, input, {
      range: '0-255',
      strength: controls.strength,
      styleWeights: controls.styleWeights,
      preserveColor: controls.preserveColor,
      masks: prepared.masks.length > 0 ? prepared.masks : undefined,
      inspect: true,
      coherence: false,
    });
    await step(2);
    const replay = opts.neighbours?.map((stages) =>
      stages.map((ix) => {
        const [h, w] = [prepared.content.shape[0] / model.widths.multiple, prepared.content.shape[1] / model.widths.multiple];
        const t = tf.tensor4d(ix, [1, h, w, ix.length / (h * w)], 'int32');
        owned.push(t);
        return t;
      }),
    );
    const s = stylizer;
    const { result: image, parts } = await collectTimings(() => s.stylize(prepared.content, { neighbours: replay }));
    const unit = fromModelScale(image);
    image.dispose();
    await step(3);
    const output = (await unit.data()) as Float32Array;
    unit.dispose();
    const graph = await readGraph(stylizer, styles.length, perStyle);
    for (const [part, ms] of Object.entries(parts)) timings[`part: ${part}`] = ms;
    await step(4);
    const [height, width] = prepared.content.shape;
    const first = graph.styles[0].stages[0];
    const scale = model.widths.multiple;
    const result: JobResult = {
      output,
      width,
      height,
      latent: {
        height: height / scale,
        width: width / scale,
        exemplars: styles.length,
        exemplarHeight: prepared.exemplars[0].shape[0] / scale,
        exemplarWidth: prepared.exemplars[0].shape[1] / scale,
        k: first.indices.length / ((height / scale) * (width / scale)),
        scale,
      },
      graph,
      exemplars: await Promise.all(prepared.exemplars.map(toPixels)),
      content: await toPixels(prepared.content),
      ...(prepared.masks.length > 0 ? { masks: await Promise.all(prepared.masks.map(toMask)) } : {}),
      controls: { strength: controls.strength, styleWeights: controls.styleWeights, preserveColor: controls.preserveColor },
      timings,
    };
    const kept = stylizer;
    stylizer = undefined;
    return {
      result,
      restyle: async (strength: number) => {
        const t = performance.now();
        const y = kept.restyle(strength);
        const unitY = fromModelScale(y);
        y.dispose();
        const out = (await unitY.data()) as Float32Array;
        unitY.dispose();
        return { output: out, ms: performance.now() - t };
      },
      dispose: () => kept.dispose(),
    };
  } finally {
    stylizer?.dispose();
    tf.dispose(owned);
  }
}
