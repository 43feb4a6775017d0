import * as tf from '@tensorflow/tfjs-core';
import { assertRank } from './checks.js';
import { ShapeError, formatShape } from './errors.js';

/**
 * How a batch meets its peers `[B, P, h, w, C]`. `'per-sample'`: input b attends only to its own
 * P exemplars (peers `[b, 0 … P−1]`). `'shared'`: one pool of every peer pixel serves the whole
 * batch, as the authors' code does.
 */
export type PeerPooling = 'per-sample' | 'shared';

/**
 * NHWC feature map to pixel rows, row `b·H·W + h·W + w`.
 * @param x `[B, H, W, C]`
 * @returns `[B·H·W, C]`
 */
export function featureMapToRows(x: tf.Tensor4D): tf.Tensor2D {
  assertRank('featureMapToRows', 'x', x, 4, '[B, H, W, C]');
  return tf.reshape(x, [-1, x.shape[3]]);
}

/**
 * Pixel rows back to an NHWC feature map, inverse of {@link featureMapToRows}.
 * @param rows `[B·H·W, C]`
 * @param shape `[B, H, W]`
 * @returns `[B, H, W, C]`
 */
export function rowsToFeatureMap(rows: tf.Tensor2D, shape: readonly [number, number, number]): tf.Tensor4D {
  assertRank('rowsToFeatureMap', 'rows', rows, 2, '[B·H·W, C]');
  const [b, h, w] = shape;
  if (b * h * w !== rows.shape[0]) {
    throw new ShapeError(
      'rowsToFeatureMap',
      `rows [B·H·W, C] with B·H·W = ${b}·${h}·${w} = ${b * h * w}`,
      `shape ${formatShape(rows.shape)}`,
    );
  }
  return tf.reshape(rows, [b, h, w, rows.shape[1]]);
}

/**
 * Query rows of a batch for a pooling policy: `'per-sample'` gives B tensors `[H·W, C]`
 * (one per sample), `'shared'` one tensor `[B·H·W, C]`.
 * @param x `[B, H, W, C]`
 */
export function queryRows(x: tf.Tensor4D, pooling: PeerPooling): tf.Tensor2D[] {
  assertRank('queryRows', 'x', x, 4, '[B, H, W, C]');
  if (pooling === 'shared') return [featureMapToRows(x)];
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => tf.split(tf.reshape(x, [b, h * w * c]), b, 0).map((r) => tf.reshape(r, [h * w, c]) as tf.Tensor2D));
}

/**
 * Peer pools of a batch: peers `[B, P, h, w, C]` hold P exemplars per sample. `'per-sample'`
 * gives B pools `[P·h·w, C]`; `'shared'` one pool `[B·P·h·w, C]`. Within a pool, rows run over
 * (samples,) exemplars, then pixels.
 * @param peers `[B, P, h, w, C]`
 */
export function peerPoolRows(peers: tf.Tensor5D, pooling: PeerPooling): tf.Tensor2D[] {
  const fn = 'peerPoolRows';
  assertRank(fn, 'peers', peers, 5, '[B, P, h, w, C]');
  const [b, p, h, w, c] = peers.shape;
  if (b === 0 || p === 0) throw new ShapeError(fn, 'peers [B, P, h, w, C] with B, P ≥ 1', `shape ${formatShape(peers.shape)}`);
  if (pooling === 'shared') return [tf.reshape(peers, [b * p * h * w, c]) as tf.Tensor2D];
  return tf.tidy(() => tf.split(tf.reshape(peers, [b, p * h * w * c]), b, 0).map((r) => tf.reshape(r, [p * h * w, c]) as tf.Tensor2D));
}
