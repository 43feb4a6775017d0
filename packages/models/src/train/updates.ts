import * as tf from '@tensorflow/tfjs-core';
import {
  contentFeatureCycleLoss,
  latentCycleLoss,
  meanOverExemplars,
  metricLearningLoss,
  reconstructionLoss,
  raganBceDiscriminatorLoss,
  raganBceGeneratorLoss,
  raganLsDiscriminatorLoss,
  raganLsGeneratorLoss,
  transferLatentCycleLoss,
} from '@tpfr/losses';
import { hashSeed } from '@tpfr/core/utils';
import { stackPeersPerSample } from '@tpfr/layers';
import type { StyleBatch } from '../data/types.js';
import type { Latent, PeerCodes, TpfrModel } from '../model/model.js';
import { decodePass, discriminatorPass, encodePass } from './passes.js';

/*
 * The loss terms of the three updates of a training step (method §6), each a function of the model,
 * the batch and the step's seed. Each returns its terms unweighted, by name; the trainer weights
 * them (`weightedLossSum`) and hands the sum to the update's optimizer.
 */

/** What the updates need of the trainer's options. */
export interface UpdateOptions {
  adversarial: 'ls' | 'bce';
  peerPaintings: 1 | 2;
  /**
   * The variables this update trains, when the network passes recompute their activations block
   * by block in the backward pass (the trainer's `recompute`); absent, the passes keep them.
   */
  recomputeFor?: readonly tf.Variable[];
}

/**
 * Discriminator scores of `image` given `condition`, with seeded input noise (training); gradients
 * flow back to `image` when `wantsInput` (a generated image in the main update).
 */
function discriminate(
  model: TpfrModel,
  image: tf.Tensor4D,
  condition: tf.Tensor4D,
  seed: number,
  salt: number,
  pass: { wantsInput: boolean; recomputeFor?: readonly tf.Variable[] },
): tf.Tensor {
  const std = model.config.discriminatorNoise;
  // At std 0 the noise is exactly 0 (x + 0 = x).
  const noisy = (x: tf.Tensor4D, s: number) =>
    tf.add(x, tf.randomNormal(x.shape, 0, std, 'float32', hashSeed(seed, salt, s) >>> 1)) as tf.Tensor4D;
  return discriminatorPass(model, noisy(image, 0), noisy(condition, 1), pass);
}

/**
 * A relativistic loss over the two (real, generated, condition) triples of a batch: photo A
 * against its reconstruction given A′, painting B against the stylization given B′; the
 * discriminator's input noise is seeded from `seed` and `salt` (distinct per update and image).
 */
function relativisticLoss(
  model: TpfrModel,
  batch: StyleBatch,
  fromPhoto: tf.Tensor4D,
  fromPainting: tf.Tensor4D,
  seed: number,
  salt: number,
  loss: (real: tf.Tensor, fake: tf.Tensor) => tf.Scalar,
  pass: { fakesWantInput: boolean; recomputeFor?: readonly tf.Variable[] },
): tf.Scalar {
  const triples: [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D][] = [
    [batch.photoA, fromPhoto, batch.photoA2],
    [batch.paintingB, fromPainting, batch.paintingB2],
  ];
  const { recomputeFor } = pass;
  return meanOverExemplars(triples, ([real, fake, cond], i) =>
    loss(
      discriminate(model, real, cond, seed, salt + 2 * i, { wantsInput: false, recomputeFor }),
      discriminate(model, fake, cond, seed, salt + 1 + 2 * i, { wantsInput: pass.fakesWantInput, recomputeFor }),
    ),
  );
}

/**
 * The peer pool of each sample: B′'s code alone, or B′'s and B's when `zB` is given, as
 * `[B, P, h, w, C]` with sample i's exemplars B′ᵢ (and Bᵢ).
 */
function peerPool(zB2: Latent, zB?: Latent): PeerCodes {
  const rows = (t: tf.Tensor4D) => Array.from({ length: t.shape[0] }, (_, i) => tf.slice(t, [i], [1]) as tf.Tensor4D);
  const stack = (which: 'content' | 'style') => {
    const b2 = rows(zB2[which]);
    const b = zB ? rows(zB[which]) : null;
    return stackPeersPerSample(b2.map((r, i) => (b ? [r, b[i]] : r)));
  };
  return { content: stack('content'), style: stack('style') };
}

/**
 * One pass of `run` over several batches at once: the i-th inputs of every batch concatenated
 * along the batch (the networks treat each sample on its own), each output split back per batch.
 * Fewer, larger convolutions than a pass per batch; the same values up to float rounding.
 */
function passTogether(batches: tf.Tensor4D[][], run: (inputs: tf.Tensor4D[]) => tf.Tensor4D[]): tf.Tensor4D[][] {
  if (batches.length === 1) return [run(batches[0])];
  const sizes = batches.map((inputs) => inputs[0].shape[0]);
  const joined = batches[0].map(
    (_, i) =>
      tf.concat(
        batches.map((inputs) => inputs[i]),
        0,
      ) as tf.Tensor4D,
  );
  const outputs = run(joined);
  tf.dispose(joined);
  const parts = outputs.map((t) => tf.split(t, sizes, 0) as tf.Tensor4D[]);
  tf.dispose(outputs);
  return sizes.map((_, k) => parts.map((p) => p[k]));
}

/** The latents of several batches of images, from one encoder pass ({@link passTogether}). */
function encodeTogether(images: tf.Tensor4D[], encode: (x: tf.Tensor4D) => Latent): Latent[] {
  return passTogether(
    images.map((x) => [x]),
    ([x]) => {
      const z = encode(x);
      return [z.content, z.style, z.middle];
    },
  ).map(([content, style, middle]) => ({ content, style, middle }));
}

/** The images of several latents, from one decoder pass ({@link passTogether}). */
function decodeTogether(
  latents: Pick<Latent, 'content' | 'style'>[],
  decode: (z: Pick<Latent, 'content' | 'style'>) => tf.Tensor4D,
): tf.Tensor4D[] {
  return passTogether(
    latents.map((z) => [z.content, z.style]),
    ([content, style]) => [decode({ content, style })],
  ).map(([image]) => image);
}

/**
 * The auxiliary update's terms (encoder + auxiliary decoder): reconstruction, content-feature
 * cycle, metric learning on style codes, latent cycle.
 */
export function auxiliaryTerms(model: TpfrModel, batch: StyleBatch, o: UpdateOptions): Record<string, tf.Scalar> {
  const m = model;
  const { recomputeFor } = o;
  const encode = (x: tf.Tensor4D, wantsInput: boolean) => encodePass(m, x, { training: true, wantsInput, recomputeFor });
  const [zA, zB, zA2, zB2] = encodeTogether([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2], (x) => encode(x, false));
  const [recA, recB2] = decodeTogether([zA, zB2], (z) => decodePass(m, z, { decoder: 'aux', training: true, recomputeFor }));
  const reconstruction = reconstructionLoss([
    [recA, batch.photoA],
    [recB2, batch.paintingB2],
  ]);
  // Content feature cycle: the stylized image and the main decoder's reconstruction must keep
  // the content code of A (gradients reach the encoder only: only its weights are updated).
  const recombined = m.recombine(zA, peerPool(zB2, o.peerPaintings === 2 ? zB : undefined));
  const [stylized, mainRec] = decodeTogether([recombined, zA], (z) => decodePass(m, z, { decoder: 'main', training: false, recomputeFor }));
  const [zStylized, zMainRec, cycA, cycB2] = encodeTogether([stylized, mainRec, recA, recB2], (x) => encode(x, true));
  const contentFeatureCycle = contentFeatureCycleLoss([
    [zStylized.content, zA.content],
    [zMainRec.content, zA.content],
  ]);
  const metricLearning = metricLearningLoss(
    [
      [zB2.style, zB.style],
      [zA2.style, zA.style],
    ],
    [
      [zA2.style, zB.style],
      [zB2.style, zA.style],
    ],
  );
  const latentCycle = latentCycleLoss([
    [{ content: zA.content, style: zA.style, middle: zA.middle }, cycA],
    [{ style: zB2.style, middle: zB2.middle }, cycB2],
  ]);
  return { reconstruction, contentFeatureCycle, metricLearning, latentCycle };
}

/**
 * The main update's terms (TPFR layer + main decoder; the encoder frozen): relativistic
 * adversarial, reconstruction, transfer latent cycle; also the generated images for the
 * discriminator.
 */
export function mainTerms(
  model: TpfrModel,
  batch: StyleBatch,
  seed: number,
  o: UpdateOptions,
): { terms: Record<string, tf.Scalar>; reconstruction: tf.Tensor4D; stylized: tf.Tensor4D } {
  const m = model;
  const { recomputeFor } = o;
  // The encoder is frozen here: its passes on the batch's images are constants.
  const encode = (x: tf.Tensor4D, wantsInput: boolean) => encodePass(m, x, { training: false, wantsInput, recomputeFor });
  const decode = (z: Pick<Latent, 'content' | 'style'>) => decodePass(m, z, { decoder: 'main', training: true, recomputeFor });
  const images = [batch.photoA, batch.paintingB2, ...(o.peerPaintings === 2 ? [batch.paintingB] : [])];
  const [zA, zB2, zB] = encodeTogether(images, (x) => encode(x, false));
  const recombined = m.recombine(zA, peerPool(zB2, zB), { training: true });
  const [recA, recB2, stylized] = decodeTogether([zA, zB2, recombined], decode);
  const gLoss = o.adversarial === 'ls' ? raganLsGeneratorLoss : raganBceGeneratorLoss;
  const adversarial = relativisticLoss(m, batch, recA, stylized, seed, 20, gLoss, { fakesWantInput: true, recomputeFor });
  const reconstruction = reconstructionLoss([
    [recA, batch.photoA],
    [recB2, batch.paintingB2],
  ]);
  const zS = encode(stylized, true);
  const transferLatentCycle = transferLatentCycleLoss({ content: zS.content, style: zS.style }, { content: zA.content, style: zB2.style });
  return { terms: { adversarial, reconstruction, transferLatentCycle }, reconstruction: recA, stylized };
}

/**
 * The discriminator update's term: relativistic adversarial loss of real against generated
 * images (`fakes`: B reconstructions then B stylizations, through the image history), conditioned on
 * the second photo / painting.
 */
export function discriminatorTerms(
  model: TpfrModel,
  batch: StyleBatch,
  fakes: tf.Tensor4D,
  seed: number,
  o: UpdateOptions,
): Record<string, tf.Scalar> {
  const b = batch.photoA.shape[0];
  const fakeRec = tf.slice(fakes, [0, 0, 0, 0], [b, -1, -1, -1]) as tf.Tensor4D;
  const fakeSty = tf.slice(fakes, [b, 0, 0, 0], [b, -1, -1, -1]) as tf.Tensor4D;
  const dLoss = o.adversarial === 'ls' ? raganLsDiscriminatorLoss : raganBceDiscriminatorLoss;
  const pass = { fakesWantInput: false, recomputeFor: o.recomputeFor };
  return { adversarial: relativisticLoss(model, batch, fakeRec, fakeSty, seed, 10, dLoss, pass) };
}
