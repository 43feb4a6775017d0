/**
 * The peer inputs of the TPFR layer (`PeerRecombination`): peer content `[B, P, h, w, Cc]` and
 * peer style `[B, P, h, w, Cs]`, P exemplars per sample on an axis of their own, built here from
 * exemplar codes.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { assertInteger, assertRank, formatShape } from '@tpfr/core/utils';

/**
 * Latent codes of style exemplars: a stack `[P, h, w, C]` (one exemplar is `[1, h, w, C]`), or a
 * list of stacks, taken in order (P = the sum of their first dims). Every exemplar has the same
 * `h, w, C`: resize the images to one size before encoding them.
 */
export type ExemplarCodes = tf.Tensor4D | readonly tf.Tensor4D[];

/** `codes` as one `[P, h, w, C]` stack (call in a tidy), checked; errors name `fn` and `what`. */
function exemplarStack(fn: string, what: string, codes: ExemplarCodes): tf.Tensor4D {
  const list = Array.isArray(codes) ? (codes as readonly tf.Tensor4D[]) : [codes as tf.Tensor4D];
  if (list.length === 0) throw new ValueError(fn, `at least one exemplar in ${what}`, 'an empty list');
  list.forEach((t, i) => assertRank(fn, Array.isArray(codes) ? `${what}[${i}]` : what, t, 4, '[P, h, w, C]'));
  const [, h, w, c] = list[0].shape;
  list.forEach((t, i) => {
    if (t.shape[1] !== h || t.shape[2] !== w || t.shape[3] !== c) {
      throw new ShapeError(
        fn,
        `${what}[${i}] [P, h, w, C] with h, w, C = ${h}, ${w}, ${c} as ${what}[0] (resize the exemplars to one size)`,
        `shape ${formatShape(t.shape)}`,
      );
    }
  });
  if (list.every((t) => t.shape[0] === 0))
    throw new ValueError(fn, `at least one exemplar in ${what}`, `P = 0 (shape ${formatShape(list[0].shape)})`);
  return tf.concat(list as tf.Tensor4D[], 0) as tf.Tensor4D; // one stack: a clone, sharing its data
}

/**
 * The peer input of a batch whose B samples all meet the same exemplars: each sample's peers are
 * the P exemplars of `exemplars`, in order. Differentiable (gradients reach the codes).
 * @param exemplars `[P, h, w, C]`, or a list of such stacks (`[1, h, w, C]` each, say), concatenated.
 * @param batch B, the batch size of the input the peers go with.
 * @returns `[B, P, h, w, C]` (a new tensor; B copies of the exemplars).
 * @throws ShapeError for a code not of rank 4 or of another `h, w, C`; ValueError for no exemplar
 *   or a batch not an integer ≥ 1.
 */
export function stackPeers(exemplars: ExemplarCodes, batch: number): tf.Tensor5D {
  const fn = 'stackPeers';
  assertInteger(fn, 'batch', batch, 1);
  return tf.tidy(() => {
    const stack = exemplarStack(fn, 'exemplars', exemplars);
    const [p, h, w, c] = stack.shape;
    // B copies as rows of a matrix, joined by concat (a copy per sample; wasm's tile kernel is
    // ~50× slower, and tfjs has no gradient for tile on rank 5); one sample needs no copy.
    const row = tf.reshape(stack, [1, -1]);
    return tf.reshape(
      batch === 1
        ? row
        : tf.concat(
            Array.from({ length: batch }, () => row),
            0,
          ),
      [batch, p, h, w, c],
    ) as tf.Tensor5D;
  });
}

/**
 * The peer input of a batch whose samples each have exemplars of their own: sample b's peers are
 * `samples[b]`. Every sample has the same number P of exemplars, all of one `h, w, C`.
 * Differentiable.
 * @param samples per sample, its exemplars as in {@link stackPeers} (a stack `[P, h, w, C]` or a
 *   list of stacks).
 * @returns `[B, P, h, w, C]`, B = `samples.length` (a new tensor).
 * @throws ShapeError for samples of different P, h, w or C; ValueError for no sample or a sample
 *   without exemplars.
 */
export function stackPeersPerSample(samples: readonly ExemplarCodes[]): tf.Tensor5D {
  const fn = 'stackPeersPerSample';
  if (!Array.isArray(samples) || samples.length === 0)
    throw new ValueError(fn, 'at least one sample', Array.isArray(samples) ? 'an empty list' : typeof samples);
  return tf.tidy(() => {
    const stacks = samples.map((s, b) => exemplarStack(fn, `samples[${b}]`, s));
    const first = stacks[0].shape;
    stacks.forEach((t, b) => {
      if (t.shape.join() !== first.join()) {
        throw new ShapeError(
          fn,
          `samples[${b}]'s exemplars [P, h, w, C] of P, h, w, C = ${first.join(', ')} as samples[0]'s`,
          `shape ${formatShape(t.shape)}`,
        );
      }
    });
    return tf.stack(stacks, 0) as tf.Tensor5D;
  });
}
