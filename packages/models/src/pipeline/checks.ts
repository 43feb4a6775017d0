/**
 * Input checks shared by the pipeline steps.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';

/**
 * Checks that `x` is an RGB image `[H, W, 3]` or batch `[B, H, W, 3]` with at least one pixel.
 * @throws ShapeError naming `fn` otherwise.
 */
export function checkImage(fn: string, name: string, x: unknown): asserts x is tf.Tensor3D | tf.Tensor4D {
  if (!(x instanceof tf.Tensor) || (x.rank !== 3 && x.rank !== 4)) {
    throw new ShapeError(
      fn,
      `${name} of shape [H, W, 3] or [B, H, W, 3]`,
      x instanceof tf.Tensor ? `shape ${formatShape(x.shape)}` : typeof x,
    );
  }
  if (x.shape[x.rank - 1] !== 3)
    throw new ShapeError(fn, `${name} with 3 (RGB) channels, [H, W, 3] or [B, H, W, 3]`, `shape ${formatShape(x.shape)}`);
  if (x.size === 0) throw new ShapeError(fn, `${name} with at least one pixel`, `shape ${formatShape(x.shape)}`);
}

/** Checks that `n` is an integer ≥ `min`, or throws a ValueError naming `fn` and `name`. */
export function checkInt(fn: string, name: string, n: unknown, min: number): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw new ValueError(fn, `${name} an integer >= ${min}`, typeof n === 'number' ? String(n) : (JSON.stringify(n) ?? String(n)));
  }
}

/** `[height, width]` of an image or batch. */
export function sidesOf(x: tf.Tensor3D | tf.Tensor4D): [number, number] {
  return x.rank === 3 ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[2]];
}
