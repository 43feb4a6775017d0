import type { Latent } from '@tpfr/models';

declare const optimizer: tf.Optimizer,
  zA: Latent,
  zB2: Latent,
  zAtoB: Latent,
  imageA: tf.Tensor4D,
  imageB: tf.Tensor4D,
  imageB2: tf.Tensor4D,
  stylizedBatch: tf.Tensor4D;
declare const mainDecoder: (z: Latent) => tf.Tensor4D, encode: (x: tf.Tensor4D) => Latent, D: (x: tf.Tensor4D, c: tf.Tensor4D) => tf.Tensor;
// #region doc
import * as tf from '@tensorflow/tfjs-core';
import { WeightedLossSet, reconstructionLoss, raganLsGeneratorLoss, transferLatentCycleLoss, ImageHistory } from '@tpfr/losses';

const losses = new WeightedLossSet(); // authors' weights: reconstruction 25, the rest 1
const history = new ImageHistory({ size: 50, seed: 0 });

optimizer.minimize(() => {
  const recA = mainDecoder(zA),
    recB = mainDecoder(zB2),
    stylized = mainDecoder(zAtoB);
  const enc = encode(stylized); // { content, style }
  return losses.total({
    reconstruction: reconstructionLoss([
      [recA, imageA],
      [recB, imageB2],
    ]),
    adversarial: raganLsGeneratorLoss(D(imageB, imageB2), D(stylized, imageB2)),
    transferLatentCycle: transferLatentCycleLoss(enc, { content: zA.content, style: zB2.style }),
  });
});
console.log(await losses.read()); // { reconstruction: 0.08, adversarial: 0.51, transferLatentCycle: 0.9 }

const pastFakes = history.query(stylizedBatch); // owned by you: dispose it after the D update
// #endregion
tf.dispose(pastFakes);
