import * as tf from '@tensorflow/tfjs-core';

/** Latent pixels over which region borders blend: a box of `2·r + 1` latent pixels (r = 2). */
export const REGION_BLEND_RADIUS = 2;

/**
 * Per-latent-pixel weights of S styles from their masks: each mask `[S, H, W, 1]` (values in
 * [0, 1], at the size the encoder sees, H and W multiples of `multiple`) averaged over each latent
 * pixel's `multiple × multiple` block, blurred by a box of `2·radius + 1` latent pixels (reflected
 * at the border) so that borders blend smoothly, scaled by the styles' weights and normalized to
 * sum to 1 at every latent pixel. A mask of ones for one style (zeros for the others) gives that
 * style weight exactly 1 everywhere. Latent pixels that no style covers (every weighted mask 0
 * around them) take the styles by their weights alone.
 * @returns `[S, H/multiple, W/multiple, 1]`.
 */
export function regionWeights(masks: tf.Tensor4D, multiple: number, styleWeights: number[], radius = REGION_BLEND_RADIUS): tf.Tensor4D {
  return tf.tidy(() => {
    const s = masks.shape[0];
    let w = multiple > 1 ? (tf.avgPool(masks, multiple, multiple, 'valid') as tf.Tensor4D) : masks;
    const [, h, wd] = w.shape;
    // Reflection needs a pad smaller than the side; tiny latents blur less.
    const r = Math.min(radius, h - 1, wd - 1);
    if (r > 0)
      w = tf.avgPool(
        tf.mirrorPad(
          w,
          [
            [0, 0],
            [r, r],
            [r, r],
            [0, 0],
          ],
          'reflect',
        ) as tf.Tensor4D,
        2 * r + 1,
        1,
        'valid',
      ) as tf.Tensor4D;
    const scaled = tf.mul(w, tf.reshape(tf.tensor1d(styleWeights), [s, 1, 1, 1]));
    const total = tf.sum(scaled, 0, true);
    const fallback = tf.reshape(tf.tensor1d(styleWeights.map((v) => v / styleWeights.reduce((a, b) => a + b, 0))), [s, 1, 1, 1]);
    const covered = tf.greater(total, 0);
    return tf.where(
      tf.broadcastTo(covered, scaled.shape),
      tf.div(scaled, tf.maximum(total, 1e-30)),
      tf.broadcastTo(fallback, scaled.shape),
    ) as tf.Tensor4D;
  });
}

/**
 * The content pixels that no style covers: where every mask times its style's weight is 0.
 * Reads the masks back (a check before work). `masks` `[S, H, W, 1]`.
 * @returns how many pixels, and the rows and columns they span (null when every pixel is covered).
 */
export function uncoveredPixels(
  masks: tf.Tensor4D,
  styleWeights: number[],
): { count: number; rows: [number, number]; columns: [number, number] } | null {
  const [, h, w] = masks.shape;
  const total = tf.tidy(() => tf.sum(tf.mul(masks, tf.reshape(tf.tensor1d(styleWeights), [-1, 1, 1, 1])), 0).dataSync());
  let count = 0;
  let [r0, r1, c0, c1] = [h, -1, w, -1];
  total.forEach((v, i) => {
    if (v > 0) return;
    count++;
    const [r, c] = [Math.floor(i / w), i % w];
    [r0, r1, c0, c1] = [Math.min(r0, r), Math.max(r1, r), Math.min(c0, c), Math.max(c1, c)];
  });
  return count === 0 ? null : { count, rows: [r0, r1], columns: [c0, c1] };
}
