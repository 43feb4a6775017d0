import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { WeightedLoss, type WeightedLossOptions } from './weighted-loss.js';
import { assertFeatureMap, assertNonEmptyArray, assertSameShape, assertTensor, NHWC } from './validate.js';
import { meanOf } from './mean-of.js';

/**
 * Mean squared error over every element: `MSE(x, y) = (1/n) · Σ (x − y)²`.
 * @param output any shape, float32 (typically a decoded image `[B, H, W, C]`).
 * @param target the same shape as `output`.
 * @returns a scalar `>= 0`.
 * @throws ShapeError on non-tensors, empty tensors or differing shapes.
 */
export function mseLoss(output: tf.Tensor, target: tf.Tensor): tf.Scalar {
  checkSame('mseLoss', output, target);
  return tf.tidy(() => tf.mean(tf.squaredDifference(output, target)) as tf.Scalar);
}

/**
 * Mean absolute error over every element: `L1(x, y) = (1/n) · Σ |x − y|`.
 * @param output any shape, float32.
 * @param target the same shape as `output`.
 * @returns a scalar `>= 0`.
 * @throws ShapeError on non-tensors, empty tensors or differing shapes.
 */
export function l1Loss(output: tf.Tensor, target: tf.Tensor): tf.Scalar {
  checkSame('l1Loss', output, target);
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(output, target))) as tf.Scalar);
}

function checkSame(fn: string, output: unknown, target: unknown): void {
  assertTensor(fn, 'output', output);
  assertTensor(fn, 'target', target);
  if (output.size === 0) throw new ShapeError(fn, 'output to be non-empty', 'an empty tensor');
  assertSameShape(fn, 'output', output, 'target', target);
}

/** Element-wise reconstruction criterion: `'mse'` (the authors') or `'l1'`. */
export type ReconstructionKind = 'mse' | 'l1';

/** An `[output, target]` pair of `[B, H, W, C]` images. */
export type ImagePair = readonly [output: tf.Tensor4D, target: tf.Tensor4D];

/**
 * Reconstruction loss of the paper, averaged over image pairs:
 *
 *   L_rec = (1/P) · Σ_p crit(output_p, target_p),   crit = MSE (default) or L1
 *
 * The auxiliary module uses `[[aux(enc(A)), A], [aux(enc(B′)), B′]]`; the main module
 * `[[main(z_A), A], [main(z_B′), B′]]` (weighted 25 by the authors, see `DEFAULT_LOSS_WEIGHTS`).
 * @param pairs `[output, target]` pairs of `[B, H, W, C]` images; each pair of one shape.
 * @param kind `'mse'` (default) or `'l1'`.
 * @returns a scalar `>= 0`.
 * @throws ShapeError on an empty list, a malformed pair or differing shapes in a pair.
 */
export function reconstructionLoss(pairs: readonly ImagePair[], kind: ReconstructionKind = 'mse'): tf.Scalar {
  const fn = 'reconstructionLoss';
  if (kind !== 'mse' && kind !== 'l1') throw new ValueError(fn, "kind 'mse' or 'l1'", String(kind));
  assertNonEmptyArray(fn, 'pairs', pairs, `[output, target] pair of ${NHWC} images`);
  pairs.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) {
      throw new ShapeError(
        fn,
        `pairs[${i}] to be a pair [output, target] of ${NHWC} tensors`,
        Array.isArray(p) ? `an array of length ${p.length}` : typeof p,
      );
    }
    assertFeatureMap(fn, `pairs[${i}][0]`, p[0]);
    assertFeatureMap(fn, `pairs[${i}][1]`, p[1]);
    assertSameShape(fn, `pairs[${i}][0]`, p[0], `pairs[${i}][1]`, p[1]);
  });
  return tf.tidy(() => {
    const terms = pairs.map(([o, t]) => (kind === 'mse' ? tf.mean(tf.squaredDifference(o, t)) : tf.mean(tf.abs(tf.sub(o, t)))));
    return meanOf(terms as tf.Scalar[]);
  });
}

/** Options of {@link ReconstructionLoss}. */
export interface ReconstructionOptions extends WeightedLossOptions {
  /** `'mse'` (default) or `'l1'`. */
  kind?: ReconstructionKind;
}

/**
 * Weighted {@link reconstructionLoss}: `call(pairs) = weight · (1/P) Σ crit(output, target)`.
 * The weight defaults to 1; the authors weight the main module's reconstruction by 25 (pass
 * `{ weight: DEFAULT_LOSS_WEIGHTS.reconstruction }`, or let `combineLosses` apply it).
 */
export class ReconstructionLoss extends WeightedLoss {
  /** The criterion. */
  readonly kind: ReconstructionKind;
  constructor(options: ReconstructionOptions = {}) {
    super('ReconstructionLoss', options.weight);
    const kind = options.kind ?? 'mse';
    if (kind !== 'mse' && kind !== 'l1') throw new ValueError('ReconstructionLoss', "kind 'mse' or 'l1'", String(kind));
    this.kind = kind;
  }
  /** `weight · reconstructionLoss(pairs, kind)`; pairs of `[B, H, W, C]` images → scalar. */
  call(pairs: readonly ImagePair[]): tf.Scalar {
    return this.weighted(() => reconstructionLoss(pairs, this.kind));
  }
}
