import type * as tfl from '@tensorflow/tfjs-layers';
import type * as tf from '@tensorflow/tfjs-core';
import { recomputed } from '@tpfr/core';
import type { Latent, TpfrModel } from '../model/model.js';

/*
 * The network passes of a training step (encoder, decoders, discriminator), each as one unit for
 * gradient checkpointing: with `recomputeFor` (the variables the update trains), a pass keeps only
 * its inputs and outputs on the tape and runs again in the backward pass (`recomputed` of
 * @tpfr/core); without it, the plain call. `wantsInput` says whether gradients flow back through
 * the pass's input (a generated image or a code) or not (a batch image: then it is a constant).
 */

/** The variables of `net` among those the update trains. */
function trainedIn(net: tfl.LayersModel, trained: readonly tf.Variable[]): tf.Variable[] {
  const ids = new Set(net.trainableWeights.map((w) => (w.read() as tf.Variable).id));
  return trained.filter((v) => ids.has(v.id));
}

/** `model.encode(images, { training })`, one pass. */
export function encodePass(
  model: TpfrModel,
  images: tf.Tensor4D,
  opts: { training: boolean; wantsInput: boolean; recomputeFor?: readonly tf.Variable[] },
): Latent {
  if (!opts.recomputeFor) return model.encode(images, { training: opts.training });
  const [content, style, middle] = recomputed(
    (xs, cs) => {
      const z = model.encode((xs[0] ?? cs[0]) as tf.Tensor4D, { training: opts.training });
      return [z.content, z.style, z.middle];
    },
    { [opts.wantsInput ? 'inputs' : 'constants']: [images], weights: trainedIn(model.encoder, opts.recomputeFor) },
  ) as tf.Tensor4D[];
  return { content, style, middle };
}

/** `model.decode(z, { decoder, training })`, one pass; gradients always flow back to `z`. */
export function decodePass(
  model: TpfrModel,
  z: Pick<Latent, 'content' | 'style'>,
  opts: { decoder: 'main' | 'aux'; training: boolean; recomputeFor?: readonly tf.Variable[] },
): tf.Tensor4D {
  const { decoder, training } = opts;
  if (!opts.recomputeFor) return model.decode(z, { decoder, training });
  const net = decoder === 'aux' ? model.auxDecoder : model.mainDecoder;
  return recomputed(
    ([content, style]) => [model.decode({ content: content as tf.Tensor4D, style: style as tf.Tensor4D }, { decoder, training })],
    { inputs: [z.content, z.style], weights: trainedIn(net, opts.recomputeFor) },
  )[0] as tf.Tensor4D;
}

/** The discriminator's scores of `[image, condition]` (training); `condition` is a constant (a batch image with noise). */
export function discriminatorPass(
  model: TpfrModel,
  image: tf.Tensor4D,
  condition: tf.Tensor4D,
  opts: { wantsInput: boolean; recomputeFor?: readonly tf.Variable[] },
): tf.Tensor {
  const apply = (x: tf.Tensor, c: tf.Tensor) => model.discriminator.apply([x, c], { training: true }) as tf.Tensor;
  if (!opts.recomputeFor) return apply(image, condition);
  const weights = trainedIn(model.discriminator, opts.recomputeFor);
  if (opts.wantsInput) return recomputed(([x], [c]) => [apply(x, c)], { inputs: [image], constants: [condition], weights })[0];
  return recomputed((_, [x, c]) => [apply(x, c)], { constants: [image, condition], weights })[0];
}
