import * as tf from '@tensorflow/tfjs-core';
import { hostMap, hostRows, writeHostRows, type HostMap } from './host-map.js';

/**
 * A feature map `[B, height, width, channels]` that gives its rows on demand: the unit of
 * band-wise inference. A row map may hold its values (a tensor, bands of tensors, JS memory) or
 * compute each request from the maps it reads.
 */
export interface RowMap {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Rows `[r0, r1)`, `0 ≤ r0 < r1 ≤ height`: a new tensor `[B, r1 − r0, width, channels]` for the caller. */
  rows(r0: number, r1: number): tf.Tensor4D;
  /** Frees what the map holds itself (its bands, its statistics); the maps it reads are not freed. */
  dispose(): void;
}

/** Where a map's values live once computed: the backend (one tensor) or JS memory (a {@link HostMap}). */
export type StoredMap = tf.Tensor4D | HostMap;

/** Bytes of a map of this shape (float32). */
export function mapBytes(m: Pick<RowMap, 'batch' | 'height' | 'width' | 'channels'>): number {
  return 4 * m.batch * m.height * m.width * m.channels;
}

/** A computed map: its shape, and the function that computes rows (no storage of its own). */
export function computedRows(
  shape: Pick<RowMap, 'batch' | 'height' | 'width' | 'channels'>,
  rows: (r0: number, r1: number) => tf.Tensor4D,
): RowMap {
  return { batch: shape.batch, height: shape.height, width: shape.width, channels: shape.channels, rows, dispose: () => {} };
}

/** A stored map as rows (not owned: its `dispose` frees nothing). */
export function storedRows(x: StoredMap): RowMap {
  const [batch, height, width, channels] = x.shape;
  if (x instanceof tf.Tensor) {
    return computedRows({ batch, height, width, channels }, (r0, r1) => tf.slice(x, [0, r0, 0, 0], [batch, r1 - r0, width, channels]));
  }
  return computedRows({ batch, height, width, channels }, (r0, r1) => hostRows(x, r0, r1));
}

/** A whole tensor as rows, owned: its `dispose` frees the tensor. */
export function ownedRows(x: tf.Tensor4D): RowMap {
  return { ...storedRows(x), dispose: () => x.dispose() };
}

/** Rows per band of `m` so that one band takes at most `bandBytes` (at least one row; `fixed` rows when given). */
export function bandRowsOf(m: Pick<RowMap, 'batch' | 'width' | 'channels' | 'height'>, bandBytes: number, fixed?: number): number {
  if (fixed !== undefined) return Math.min(m.height, fixed);
  return Math.min(m.height, Math.max(1, Math.floor(bandBytes / (4 * m.batch * m.width * m.channels))));
}

/** Calls `f(r0, r1)` for each band of `band` rows of a map of `height` rows. */
export function forEachBand(height: number, band: number, f: (r0: number, r1: number) => void): void {
  for (let r0 = 0; r0 < height; r0 += band) f(r0, Math.min(height, r0 + band));
}

/** The map computed band by band into one tensor. */
export function assemble(m: RowMap, band: number): tf.Tensor4D {
  const parts: tf.Tensor4D[] = [];
  forEachBand(m.height, band, (r0, r1) => parts.push(m.rows(r0, r1)));
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 1) as tf.Tensor4D;
  tf.dispose(parts);
  return out;
}

/** The map computed band by band into JS memory. */
export function assembleOnHost(m: RowMap, band: number): HostMap {
  const out = hostMap([m.batch, m.height, m.width, m.channels]);
  forEachBand(m.height, band, (r0, r1) => {
    const x = m.rows(r0, r1);
    writeHostRows(out, r0, x);
    x.dispose();
  });
  return out;
}

/**
 * `m` computed once into bands of `band` rows that are kept: later requests read the bands, the
 * maps `m` reads are no longer needed. Its `dispose` frees the bands.
 */
export function cachedRows(m: RowMap, band: number): RowMap {
  const bands: tf.Tensor4D[] = [];
  forEachBand(m.height, band, (r0, r1) => bands.push(m.rows(r0, r1)));
  const rows = (r0: number, r1: number): tf.Tensor4D => {
    const pieces: tf.Tensor4D[] = [];
    for (let i = Math.floor(r0 / band); i <= Math.floor((r1 - 1) / band); i++) {
      const b0 = i * band;
      const a = Math.max(r0, b0) - b0;
      const b = Math.min(r1, b0 + bands[i].shape[1]) - b0;
      pieces.push(
        a === 0 && b === bands[i].shape[1] ? tf.clone(bands[i]) : tf.slice(bands[i], [0, a, 0, 0], [m.batch, b - a, m.width, m.channels]),
      );
    }
    if (pieces.length === 1) return pieces[0];
    const out = tf.concat(pieces, 1) as tf.Tensor4D;
    tf.dispose(pieces);
    return out;
  };
  return { batch: m.batch, height: m.height, width: m.width, channels: m.channels, rows, dispose: () => tf.dispose(bands) };
}

/**
 * Rows `[r0, r1)` of `m` where rows outside `[0, height)` come from `outside`: `'zero'` (zeros) or
 * `'reflect'` (mirrored at the first and last rows, the edge not repeated). Reads the rows of `m`
 * that the band needs, once.
 */
export function rowsBeyond(m: RowMap, r0: number, r1: number, outside: 'zero' | 'reflect'): tf.Tensor4D {
  const a = Math.max(0, r0);
  const b = Math.min(m.height, r1);
  if (a === r0 && b === r1) return m.rows(r0, r1);
  if (outside === 'zero') {
    if (a >= b) return tf.zeros([m.batch, r1 - r0, m.width, m.channels]);
    return tf.tidy(
      () =>
        tf.pad(m.rows(a, b), [
          [0, 0],
          [a - r0, r1 - b],
          [0, 0],
          [0, 0],
        ]) as tf.Tensor4D,
    );
  }
  // Mirrored rows: row −i is row i, row h − 1 + i is row h − 1 − i.
  const h = m.height;
  const source = (r: number) => (r < 0 ? -r : r >= h ? 2 * (h - 1) - r : r);
  const wanted = Array.from({ length: r1 - r0 }, (_, i) => source(r0 + i));
  const lo = Math.min(...wanted);
  const hi = Math.max(...wanted) + 1;
  return tf.tidy(
    () =>
      tf.gather(
        m.rows(lo, hi),
        tf.tensor1d(
          wanted.map((r) => r - lo),
          'int32',
        ),
        1,
      ) as tf.Tensor4D,
  );
}
