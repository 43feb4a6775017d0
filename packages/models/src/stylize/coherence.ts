/**
 * Temporal coherence between frames, as pure functions: which latent pixels are still, and the
 * codes, neighbour graphs and reference input held there from the frame before.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { combineCodes } from '../controls/mix.js';
import type { StoredCodes } from '../inference/run.js';
import type { NeighbourGraph } from '../model/model.js';
import { DEFAULT_COHERENCE, type CoherenceOptions, type StylizerOptions } from './stylizer-types.js';

/** The coherence options, resolved (null: off). */
export function resolveCoherence(fn: string, c: StylizerOptions['coherence']): Required<CoherenceOptions> | null {
  if (c === false) return null;
  const o = { ...DEFAULT_COHERENCE, ...(c === true || c === undefined ? {} : c) };
  for (const key of ['margin', 'stillness'] as const) {
    const v = o[key];
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0))
      throw new ValueError(fn, `coherence.${key} a finite number >= 0`, String(v));
  }
  return o;
}

/**
 * The latent pixels `[B, h, w, 1]` (1 still, 0 moved) whose block of `multiple × multiple` input
 * pixels of `x` differs from `reference`'s (both `[B, H, W, 3]` in [−1, 1]) by at most `stillness`
 * levels of 255 (root mean square over the block and the channels).
 */
export function stillPixels(x: tf.Tensor4D, reference: tf.Tensor4D, multiple: number, stillness: number): tf.Tensor4D {
  return tf.tidy(() => {
    const levels = tf.mul(tf.sub(x, reference), 127.5);
    const ms = tf.mean(tf.avgPool(tf.square(levels) as tf.Tensor4D, multiple, multiple, 'valid'), -1, true);
    return tf.cast(tf.lessEqual(ms, stillness * stillness), 'float32') as tf.Tensor4D;
  });
}

/** `before`'s codes where `still` `[B, h, w, 1]` is 1, `now`'s elsewhere (new codes, band by band for codes in JS memory). */
export function holdCodes(still: tf.Tensor4D, now: StoredCodes, before: StoredCodes, rows: number): StoredCodes {
  return combineCodes([now, before], rows, ([n, b], r0, r1) =>
    tf.tidy(() => {
      // `a·(1 − m) + c·m` with the mask broadcast over the channels: exactly `a` or `c` for finite
      // codes and a mask of 0s and 1s, without materializing the mask per channel (wasm's Tile is slow).
      const m = tf.slice(still, [0, r0, 0, 0], [still.shape[0], r1 - r0, still.shape[2], 1]);
      const rest = tf.sub(1, m);
      const pick = (a: tf.Tensor4D, c: tf.Tensor4D) => tf.add(tf.mul(a, rest), tf.mul(c, m)) as tf.Tensor4D;
      return { content: pick(n.content, b.content), style: pick(n.style, b.style) };
    }),
  );
}

/** Each stage's neighbours and weights of `before` where `still` is 1, of `now` elsewhere (new tensors; `now` is freed). */
export function holdGraph(still: tf.Tensor4D, now: NeighbourGraph, before: NeighbourGraph): NeighbourGraph {
  const out = tf.tidy(() => {
    const m = tf.cast(still, 'bool');
    const pick = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.where(tf.broadcastTo(m, a.shape), b, a) as tf.Tensor4D;
    return {
      indices: now.indices.map((t, s) => pick(t, before.indices[s])),
      weights: now.weights.map((t, s) => pick(t, before.weights[s])),
    };
  });
  tf.dispose([...now.indices, ...now.weights]);
  return out;
}

/** The reference input: `before`'s pixels under still latent pixels, `x`'s under the others (a new tensor). */
export function holdReference(still: tf.Tensor4D, x: tf.Tensor4D, before: tf.Tensor4D, multiple: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w] = still.shape;
    const up = tf.image.resizeNearestNeighbor(still, [h * multiple, w * multiple]);
    const m = tf.cast(tf.broadcastTo(up, [b, h * multiple, w * multiple, 3]), 'bool');
    return tf.where(m, before, x) as tf.Tensor4D;
  });
}
