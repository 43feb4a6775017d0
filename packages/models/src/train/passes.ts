import * as tf from '@tensorflow/tfjs-core';
import type { Latent, TpfrModel } from '../model/model.js';
import { applyInSegments } from './segments.js';

/*
 * The network passes of a training step (encoder, decoders, discriminator). With `recomputeFor`
 * (the variables the update trains), a pass runs block by block for gradient checkpointing
 * (`applyInSegments`): the tape keeps the maps between blocks, and each block runs again in the
 * backward pass; without it, the plain call. `wantsInput` says whether gradients flow back
 * through the pass's input (a generated image or a code) or not (a batch image: then it is a
 * constant).
 */

/** `model.encode(images, { training })`, one pass. */
export function encodePass(
  model: TpfrModel,
  images: tf.Tensor4D,
  opts: { training: boolean; wantsInput: boolean; recomputeFor?: readonly tf.Variable[] },
): Latent {
  if (!opts.recomputeFor) return model.encode(images, { training: opts.training });
  const [content, style, middle] = applyInSegments(model.encoder, [images], {
    training: opts.training,
    wantsInput: [opts.wantsInput],
    trained: opts.recomputeFor,
  }) as tf.Tensor4D[];
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
  const latent = tf.concat([z.content, z.style], -1);
  const [image] = applyInSegments(net, [latent], { training, wantsInput: [true], trained: opts.recomputeFor });
  latent.dispose();
  return image as tf.Tensor4D;
}

/** The discriminator's scores of `[image, condition]` (training); `condition` is a constant (a batch image with noise). */
export function discriminatorPass(
  model: TpfrModel,
  image: tf.Tensor4D,
  condition: tf.Tensor4D,
  opts: { wantsInput: boolean; recomputeFor?: readonly tf.Variable[] },
): tf.Tensor {
  if (!opts.recomputeFor) return model.discriminator.apply([image, condition], { training: true }) as tf.Tensor;
  return applyInSegments(model.discriminator, [image, condition], {
    training: true,
    wantsInput: [opts.wantsInput, false],
    trained: opts.recomputeFor,
  })[0];
}
