import type * as tf from '@tensorflow/tfjs-core';

/**
 * The time of a strength-slider move on a frame stylizer (`restyle`: one decode of the last
 * frame) at strengths 0.25, 0.5 and 0.75, each until its values are read, in milliseconds.
 */
export async function restyleTimes(stylizer: { restyle(strength: number): tf.Tensor }): Promise<number[]> {
  const times: number[] = [];
  for (const strength of [0.25, 0.5, 0.75]) {
    const t0 = performance.now();
    const y = stylizer.restyle(strength);
    await y.data();
    times.push(performance.now() - t0);
    y.dispose();
  }
  return times;
}
