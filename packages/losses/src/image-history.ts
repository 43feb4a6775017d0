import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, TpfrError } from '@tpfr/core';
import { assertInteger, createRng, formatShape } from '@tpfr/core/utils';
import { assertFeatureMap, NHWC } from './validate.js';

/** Default history size, as the authors (and CycleGAN) keep 50 past images. */
export const DEFAULT_IMAGE_HISTORY_SIZE = 50;

/** Options of {@link ImageHistory}. */
export interface ImageHistoryOptions {
  /** How many past images to keep (default 50); 0 turns the history into a pass-through. */
  size?: number;
  /** Seed of the history's own RNG (`createRng` of `@tpfr/core`), for reproducible draws. Ignored when `random` is given. */
  seed?: number;
  /** A source of uniform numbers in `[0, 1)` (default `Math.random`, or the seeded RNG). */
  random?: () => number;
}

/**
 * A history of past generated images for discriminator updates (Shrivastava et al. 2017, as in
 * CycleGAN and the TPFR authors' training). For each image of a queried batch:
 * - while the history holds fewer than `size` images, the new image is stored and returned;
 * - once full, with probability ½ a random stored image is returned and the new image takes
 *   its place; otherwise the new image is returned and the history is unchanged.
 *
 * Ownership:
 * - `query(images)` never disposes or keeps `images`; the history stores its own copies.
 * - the returned `[B, H, W, C]` tensor is new and owned by the caller (dispose it, or create it
 *   inside a `tf.tidy`); it is safe to use after later queries.
 * - stored copies are `tf.keep`-ed (they survive the caller's `tf.tidy`), disposed when replaced,
 *   and all freed by {@link ImageHistory.dispose}.
 *
 * All images in one history must share `[H, W, C]` (the returned batch mixes stored and new ones).
 * For a class-conditional discriminator keep one history per style class.
 */
export class ImageHistory {
  /** Capacity: the most images the history keeps. */
  readonly size: number;
  private readonly random: () => number;
  private readonly images: tf.Tensor3D[] = [];
  private disposed = false;

  constructor(options: ImageHistoryOptions = {}) {
    const size = options.size ?? DEFAULT_IMAGE_HISTORY_SIZE;
    assertInteger('ImageHistory', 'size', size, 0);
    if (options.seed !== undefined) assertInteger('ImageHistory', 'seed', options.seed, 0, 0xffffffff);
    this.size = size;
    this.random = options.random ?? (options.seed !== undefined ? createRng(options.seed).next : Math.random);
  }

  /** How many images the history holds now (at most `size`). */
  get length(): number {
    return this.images.length;
  }

  /**
   * Passes a batch of generated images through the history (rule in the class doc).
   * @param images `[B, H, W, C]` generated images; not disposed, not kept.
   * @returns a new `[B, H, W, C]` tensor owned by the caller: per image either the new image or
   *   a stored past one.
   * @throws ShapeError when `images` is not a rank-4 float tensor or its `[H, W, C]` differs
   *   from the stored images'; TpfrError after `dispose()`.
   */
  query(images: tf.Tensor4D): tf.Tensor4D {
    const fn = 'ImageHistory.query';
    if (this.disposed) throw new TpfrError(fn, 'the history was disposed; create a new ImageHistory');
    assertFeatureMap(fn, 'images', images);
    if (this.images.length > 0 && !tf.util.arraysEqual(this.images[0].shape, images.shape.slice(1))) {
      throw new ShapeError(
        fn,
        `images of shape [B, ${this.images[0].shape.join(', ')}] ${NHWC} like the stored ones`,
        `shape ${formatShape(images.shape)}`,
      );
    }
    if (this.size === 0) return tf.clone(images);
    return tf.tidy(() => {
      const out: tf.Tensor3D[] = tf.unstack(images) as tf.Tensor3D[];
      for (let i = 0; i < out.length; i++) {
        const image = out[i];
        if (this.images.length < this.size) {
          this.images.push(tf.keep(tf.clone(image)));
        } else if (this.random() > 0.5) {
          const j = Math.min(Math.floor(this.random() * this.size), this.size - 1);
          const old = this.images[j];
          out[i] = tf.clone(old); // freed by this tidy unless returned in the stack below
          this.images[j] = tf.keep(tf.clone(image));
          old.dispose();
        }
      }
      return tf.stack(out) as tf.Tensor4D;
    });
  }

  /**
   * The stored images as one new `[n, H, W, C]` tensor owned by the caller (null when empty),
   * e.g. for a checkpoint; {@link restore} puts them back.
   */
  snapshot(): tf.Tensor4D | null {
    return this.images.length === 0 ? null : (tf.stack(this.images) as tf.Tensor4D);
  }

  /**
   * Replaces the stored images by the rows of `images [n, H, W, C]` (n ≤ size; not disposed).
   * @throws ShapeError when `images` is not rank 4 or holds more than `size` images.
   */
  restore(images: tf.Tensor4D | null): void {
    const fn = 'ImageHistory.restore';
    if (images != null) {
      assertFeatureMap(fn, 'images', images);
      if (images.shape[0] > this.size) throw new ShapeError(fn, `at most size = ${this.size} images`, `shape ${formatShape(images.shape)}`);
    }
    tf.dispose(this.images);
    this.images.length = 0;
    if (images != null) for (const t of tf.unstack(images) as tf.Tensor3D[]) this.images.push(tf.keep(t));
  }

  /** Frees every stored image; the history cannot be queried afterwards. Safe to call twice. */
  dispose(): void {
    tf.dispose(this.images);
    this.images.length = 0;
    this.disposed = true;
  }
}
