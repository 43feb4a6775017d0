import * as tf from '@tensorflow/tfjs-core';
import type { TapeState } from './tape-state.js';

interface EngineGradients {
  state: TapeState;
  gradients<T extends tf.Tensor>(
    f: () => T,
    xs: tf.Tensor[],
    dy?: T,
    allowNoGradients?: boolean,
  ): { value: T; grads: (tf.Tensor | null)[] };
}

/**
 * Runs `f(inputs)` so that a gradient tape keeps only its inputs and outputs, not the maps `f`
 * makes on the way (gradient checkpointing): the backward pass runs `f` again on a tape of its
 * own and takes the gradients of `inputs` and `weights` from there. A step then holds the
 * intermediates of one such `f` at a time instead of all of them, for one more forward pass of
 * each. Outside a gradient computation it is `f(inputs)`.
 *
 * @example
 * ```ts
 * const net = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] })] });
 * const weights = net.trainableWeights.map((w) => w.read() as tf.Variable);
 * const x = tf.ones([2, 3]);
 * const { grads } = tf.variableGrads(() => tf.sum(recomputed(([v]) => [net.apply(v) as tf.Tensor], { inputs: [x], weights })[0]));
 * ```
 * @param f a deterministic function (its second run must give the same values: no unseeded
 *   randomness, no state it updates per call such as batch normalization's moving statistics)
 *   of `inputs` and `constants`, that may read `weights`; returns one or more float32 tensors.
 * @param args.inputs the tensors whose gradients flow back through `f`.
 * @param args.constants tensors `f` reads as constants (no gradient), such as a batch's images.
 * @param args.weights the variables `f` reads whose gradients are wanted (variables not listed
 *   are constants). `inputs` and `constants` are kept until the backward pass; `f` must read no
 *   other tensor that could be freed before then.
 * @returns `f`'s outputs, with gradients to `inputs` and `weights`.
 */
export function recomputed(
  f: (inputs: tf.Tensor[], constants: tf.Tensor[]) => tf.Tensor[],
  args: { inputs?: tf.Tensor[]; constants?: tf.Tensor[]; weights?: readonly tf.Variable[] },
): tf.Tensor[] {
  const { inputs = [], constants = [], weights = [] } = args;
  const engine = tf.engine() as unknown as EngineGradients;
  if (engine.state.gradientDepth === 0) return f(inputs, constants);
  const n = inputs.length;
  let shapes: number[][] = [];
  const op = tf.customGrad(((...opArgs: unknown[]) => {
    const save = opArgs[opArgs.length - 1] as tf.GradSaveFunc;
    const xs = opArgs.slice(0, n) as tf.Tensor[];
    // A custom op's forward pass runs untaped: f's intermediates are freed as it goes.
    const outs = f(xs, constants);
    shapes = outs.map((o) => o.shape);
    save([...xs, ...constants]);
    return {
      value: flat(outs),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const wrt = [...saved.slice(0, n), ...weights];
        // tfjs' engine keeps one tape per outermost gradient computation and frees it when one
        // ends at depth 0, as this nested one does: the outer backward pass's tape is put back.
        const outer = engine.state.activeTape;
        try {
          const { value, grads } = engine.gradients(() => flat(f(saved.slice(0, n), saved.slice(n))), wrt, dy, true);
          value.dispose();
          return grads.map((g, i) => g ?? tf.zerosLike(wrt[i]));
        } finally {
          engine.state.activeTape = outer;
        }
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const value = (op as unknown as (...xs: tf.Tensor[]) => tf.Tensor)(...inputs, ...weights);
  if (shapes.length === 1) return [value];
  const sizes = shapes.map((s) => tf.util.sizeFromShape(s));
  const parts = tf.split(value, sizes);
  value.dispose();
  return parts.map((p, i) => {
    const r = tf.reshape(p, shapes[i]);
    p.dispose();
    return r;
  });
}

/** One output as it is, several as one flat vector (a custom op has one output). */
function flat(outs: tf.Tensor[]): tf.Tensor {
  if (outs.length === 1) return outs[0];
  return tf.tidy(() => tf.concat(outs.map((o) => tf.reshape(o, [-1]))));
}
