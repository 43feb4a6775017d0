import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { checkPair, latentDistanceUnchecked } from './latent-distance.js';
import { WeightedLoss, type WeightedLossOptions } from './weighted-loss.js';
import { assertFiniteNumber, assertNonEmptyArray, NHWC } from './validate.js';
import { meanOf } from './mean-of.js';

/** The named parts of a latent code the cycle losses compare (method §1). */
export type LatentPartName = 'content' | 'style' | 'middle';

/** The parts a latent cycle compares, in order. */
export const LATENT_PART_NAMES: readonly LatentPartName[] = ['content', 'style', 'middle'];

/**
 * Named parts of an encoding, each `[B, H, W, C]`: `content` z_C (`[B, H/4, W/4, 4ngf]`),
 * `style` z_S (`[B, H/4, W/4, 8ngf]`), `middle` (`[B, H/2, W/2, 2ngf]`). Any may be left out.
 */
export type LatentParts = Partial<Record<LatentPartName, tf.Tensor4D>>;

/** A `[cycled, reference]` pair of `[B, H, W, C]` content codes. */
export type ContentPair = readonly [cycled: tf.Tensor4D, reference: tf.Tensor4D];

/**
 * Content feature cycle loss, averaged over pairs:
 *
 *   L_cfc = (1/P) · Σ_p dist(cycled_p, reference_p)
 *
 * with `dist` the latent distance ({@link latentDistance}). The authors' pairs are
 * `[C(enc(stylized)), C(enc(A))]` and `[C(enc(main(z_A))), C(enc(A))]`.
 * @param pairs `[cycled, reference]` pairs of `[B, H, W, C]` content codes, each pair of one shape.
 * @param beta SmoothL1 switch point (default 1).
 * @returns a scalar `>= 0`.
 * @throws ShapeError on an empty list, a malformed pair or differing shapes in a pair.
 */
export function contentFeatureCycleLoss(pairs: readonly ContentPair[], beta = 1): tf.Scalar {
  const fn = 'contentFeatureCycleLoss';
  assertNonEmptyArray(fn, 'pairs', pairs, `[cycled, reference] pair of ${NHWC} content codes`);
  pairs.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) {
      throw new ShapeError(
        fn,
        `pairs[${i}] to be a pair [cycled, reference] of ${NHWC} tensors`,
        Array.isArray(p) ? `an array of length ${p.length}` : typeof p,
      );
    }
    checkPair(fn, p[0], p[1], beta, `pairs[${i}][0]`, `pairs[${i}][1]`);
  });
  return tf.tidy(() => meanOf(pairs.map(([c, r]) => latentDistanceUnchecked(c, r, beta))));
}

/** An `[original, cycled]` pair of latent encodings: `cycled = enc(aux(original))`. */
export type LatentCyclePair = readonly [original: LatentParts, cycled: LatentParts];

/** Options of {@link latentCycleLoss}. */
export interface LatentCycleOptions {
  /** Parts to compare (default all three); a part is compared where the original has it. */
  parts?: readonly LatentPartName[];
  /** SmoothL1 switch point (default 1). */
  beta?: number;
}

/**
 * Latent cycle loss over named latent parts, averaged over every compared term:
 *
 *   L_lc = (1/T) · Σ_{(orig, cyc)} Σ_{part ∈ orig} dist(cyc[part], orig[part])
 *
 * where T is the number of terms. Each pair compares the parts its `original` holds (within
 * `options.parts`); its `cycled` must hold them too (extra cycled parts are ignored). The
 * authors' five terms: `[{content, style, middle} of A, enc(aux(z_A))]` and
 * `[{style, middle} of B′, enc(aux(z_B′))]`.
 * @param pairs `[original, cycled]` pairs of {@link LatentParts}, parts `[B, H, W, C]`.
 * @param options parts to compare and SmoothL1 β.
 * @returns a scalar `>= 0`.
 * @throws ShapeError when a pair compares nothing, a part is missing in `cycled`, or shapes differ.
 */
export function latentCycleLoss(pairs: readonly LatentCyclePair[], options: LatentCycleOptions = {}): tf.Scalar {
  const fn = 'latentCycleLoss';
  const beta = options.beta ?? 1;
  const parts = options.parts ?? LATENT_PART_NAMES;
  assertFiniteNumber(fn, 'beta', beta, 0);
  for (const part of parts) {
    if (!LATENT_PART_NAMES.includes(part)) throw new ValueError(fn, `parts among ${LATENT_PART_NAMES.join(', ')}`, String(part));
  }
  assertNonEmptyArray(fn, 'pairs', pairs, '[original, cycled] pair of latent parts');
  const terms: [tf.Tensor4D, tf.Tensor4D][] = [];
  pairs.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || p[0] == null || p[1] == null || typeof p[0] !== 'object' || typeof p[1] !== 'object') {
      throw new ShapeError(
        fn,
        `pairs[${i}] to be a pair [original, cycled] of latent parts { content?, style?, middle? }`,
        Array.isArray(p) ? `an array of length ${p.length}` : typeof p,
      );
    }
    const [original, cycled] = p;
    let compared = 0;
    for (const part of parts) {
      const o = original[part];
      if (o === undefined) continue;
      const c = cycled[part];
      if (c === undefined) {
        throw new ShapeError(fn, `pairs[${i}][1].${part} to be a ${NHWC} tensor (the original has one)`, 'undefined');
      }
      checkPair(fn, c, o, beta, `pairs[${i}][1].${part}`, `pairs[${i}][0].${part}`);
      terms.push([c, o]);
      compared++;
    }
    if (compared === 0) {
      throw new ShapeError(fn, `pairs[${i}][0] to hold at least one of ${parts.join(', ')}`, `keys {${Object.keys(original).join(', ')}}`);
    }
  });
  return tf.tidy(() => meanOf(terms.map(([c, o]) => latentDistanceUnchecked(c, o, beta))));
}

/** Content and style codes, both `[B, H, W, C]` (C may differ between the two). */
export interface ContentStyle {
  /** z_C, `[B, H, W, Cc]`. */
  content: tf.Tensor4D;
  /** z_S, `[B, H, W, Cs]`. */
  style: tf.Tensor4D;
}

/**
 * Transfer latent cycle loss of the main module: the stylized image, encoded again, should
 * keep the input's content and carry the exemplar's style:
 *
 *   L_tlc = ½ · [ dist(C(enc(stylized)), C_A) + dist(S(enc(stylized)), S_B′) ]
 *
 * @param stylized `{ content, style }` of `enc(stylized)`, each `[B, H, W, C]`.
 * @param target `{ content: C_A, style: S_B′ }`, shapes as in `stylized`.
 * @param beta SmoothL1 switch point (default 1).
 * @returns a scalar `>= 0`.
 * @throws ShapeError when a code is missing or the shapes differ.
 */
export function transferLatentCycleLoss(stylized: ContentStyle, target: ContentStyle, beta = 1): tf.Scalar {
  const fn = 'transferLatentCycleLoss';
  for (const [name, v] of [
    ['stylized', stylized],
    ['target', target],
  ] as const) {
    if (v == null || typeof v !== 'object')
      throw new ShapeError(fn, `${name} to be { content, style } of ${NHWC} tensors`, v === null ? 'null' : typeof v);
  }
  checkPair(fn, stylized.content, target.content, beta, 'stylized.content', 'target.content');
  checkPair(fn, stylized.style, target.style, beta, 'stylized.style', 'target.style');
  return tf.tidy(
    () =>
      tf.mul(
        tf.add(
          latentDistanceUnchecked(stylized.content, target.content, beta),
          latentDistanceUnchecked(stylized.style, target.style, beta),
        ),
        0.5,
      ) as tf.Scalar,
  );
}

/** Options of the cycle loss classes. */
export interface CycleLossOptions extends WeightedLossOptions {
  /** SmoothL1 switch point (default 1). */
  beta?: number;
}

/** Weighted {@link contentFeatureCycleLoss}: `call(pairs) = weight · (1/P) Σ dist(cycled, reference)`. */
export class ContentFeatureCycleLoss extends WeightedLoss {
  /** SmoothL1 switch point. */
  readonly beta: number;
  constructor(options: CycleLossOptions = {}) {
    super('ContentFeatureCycleLoss', options.weight);
    this.beta = options.beta ?? 1;
    assertFiniteNumber('ContentFeatureCycleLoss', 'beta', this.beta, 0);
  }
  /** `weight · contentFeatureCycleLoss(pairs, beta)` → scalar. */
  call(pairs: readonly ContentPair[]): tf.Scalar {
    return this.weighted(() => contentFeatureCycleLoss(pairs, this.beta));
  }
}

/** Options of {@link LatentCycleLoss}. */
export interface LatentCycleLossOptions extends CycleLossOptions {
  /** Parts to compare (default all three). */
  parts?: readonly LatentPartName[];
}

/** Weighted {@link latentCycleLoss}: `call(pairs) = weight · (1/T) Σ dist(cycled[part], original[part])`. */
export class LatentCycleLoss extends WeightedLoss {
  /** SmoothL1 switch point. */
  readonly beta: number;
  /** Parts compared. */
  readonly parts: readonly LatentPartName[];
  constructor(options: LatentCycleLossOptions = {}) {
    super('LatentCycleLoss', options.weight);
    this.beta = options.beta ?? 1;
    this.parts = options.parts ?? LATENT_PART_NAMES;
    assertFiniteNumber('LatentCycleLoss', 'beta', this.beta, 0);
  }
  /** `weight · latentCycleLoss(pairs, { parts, beta })` → scalar. */
  call(pairs: readonly LatentCyclePair[]): tf.Scalar {
    return this.weighted(() => latentCycleLoss(pairs, { parts: this.parts, beta: this.beta }));
  }
}

/** Weighted {@link transferLatentCycleLoss}: `call(s, t) = weight · ½[dist(C_s, C_t) + dist(S_s, S_t)]`. */
export class TransferLatentCycleLoss extends WeightedLoss {
  /** SmoothL1 switch point. */
  readonly beta: number;
  constructor(options: CycleLossOptions = {}) {
    super('TransferLatentCycleLoss', options.weight);
    this.beta = options.beta ?? 1;
    assertFiniteNumber('TransferLatentCycleLoss', 'beta', this.beta, 0);
  }
  /** `weight · transferLatentCycleLoss(stylized, target, beta)` → scalar. */
  call(stylized: ContentStyle, target: ContentStyle): tf.Scalar {
    return this.weighted(() => transferLatentCycleLoss(stylized, target, this.beta));
  }
}
