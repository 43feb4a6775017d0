import * as tf from '@tensorflow/tfjs-core';
import { canReadSync } from './sync-read.js';
import { ShapeError, ValueError, formatShape } from './errors.js';

/**
 * Throws a {@link ShapeError} unless `x` has rank `rank`.
 * @param fn name of the calling function, used in the message.
 * @param name name of the argument (`queries`, `pool`, ...).
 * @param layout the expected layout in words, e.g. `[N, d]`.
 */
export function assertRank(fn: string, name: string, x: tf.Tensor, rank: number, layout: string): void {
  if (!(x instanceof tf.Tensor)) {
    throw new ShapeError(fn, `${name} to be a tf.Tensor of rank ${rank} ${layout}`, typeof x);
  }
  if (x.rank !== rank) {
    throw new ShapeError(fn, `${name} of rank ${rank} ${layout}`, `shape ${formatShape(x.shape)}`);
  }
}

/** Throws a {@link ShapeError} unless `x` is float32. */
export function assertFloat(fn: string, name: string, x: tf.Tensor): void {
  if (x.dtype !== 'float32') {
    throw new ShapeError(fn, `${name} of dtype float32`, `dtype ${x.dtype}`);
  }
}

/**
 * Throws a {@link ValueError} when `x` holds a NaN or an infinity. Reads back one boolean, so it
 * synchronises with the backend; the functions that call it take a `checkFinite: false` option.
 * Skipped on WebGPU, which cannot read synchronously.
 */
export function assertFinite(fn: string, name: string, x: tf.Tensor): void {
  if (x.dtype !== 'float32' || x.size === 0 || !canReadSync()) return;
  const ok = tf.tidy(() => tf.all(tf.isFinite(x)).dataSync()[0]);
  if (!ok) {
    const bad = tf.tidy(() => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(x)), 'int32')).dataSync()[0]);
    throw new ValueError(fn, `${name} to be finite`, `${bad} NaN or infinite entries in shape ${formatShape(x.shape)}`);
  }
}

/** Throws a {@link ValueError} unless `v` is an integer in `[min, max]`. */
export function assertInteger(fn: string, name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ValueError(fn, `${name} to be an integer ${range}`, String(v));
  }
}
