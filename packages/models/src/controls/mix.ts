import * as tf from '@tensorflow/tfjs-core';
import { hostMap, writeHostRows } from '../inference/host-map.js';
import { storedRows, type StoredMap } from '../inference/row-map.js';
import type { StoredCodes } from '../inference/run.js';

/**
 * `f` applied to the same rows of several code sets, band by band, into one code set kept where
 * the first is (tensors, or JS memory for codes too large for the backend).
 */
export function combineCodes(
  sets: StoredCodes[],
  rowsPerBand: number,
  f: (bands: { content: tf.Tensor4D; style: tf.Tensor4D }[], r0: number, r1: number) => { content: tf.Tensor4D; style: tf.Tensor4D },
): StoredCodes {
  const [first] = sets;
  if (first.content instanceof tf.Tensor) {
    return f(
      sets.map((s) => ({ content: s.content as tf.Tensor4D, style: s.style as tf.Tensor4D })),
      0,
      first.content.shape[1],
    );
  }
  const [b, h, w, cc] = first.content.shape;
  const out = { content: hostMap([b, h, w, cc]), style: hostMap([b, h, w, first.style.shape[3]]) };
  const rows = sets.map((s) => ({ content: storedRows(s.content), style: storedRows(s.style) }));
  for (let r0 = 0; r0 < h; r0 += rowsPerBand) {
    const r1 = Math.min(h, r0 + rowsPerBand);
    tf.tidy(() => {
      const y = f(
        rows.map((s) => ({ content: s.content.rows(r0, r1), style: s.style.rows(r0, r1) })),
        r0,
        r1,
      );
      writeHostRows(out.content, r0, y.content);
      writeHostRows(out.style, r0, y.style);
    });
  }
  return out;
}

/**
 * Codes mixed by weights: `Σ_s w_s · z_s`, with one weight per set (`number[]`) or per latent
 * pixel (`[S, h, w, 1]`, broadcast over the batch and the channels). A weight of exactly 1 with the
 * others 0 gives that set's codes exactly.
 */
export function mixCodes(sets: StoredCodes[], weights: number[] | tf.Tensor4D, rowsPerBand: number): StoredCodes {
  return combineCodes(sets, rowsPerBand, (bands, r0, r1) =>
    tf.tidy(() => {
      const weightOf = (i: number): tf.Tensor | number =>
        Array.isArray(weights) ? weights[i] : tf.slice(weights, [i, r0, 0, 0], [1, r1 - r0, weights.shape[2], 1]);
      const mix = (key: 'content' | 'style') =>
        bands.reduce<tf.Tensor | null>((acc, band, i) => {
          const term = tf.mul(band[key], weightOf(i));
          return acc ? tf.add(acc, term) : term;
        }, null) as tf.Tensor4D;
      return { content: mix('content'), style: mix('style') };
    }),
  );
}

/**
 * The codes at `strength` s between the content's own codes (0) and the recombined ones (1):
 * `z_c + s · (z_r − z_c)`; s = 1 gives the recombined codes themselves, s = 0 the content's.
 */
export function codesAtStrength(own: StoredCodes, recombined: StoredCodes, strength: number, rowsPerBand: number): StoredCodes {
  return combineCodes([own, recombined], rowsPerBand, ([c, r]) =>
    tf.tidy(() => {
      const lerp = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.add(a, tf.mul(tf.sub(b, a), strength)) as tf.Tensor4D;
      return { content: lerp(c.content, r.content), style: lerp(c.style, r.style) };
    }),
  );
}

/** A map's copy kept the same way (a tensor clone, or the same JS memory, which is never written). */
export function sameMap(m: StoredMap): StoredMap {
  return m instanceof tf.Tensor ? tf.clone(m) : m;
}
