/**
 * Entry checks shared by the losses (internal, not exported from the package).
 * Every check names the public function that called it, so errors read
 * `latentDistance: expected b of shape [2,4,4,8] (same as a), received shape [2,4,4,4]`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { assertFloat, assertRank, formatShape } from '@tpfr/core/utils';

/** NHWC layout in words, as it appears in messages. */
export const NHWC = '[B, H, W, C]';

/** Throws a ShapeError unless `x` is a float32 tensor (any rank). */
export function assertTensor(fn: string, name: string, x: unknown): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new ShapeError(fn, `${name} to be a tf.Tensor`, x === null ? 'null' : typeof x);
  }
  assertFloat(fn, name, x);
}

/** Throws a ShapeError unless `x` is a float32 rank-4 NHWC tensor with no empty dimension. */
export function assertFeatureMap(fn: string, name: string, x: unknown): asserts x is tf.Tensor4D {
  assertTensor(fn, name, x);
  assertRank(fn, name, x, 4, NHWC);
  if (x.size === 0) {
    throw new ShapeError(fn, `${name} of shape ${NHWC} with no empty dimension`, `shape ${formatShape(x.shape)}`);
  }
}

/** Throws a ShapeError unless `b` has exactly the shape of `a`. */
export function assertSameShape(fn: string, aName: string, a: tf.Tensor, bName: string, b: tf.Tensor): void {
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new ShapeError(fn, `${bName} of shape ${formatShape(a.shape)} (same as ${aName})`, `shape ${formatShape(b.shape)}`);
  }
}

/** Throws a ShapeError unless `x` is a non-empty array. */
export function assertNonEmptyArray(fn: string, name: string, x: unknown, what: string): asserts x is unknown[] {
  if (!Array.isArray(x)) {
    throw new ShapeError(fn, `${name} to be an array of ${what}`, x === null ? 'null' : typeof x);
  }
  if (x.length === 0) {
    throw new ShapeError(fn, `${name} to hold at least one ${what}`, 'an empty array');
  }
}

/** Throws a ValueError unless `v` is a finite number `>= min`. */
export function assertFiniteNumber(fn: string, name: string, v: unknown, min = -Infinity): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    const range = min === -Infinity ? 'a finite number' : `a finite number >= ${min}`;
    throw new ValueError(fn, `${name} to be ${range}`, String(v));
  }
}

/** Throws a ShapeError unless `x` is a scalar (rank-0) float tensor. */
export function assertScalar(fn: string, name: string, x: unknown): asserts x is tf.Scalar {
  assertTensor(fn, name, x);
  if (x.rank !== 0) {
    throw new ShapeError(fn, `${name} to be a scalar (rank 0)`, `shape ${formatShape(x.shape)}`);
  }
}
