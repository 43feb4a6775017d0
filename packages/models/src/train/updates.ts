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

/*
 * The loss terms of the three updates of a training step (method §6), each a function of the model,
 * the batch and the step's seed. Each returns its terms unweighted, by name; the trainer weights
 * them (`weightedLossSum`) and hands the sum to the update's optimizer.
 */

/** What the updates need of the trainer's options. */
export interface UpdateOptions {
  adversarial: 'ls' | 'bce';
  peerPaintings: 1 | 2;
}

/** Discriminator scores of `image` given `condition`, with seeded input noise (training). */
function discriminate(model: TpfrModel, image: tf.Tensor4D, condition: tf.Tensor4D, seed: number, salt: number): tf.Tensor {
  const std = model.config.discriminatorNoise;
  // At std 0 the noise is exactly 0 (x + 0 = x).
  const noisy = (x: tf.Tensor4D, s: number) => tf.add(x, tf.randomNormal(x.shape, 0, std, 'float32', hashSeed(seed, salt, s) >>> 1));
  return model.discriminator.apply([noisy(image, 0), noisy(condition, 1)], { training: true }) as tf.Tensor;
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
): tf.Scalar {
  const triples: [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D][] = [
    [batch.photoA, fromPhoto, batch.photoA2],
    [batch.paintingB, fromPainting, batch.paintingB2],
  ];
  return meanOverExemplars(triples, ([real, fake, cond], i) =>
    loss(discriminate(model, real, cond, seed, salt + 2 * i), discriminate(model, fake, cond, seed, salt + 1 + 2 * i)),
  );
}

/**
 * The peer pool of each sample: B′'s code alone (`peerPaintings` 1), or B′'s and B's (`codeOfB`
 * is called only then), as `[B, P, h, w, C]` with sample i's exemplars B′ᵢ (and Bᵢ).
 */
function peerPool(peerPaintings: 1 | 2, zB2: Latent, codeOfB: () => Latent): PeerCodes {
  const zB = peerPaintings === 1 ? null : codeOfB();
  const rows = (t: tf.Tensor4D) => Array.from({ length: t.shape[0] }, (_, i) => tf.slice(t, [i], [1]) as tf.Tensor4D);
  const stack = (which: 'content' | 'style') => {
    const b2 = rows(zB2[which]);
    const b = zB ? rows(zB[which]) : null;
    return stackPeersPerSample(b2.map((r, i) => (b ? [r, b[i]] : r)));
  };
  return { content: stack('content'), style: stack('style') };
}

/**
 * The auxiliary update's terms (encoder + auxiliary decoder): reconstruction, content-feature
 * cycle, metric learning on style codes, latent cycle.
 */
export function auxiliaryTerms(model: TpfrModel, batch: StyleBatch, o: UpdateOptions): Record<string, tf.Scalar> {
  const m = model;
  const zA = m.encode(batch.photoA, { training: true });
  const zB = m.encode(batch.paintingB, { training: true });
  const zA2 = m.encode(batch.photoA2, { training: true });
  const zB2 = m.encode(batch.paintingB2, { training: true });
  const recA = m.decode(zA, { decoder: 'aux', training: true });
  const recB2 = m.decode(zB2, { decoder: 'aux', training: true });
  const reconstruction = reconstructionLoss([
    [recA, batch.photoA],
    [recB2, batch.paintingB2],
  ]);
  // Content feature cycle: the stylized image and the main decoder's reconstruction must keep
  // the content code of A (gradients reach the encoder only: only its weights are updated).
  const stylized = m.decode(
    m.recombine(
      zA,
      peerPool(o.peerPaintings, zB2, () => zB),
    ),
  );
  const mainRec = m.decode(zA);
  const contentFeatureCycle = contentFeatureCycleLoss([
    [m.encode(stylized, { training: true }).content, zA.content],
    [m.encode(mainRec, { training: true }).content, zA.content],
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
  const cycA = m.encode(recA, { training: true });
  const cycB2 = m.encode(recB2, { training: true });
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
  const zA: Latent = m.encode(batch.photoA);
  const zB2: Latent = m.encode(batch.paintingB2);
  const recA = m.decode(zA, { training: true });
  const recB2 = m.decode(zB2, { training: true });
  const recombined = m.recombine(
    zA,
    peerPool(o.peerPaintings, zB2, () => m.encode(batch.paintingB)),
    { training: true },
  );
  const stylized = m.decode(recombined, { training: true });
  const gLoss = o.adversarial === 'ls' ? raganLsGeneratorLoss : raganBceGeneratorLoss;
  const adversarial = relativisticLoss(m, batch, recA, stylized, seed, 20, gLoss);
  const reconstruction = reconstructionLoss([
    [recA, batch.photoA],
    [recB2, batch.paintingB2],
  ]);
  const zS = m.encode(stylized);
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
  return { adversarial: relativisticLoss(model, batch, fakeRec, fakeSty, seed, 10, dLoss) };
}
