/**
 * The work (GFLOP) of each part of a `stylize` call, counted from the model's layers (flops.ts),
 * the rate each part reached (GFLOP/s, from `bench:stylize`'s part times), and the rate of the
 * backend's plain 3×3 convolution on this machine, measured in the same run: how close each part
 * comes to what the backend can do here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TpfrModel } from '../../packages/models/src/index.ts';
import { gflop, modelFlops } from './flops.ts';

/**
 * The parts of `bench:stylize` that the work is counted for. A call encodes its content and its
 * exemplars in one batch where they have the same size ('encode content and exemplars'), else
 * one after the other.
 */
export const WORK_PARTS = [
  'encode content and exemplars',
  'encode content',
  'encode exemplars',
  'neighbour search',
  'attention and transforms',
  'decode',
] as const;
export type WorkPart = (typeof WORK_PARTS)[number];

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * GFLOP of each part of `stylize` of a `size`² content with one `styleSize`² exemplar (no
 * pipeline): the encoder on each image, the TPFR layer at their latent sizes, the main decoder.
 */
export function stylizeWork(model: TpfrModel, size: number, styleSize: number): Record<WorkPart, number> {
  const { multiple, content, style } = model.widths;
  const [h, hs] = [Math.ceil(size / multiple), Math.ceil(styleSize / multiple)];
  const layer = modelFlops(model.parts().recombination, [
    [1, h, h, content],
    [1, h, h, style],
    [1, 1, hs, hs, content],
    [1, 1, hs, hs, style],
  ]);
  const encodeContent = gflop(modelFlops(model.encoder, [[1, h * multiple, h * multiple, 3]]));
  const encodeExemplars = gflop(modelFlops(model.encoder, [[1, hs * multiple, hs * multiple, 3]]));
  return {
    'encode content and exemplars': round3(encodeContent + encodeExemplars),
    'encode content': round3(encodeContent),
    'encode exemplars': round3(encodeExemplars),
    'neighbour search': round3(gflop(layer, 'search')),
    'attention and transforms': round3(gflop(layer, 'attention')),
    decode: round3(gflop(modelFlops(model.mainDecoder, [[1, h, h, content + style]]))),
  };
}

/** The milliseconds of each work part, from `bench:stylize`'s timed parts (the stages summed). */
export function workPartMs(parts: Record<string, number>): Record<WorkPart, number> {
  const sum = (test: (k: string) => boolean) => Object.entries(parts).reduce((n, [k, v]) => (test(k) ? n + v : n), 0);
  return {
    'encode content and exemplars': parts['encode content and exemplars'] ?? 0,
    'encode content': parts['encode content'] ?? 0,
    'encode exemplars': parts['encode exemplars'] ?? 0,
    'neighbour search': sum((k) => /^stage \d: neighbour search$/.test(k)),
    'attention and transforms': sum((k) => /^stage \d: attention( transforms)?$/.test(k)),
    decode: parts.decode ?? 0,
  };
}

/** The work of the parts a call ran (the encoding's one batch, or its two calls). */
export function ranWork(work: Record<WorkPart, number>, ms: Record<WorkPart, number>): Partial<Record<WorkPart, number>> {
  return Object.fromEntries(WORK_PARTS.filter((p) => ms[p] > 0 || !p.startsWith('encode')).map((p) => [p, work[p]]));
}

/** GFLOP/s of each part (null where it took no measurable time). */
export function workRates(work: Partial<Record<WorkPart, number>>, ms: Record<WorkPart, number>): Partial<Record<WorkPart, number | null>> {
  return Object.fromEntries(
    WORK_PARTS.filter((p) => work[p] !== undefined).map((p) => [p, ms[p] > 0 ? Math.round((work[p]! / ms[p]) * 1000 * 10) / 10 : null]),
  );
}

/**
 * The best rate of a plain 3×3 convolution `[1, 64, 64, 256] → 256` ('same' padding) on the
 * current backend: `runs` timed calls after one warm-up, the fastest, in GFLOP/s (its work counted
 * as a direct convolution, 2·64·64·9·256·256, whatever algorithm the backend runs).
 */
export async function bestConv3x3Gflops(runs = 5): Promise<number> {
  const x = tf.randomNormal([1, 64, 64, 256], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 256, 256], 0, 0.05, 'float32', 2) as tf.Tensor4D;
  const flop = 2 * 64 * 64 * 9 * 256 * 256;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const y = tf.conv2d(x, w, 1, 'same');
    await y.data();
    const ms = performance.now() - t0;
    y.dispose();
    if (i > 0) best = Math.min(best, ms);
  }
  tf.dispose([x, w]);
  return Math.round((flop / best / 1e6) * 10) / 10;
}
