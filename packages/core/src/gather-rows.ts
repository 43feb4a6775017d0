import * as tf from '@tensorflow/tfjs-core';

/**
 * Rows of `x` at `indices`: `out[i] = x[indices[i]]`, differentiable in `x`. Same result as
 * `tf.gather(x, indices)`, but the forward pass uses `gatherND` (several times faster than gather
 * on wasm 4.22 for many rows) and the gradient is one `unsortedSegmentSum` of the incoming rows.
 * @param x `[M, c]`
 * @param indices `[n]` int32, each in `[0, M)`; not differentiated.
 * @returns `[n, c]`
 */
export function gatherRows(x: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const m = x.shape[0];
  const op = tf.customGrad(((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const value = tf.tidy(() => tf.gatherND(xx, tf.reshape(indices, [-1, 1])) as tf.Tensor2D);
    // Kept for the backward pass: `indices` may be an intermediate of the caller's scope.
    save([indices]);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.unsortedSegmentSum(dy as tf.Tensor2D, saved[0] as tf.Tensor1D, m) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor2D;
}

/**
 * Per-row pick: `out[r, j] = values[r, cols[r, j]]`, as one flat `gatherND` (wasm 4.22's
 * `gather` with `batchDims = 1` returns garbage for some shapes). Not differentiable in `cols`.
 * @param values `[R, W]`
 * @param cols `[R, K]` int32 in `[0, W)`
 * @returns `[R, K]`
 */
export function pickColumns<T extends tf.Tensor2D>(values: T, cols: tf.Tensor2D): T {
  return tf.tidy(() => {
    const [r, w] = values.shape;
    const rowStart = tf.reshape(tf.mul(tf.range(0, r, 1, 'int32'), tf.scalar(w, 'int32')), [r, 1]);
    const flat = tf.reshape(tf.add(cols, rowStart), [-1, 1]);
    return tf.reshape(tf.gatherND(tf.reshape(values, [-1]), flat), cols.shape) as T;
  });
}
