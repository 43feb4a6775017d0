/**
 * Losses of TPFR style transfer (Svoboda et al., CVPR 2020) for TensorFlow.js, NHWC: latent
 * SmoothL1 distance, metric learning on style codes, reconstruction, content/latent/transfer
 * cycles, relativistic average GAN losses (least-squares and sigmoid cross-entropy), an image
 * history and exemplar averaging for the discriminator, and a weighted composite.
 *
 * Each loss is a pure function (checked inputs, one `tf.tidy`, nothing leaked) plus a thin class
 * holding its options and weight, whose `call(...)` returns `weight · loss`.
 * @module
 */
import '@tpfr/core';

export { smoothL1, perSampleLatentDistance, latentDistance, LatentDistance } from './latent-distance.js';
export type { LatentDistanceOptions } from './latent-distance.js';
export { metricLearningLoss, tripletMetricLoss, MetricLearningLoss, TripletMetricLoss } from './metric-learning.js';
export type { StyleCodePair, MetricLearningOptions } from './metric-learning.js';
export {
  raganLsDiscriminatorLoss,
  raganLsGeneratorLoss,
  raganBceDiscriminatorLoss,
  raganBceGeneratorLoss,
  RaganLsDiscriminatorLoss,
  RaganLsGeneratorLoss,
  RaganBceDiscriminatorLoss,
  RaganBceGeneratorLoss,
} from './ragan.js';
export { mseLoss, l1Loss, reconstructionLoss, ReconstructionLoss } from './reconstruction.js';
export type { ReconstructionKind, ImagePair, ReconstructionOptions } from './reconstruction.js';
export {
  contentFeatureCycleLoss,
  latentCycleLoss,
  transferLatentCycleLoss,
  ContentFeatureCycleLoss,
  LatentCycleLoss,
  TransferLatentCycleLoss,
  LATENT_PART_NAMES,
} from './cycle.js';
export type {
  LatentPartName,
  LatentParts,
  ContentPair,
  LatentCyclePair,
  LatentCycleOptions,
  ContentStyle,
  CycleLossOptions,
  LatentCycleLossOptions,
} from './cycle.js';
export { meanOverExemplars } from './exemplars.js';
export { ImageHistory, DEFAULT_IMAGE_HISTORY_SIZE } from './image-history.js';
export type { ImageHistoryOptions } from './image-history.js';
export { combineLosses, weightedLossSum, lossWeight, WeightedLossSet, DEFAULT_LOSS_WEIGHTS } from './composite.js';
export type { CombinedLoss, LossTerms, LossWeights } from './composite.js';
export { WeightedLoss } from './weighted-loss.js';
export type { WeightedLossOptions } from './weighted-loss.js';
