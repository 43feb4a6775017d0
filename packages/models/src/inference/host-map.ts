import * as tf from '@tensorflow/tfjs-core';

/**
 * A map `[B, H, W, C]` held in JavaScript memory, outside the backend's heap. Band-wise inference
 * keeps the codes of very large images here (at 2048² with ngf 64 they take 1.8 GiB, the wasm
 * heap at most 4 GiB): each stage reads the rows it needs as a small tensor and writes its result
 * back band by band.
 */
export interface HostMap {
  readonly shape: [number, number, number, number];
  /** The values, row-major `[B, H, W, C]`. */
  readonly data: Float32Array;
}

/** A zero map of this shape. */
export function hostMap(shape: [number, number, number, number]): HostMap {
  return { shape: [...shape], data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
}

/** Rows `[r0, r1)` of `m` as a new tensor `[B, r1 − r0, W, C]` (a copy). */
export function hostRows(m: HostMap, r0: number, r1: number): tf.Tensor4D {
  const [b, h, w, c] = m.shape;
  const rowLength = w * c;
  const n = (r1 - r0) * rowLength;
  const values = new Float32Array(b * n);
  for (let i = 0; i < b; i++) values.set(m.data.subarray((i * h + r0) * rowLength, (i * h + r0) * rowLength + n), i * n);
  return tf.tensor4d(values, [b, r1 - r0, w, c]);
}

/** Writes `x` `[B, rows, W, C]` into rows `[r0, r0 + rows)` of `m` (x is not disposed). */
export function writeHostRows(m: HostMap, r0: number, x: tf.Tensor4D): void {
  const [b, h, w, c] = m.shape;
  const rows = x.shape[1];
  if (x.shape[0] !== b || x.shape[2] !== w || x.shape[3] !== c || r0 < 0 || r0 + rows > h) {
    throw new Error(`writeHostRows: rows [${x.shape.join(', ')}] at ${r0} do not fit a map [${m.shape.join(', ')}]`);
  }
  const values = x.dataSync() as Float32Array;
  const n = rows * w * c;
  for (let i = 0; i < b; i++) m.data.set(values.subarray(i * n, (i + 1) * n), (i * h + r0) * w * c);
}

/** A host copy of `x` (x is not disposed). */
export function toHostMap(x: tf.Tensor4D): HostMap {
  const m = hostMap(x.shape);
  writeHostRows(m, 0, x);
  return m;
}
