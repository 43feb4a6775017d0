import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { hashSeed } from '@tpfr/core/utils';
import {
  contentFeatureCycleLoss,
  latentCycleLoss,
  metricLearningLoss,
  raganBceDiscriminatorLoss,
  raganBceGeneratorLoss,
  raganLsDiscriminatorLoss,
  raganLsGeneratorLoss,
  reconstructionLoss,
  transferLatentCycleLoss,
} from '@tpfr/losses';
import { stackPeersPerSample } from '@tpfr/layers';
import { createSyntheticDataset, type StyleBatch } from '@tpfr/models/data';
import { MICRO_MODEL } from '@tpfr/testing';
import { TpfrModel } from '../model/model.js';
import { seedKernels } from '../model/seeded-init.js';
import { auxiliaryTerms, discriminatorTerms, mainTerms } from './updates.js';

/*
 * Each update's terms against their definitions (method §6), computed here from the model's public
 * parts. The discriminator's input noise is off (discriminatorNoise 0) where values are compared.
 */

let model: TpfrModel;
let noisy: TpfrModel;
let batch: StyleBatch;
const value = (t: tf.Tensor) => t.dataSync()[0];
const close = (a: tf.Tensor, b: tf.Tensor) => expect(Math.abs(value(a) - value(b))).toBeLessThan(1e-5 * Math.max(1, Math.abs(value(b))));

beforeAll(async () => {
  await initBackend('wasm');
  // Made here without TpfrTrainer.createModel: hooks are outside Stryker's per-test coverage.
  model = TpfrModel.create({ ...MICRO_MODEL, discriminatorNoise: 0 });
  noisy = TpfrModel.create(MICRO_MODEL);
  for (const m of [model, noisy]) seedKernels(Object.values(m.parts()), 41);
  batch = createSyntheticDataset({ size: 32, seed: 41 }).sampleBatch(0, 2);
});
afterAll(() => {
  tf.dispose([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
  model.dispose();
  noisy.dispose();
});

/** Sample i's peer pool: B′ᵢ (and Bᵢ). */
const peerPool = (zB2: tf.Tensor4D, zB: tf.Tensor4D | null) =>
  stackPeersPerSample(
    [0, 1].map((i) => {
      const r = tf.slice(zB2, [i], [1]) as tf.Tensor4D;
      return zB ? [r, tf.slice(zB, [i], [1]) as tf.Tensor4D] : r;
    }),
  );
const D = (m: TpfrModel, image: tf.Tensor4D, condition: tf.Tensor4D) =>
  m.discriminator.apply([image, condition], { training: true }) as tf.Tensor;

it.each([1, 2] as const)('the auxiliary terms are their definitions (peerPaintings %i)', (peerPaintings) => {
  tf.tidy(() => {
    const m = model;
    const terms = auxiliaryTerms(m, batch, { adversarial: 'ls', peerPaintings });
    expect(Object.keys(terms)).toEqual(['reconstruction', 'contentFeatureCycle', 'metricLearning', 'latentCycle']);
    const [zA, zB, zA2, zB2] = [batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2].map((x) => m.encode(x, { training: true }));
    const recA = m.decode(zA, { decoder: 'aux', training: true });
    const recB2 = m.decode(zB2, { decoder: 'aux', training: true });
    close(
      terms.reconstruction,
      reconstructionLoss([
        [recA, batch.photoA],
        [recB2, batch.paintingB2],
      ]),
    );
    const peers = {
      content: peerPool(zB2.content, peerPaintings === 2 ? zB.content : null),
      style: peerPool(zB2.style, peerPaintings === 2 ? zB.style : null),
    };
    const stylized = m.decode(m.recombine(zA, peers));
    const mainRec = m.decode(zA);
    close(
      terms.contentFeatureCycle,
      contentFeatureCycleLoss([
        [m.encode(stylized, { training: true }).content, zA.content],
        [m.encode(mainRec, { training: true }).content, zA.content],
      ]),
    );
    // Positives: two paintings of a class, two photos; negatives: photo against painting.
    close(
      terms.metricLearning,
      metricLearningLoss(
        [
          [zB2.style, zB.style],
          [zA2.style, zA.style],
        ],
        [
          [zA2.style, zB.style],
          [zB2.style, zA.style],
        ],
      ),
    );
    const cycA = m.encode(recA, { training: true });
    const cycB2 = m.encode(recB2, { training: true });
    close(
      terms.latentCycle,
      latentCycleLoss([
        [zA, cycA],
        [{ style: zB2.style, middle: zB2.middle }, cycB2],
      ]),
    );
  });
});

it.each([
  ['ls', raganLsGeneratorLoss],
  ['bce', raganBceGeneratorLoss],
] as const)('the main terms are their definitions (%s)', (adversarial, gLoss) => {
  tf.tidy(() => {
    const m = model;
    m.recombinationLayer.setDropoutSeed(5);
    const out = mainTerms(m, batch, 3, { adversarial, peerPaintings: 2 });
    expect(Object.keys(out.terms)).toEqual(['adversarial', 'reconstruction', 'transferLatentCycle']);
    const zA = m.encode(batch.photoA);
    const zB2 = m.encode(batch.paintingB2);
    const zB = m.encode(batch.paintingB);
    const recA = m.decode(zA, { training: true });
    const recB2 = m.decode(zB2, { training: true });
    const stylized = m.decode(
      m.recombine(zA, { content: peerPool(zB2.content, zB.content), style: peerPool(zB2.style, zB.style) }, { training: true }),
      { training: true },
    );
    m.recombinationLayer.setDropoutSeed(null);
    expect(tf.max(tf.abs(tf.sub(out.reconstruction, recA))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(out.stylized, stylized))).dataSync()[0]).toBeLessThan(1e-5);
    close(
      out.terms.reconstruction,
      reconstructionLoss([
        [recA, batch.photoA],
        [recB2, batch.paintingB2],
      ]),
    );
    // Relativistic: A against its reconstruction given A′, B against the stylization given B′; the mean of the two.
    const adv = tf.div(
      tf.add(
        gLoss(D(m, batch.photoA, batch.photoA2), D(m, recA, batch.photoA2)),
        gLoss(D(m, batch.paintingB, batch.paintingB2), D(m, stylized, batch.paintingB2)),
      ),
      2,
    );
    close(out.terms.adversarial, adv);
    const zS = m.encode(stylized);
    close(
      out.terms.transferLatentCycle,
      transferLatentCycleLoss({ content: zS.content, style: zS.style }, { content: zA.content, style: zB2.style }),
    );
  });
});

it.each([
  ['ls', raganLsDiscriminatorLoss],
  ['bce', raganBceDiscriminatorLoss],
] as const)(
  'the discriminator term is its definition on the images from the history, reconstructions then stylizations (%s)',
  (adversarial, dLoss) => {
    tf.tidy(() => {
      const m = model;
      // Stand-ins for the image history's output: the batch's 2 reconstructions, then its 2 stylizations.
      const fakeRec = tf.reverse(batch.photoA2, 1) as tf.Tensor4D;
      const fakeSty = tf.reverse(batch.paintingB, 2) as tf.Tensor4D;
      const fakes = tf.concat([fakeRec, fakeSty], 0) as tf.Tensor4D;
      const terms = discriminatorTerms(m, batch, fakes, 3, { adversarial, peerPaintings: 1 });
      expect(Object.keys(terms)).toEqual(['adversarial']);
      const expected = tf.div(
        tf.add(
          dLoss(D(m, batch.photoA, batch.photoA2), D(m, fakeRec, batch.photoA2)),
          dLoss(D(m, batch.paintingB, batch.paintingB2), D(m, fakeSty, batch.paintingB2)),
        ),
        2,
      );
      close(terms.adversarial, expected);
    });
  },
);

it("the discriminator's input noise is seeded by the step's seed, and off at discriminatorNoise 0", () => {
  tf.tidy(() => {
    const fakes = tf.concat([batch.photoA2, batch.paintingB], 0) as tf.Tensor4D;
    const o = { adversarial: 'ls', peerPaintings: 1 } as const;
    const at = (m: TpfrModel, seed: number) => value(discriminatorTerms(m, batch, fakes, seed, o).adversarial);
    expect(at(noisy, 3)).toBe(at(noisy, 3));
    expect(at(noisy, 3)).not.toBe(at(noisy, 4));
    expect(at(model, 3)).toBe(at(model, 4));
    noisy.recombinationLayer.setDropoutSeed(5); // the same stylization each time
    const { terms } = mainTerms(noisy, batch, 3, o);
    const again = mainTerms(noisy, batch, 3, o).terms;
    const other = mainTerms(noisy, batch, 4, o).terms;
    noisy.recombinationLayer.setDropoutSeed(null);
    expect(value(again.adversarial)).toBe(value(terms.adversarial));
    expect(value(other.adversarial)).not.toBe(value(terms.adversarial));
  });
});

/**
 * The discriminator's scores in training: Gaussian noise of std `discriminatorNoise` on the image and on
 * the condition, each drawn from its own seed `hashSeed(seed, salt, 0 | 1) >>> 1`.
 */
const noisyD = (m: TpfrModel, image: tf.Tensor4D, condition: tf.Tensor4D, seed: number, salt: number) => {
  const std = m.config.discriminatorNoise;
  const n = (x: tf.Tensor4D, s: number) =>
    tf.add(x, tf.randomNormal(x.shape, 0, std, 'float32', hashSeed(seed, salt, s) >>> 1)) as tf.Tensor4D;
  return D(m, n(image, 0), n(condition, 1));
};

it('the noise of each image has its own seed: per update (salt 20 main, 10 discriminator), per triple and real or generated', () => {
  tf.tidy(() => {
    const m = noisy;
    const seed = 77;
    // salt + 2i for the real image of triple i, salt + 2i + 1 for the generated one.
    const rel = (loss: (r: tf.Tensor, f: tf.Tensor) => tf.Scalar, fakeRec: tf.Tensor4D, fakeSty: tf.Tensor4D, salt: number) =>
      tf.div(
        tf.add(
          loss(noisyD(m, batch.photoA, batch.photoA2, seed, salt), noisyD(m, fakeRec, batch.photoA2, seed, salt + 1)),
          loss(noisyD(m, batch.paintingB, batch.paintingB2, seed, salt + 2), noisyD(m, fakeSty, batch.paintingB2, seed, salt + 3)),
        ),
        2,
      );
    const fakeRec = tf.reverse(batch.photoA2, 1) as tf.Tensor4D;
    const fakeSty = tf.reverse(batch.paintingB, 2) as tf.Tensor4D;
    const d = discriminatorTerms(m, batch, tf.concat([fakeRec, fakeSty], 0) as tf.Tensor4D, seed, { adversarial: 'ls', peerPaintings: 1 });
    close(d.adversarial, rel(raganLsDiscriminatorLoss, fakeRec, fakeSty, 10));
    m.recombinationLayer.setDropoutSeed(5);
    const out = mainTerms(m, batch, seed, { adversarial: 'ls', peerPaintings: 1 });
    m.recombinationLayer.setDropoutSeed(null);
    close(out.terms.adversarial, rel(raganLsGeneratorLoss, out.reconstruction, out.stylized, 20));
  });
});
