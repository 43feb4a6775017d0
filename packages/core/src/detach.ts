import * as tf from '@tensorflow/tfjs-core';

type Detached = <T extends tf.Tensor>() => T;

/**
 * A copy of `x` (same data, no copy of the buffer) that gradient tapes treat as a constant, as
 * `stop_gradient` would: it is produced by a custom op with no inputs, so nothing upstream of `x`
 * is on the path of any gradient through it. Use it for discrete results such as k-NN indices,
 * whose int32 tensors would otherwise make `tf.grad` ask for a gradient of an integer input.
 * @param x any tensor; not disposed.
 */
export function detach<T extends tf.Tensor>(x: T): T {
  // The forward pass of a custom op runs at kernel depth > 0, so the clone is not taped either.
  const op = tf.customGrad((() => ({ value: tf.clone(x), gradFunc: () => [] })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as Detached)<T>();
}
