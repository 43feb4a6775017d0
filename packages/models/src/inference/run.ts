import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { runInBands } from './band-executor.js';
import { hostMap, writeHostRows } from './host-map.js';
import type { InferencePlan } from './plan.js';
import { concatRows } from './map-ops.js';
import { storedRows, type StoredMap } from './row-map.js';

/*
 * The stages of inference as a plan says: the encoder and decoders whole (one `predict`) or band
 * by band (`runInBands`), the codes on the backend or in JS memory, the recombination in one call
 * or over bands of latent rows. `TpfrModel` and `stylize` both run through here.
 */

/** The content `[B, h, w, Cc]` and style `[B, h, w, Cs]` codes, as tensors or in JS memory. */
export interface StoredCodes {
  content: StoredMap;
  style: StoredMap;
}

/** What {@link encodeByPlan} returns: the codes where the plan keeps them, and `middle` when asked. */
export interface EncodedMaps extends StoredCodes {
  middle?: tf.Tensor4D;
}

/**
 * The encoder's outputs for `images` `[B, H, W, 3]` (in [−1, 1], sides multiples of the
 * network's): `[content, style, middle]` as the plan says (the codes in JS memory when
 * `plan.codes` is `'host'`); `middle` only when asked (band-wise inference then never assembles it).
 */
export function encodeByPlan(encoder: tfl.LayersModel, images: tf.Tensor4D, plan: InferencePlan, opts: { middle: boolean }): EncodedMaps {
  if (plan.encode === 'whole') {
    // predict frees each layer's output as soon as the next layers have used it; apply keeps all.
    const [content, style, middle] = encoder.predict(images) as tf.Tensor4D[];
    if (!opts.middle) middle.dispose();
    return opts.middle ? { content, style, middle } : { content, style };
  }
  const codes = plan.codes === 'host' ? 'host' : 'tensor';
  const [content, style, middle] = runInBands(encoder, [storedRows(images)], [codes, codes, opts.middle ? 'tensor' : null], plan.bands);
  return { content: content!, style: style!, ...(middle ? { middle: middle as tf.Tensor4D } : {}) };
}

/** A decoder's output `[B, h·2^d, w·2^d, 3]` for the codes, as the plan says (the latent never concatenated whole in bands). */
export function decodeByPlan(decoder: tfl.LayersModel, codes: StoredCodes, plan: InferencePlan): tf.Tensor4D {
  if (plan.decode === 'whole' && codes.content instanceof tf.Tensor && codes.style instanceof tf.Tensor) {
    const [c, s] = [codes.content, codes.style];
    return tf.tidy(() => decoder.predict(tf.concat([c, s], -1)) as tf.Tensor4D);
  }
  const latent = concatRows([storedRows(codes.content), storedRows(codes.style)]);
  return runInBands(decoder, [latent], ['tensor'], plan.bands)[0] as tf.Tensor4D;
}

/**
 * `recombine` over bands of `plan.recombineRows` latent rows (one call when that is all of them).
 * Each query pixel's result depends only on its own code and the pool, so the bands give the
 * whole call's result; the layer's temporaries stay the size of a band. The result is kept where
 * the codes are (tensors, or JS memory); the codes are not freed.
 */
export function recombineByPlan(
  codes: StoredCodes,
  plan: InferencePlan,
  recombine: (z: { content: tf.Tensor4D; style: tf.Tensor4D }, r0: number, r1: number) => { content: tf.Tensor4D; style: tf.Tensor4D },
): StoredCodes {
  const [b, h, w, cc] = codes.content.shape;
  const cs = codes.style.shape[3];
  const [zc, zs] = [storedRows(codes.content), storedRows(codes.style)];
  if (plan.recombineRows >= h && codes.content instanceof tf.Tensor && codes.style instanceof tf.Tensor) {
    return recombine({ content: codes.content, style: codes.style }, 0, h);
  }
  const onHost = !(codes.content instanceof tf.Tensor);
  const out = onHost ? { content: hostMap([b, h, w, cc]), style: hostMap([b, h, w, cs]) } : null;
  const parts: { content: tf.Tensor4D; style: tf.Tensor4D }[] = [];
  for (let r0 = 0; r0 < h; r0 += plan.recombineRows) {
    const r1 = Math.min(h, r0 + plan.recombineRows);
    const y = tf.tidy(() => recombine({ content: zc.rows(r0, r1), style: zs.rows(r0, r1) }, r0, r1));
    if (out) {
      writeHostRows(out.content, r0, y.content);
      writeHostRows(out.style, r0, y.style);
      tf.dispose([y.content, y.style]);
    } else {
      parts.push(y);
    }
  }
  if (out) return out;
  const join = (key: 'content' | 'style') => {
    const x = tf.concat(
      parts.map((p) => p[key]),
      1,
    ) as tf.Tensor4D;
    tf.dispose(parts.map((p) => p[key]));
    return x;
  };
  return { content: join('content'), style: join('style') };
}

/** Frees the codes' tensors (JS memory is left to the garbage collector). */
export function disposeCodes(codes: StoredCodes): void {
  for (const m of [codes.content, codes.style]) if (m instanceof tf.Tensor) m.dispose();
}
