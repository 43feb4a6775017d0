/**
 * The interface every training dataset of @tpfr/models implements (synthetic and image folder).
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * One training batch: two photos and two paintings per sample. `paintingB[i]` and
 * `paintingB2[i]` are two different paintings of the same style class `styleClass[i]` (the class
 * may differ between samples); `photoA[i]` and `photoA2[i]` are two different photos. Every tensor
 * is `[B, H, W, 3]` float32 in `[-1, 1]`, owned by the caller (dispose them).
 */
export interface StyleBatch {
  /** Content photos A, `[B, H, W, 3]` in `[-1, 1]`. */
  photoA: tf.Tensor4D;
  /** Style paintings B, `[B, H, W, 3]` in `[-1, 1]`. */
  paintingB: tf.Tensor4D;
  /** A second photo A2 per sample (different from A), `[B, H, W, 3]` in `[-1, 1]`. */
  photoA2: tf.Tensor4D;
  /** A second painting B2 per sample, same class as B, `[B, H, W, 3]` in `[-1, 1]`. */
  paintingB2: tf.Tensor4D;
  /** Style class name of sample i (of both B[i] and B2[i]). */
  styleClass: string[];
}

/** A source of training batches, deterministic from its seed and the step number. */
export interface StyleDataset {
  /** Side of the square training images, in pixels (H = W = size). */
  readonly size: number;
  /** The style classes batches are drawn from. */
  readonly styleClasses: readonly string[];
  /**
   * What the data is, as plain values (kind, seed, size, folder, …): checkpoints store it, and a
   * resumed run refuses other data. Omitted: only `size` and `styleClasses` are compared.
   */
  readonly source?: Readonly<Record<string, string | number>>;
  /**
   * The batch of training step `step` (any integer ≥ 0): `batchSize` samples, the same for the
   * same (dataset seed, step, batchSize).
   */
  sampleBatch(step: number, batchSize: number): StyleBatch;
}
