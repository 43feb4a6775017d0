import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';

/**
 * The weights of one TPFR stage's attention scorer (method §5): a shared transform
 * `Linear(d→n1) → BatchNorm → ReLU → Linear(n1→n2) → BatchNorm → ReLU` applied to queries and
 * peers alike, and two scalar projections (the authors' `Conv1d(1→1, kernel n2)`), one for the
 * query score u and one for the peer score v.
 */
export interface AttentionTransformWeights {
  /** `[d, n1]` */ dense1Kernel: LayerVariable;
  /** `[n1]` */ dense1Bias: LayerVariable;
  /** `[n1]` */ bn1Gamma: LayerVariable;
  /** `[n1]` */ bn1Beta: LayerVariable;
  /** `[n1]`, non-trainable */ bn1MovingMean: LayerVariable;
  /** `[n1]`, non-trainable */ bn1MovingVariance: LayerVariable;
  /** `[n1, n2]` */ dense2Kernel: LayerVariable;
  /** `[n2]` */ dense2Bias: LayerVariable;
  /** `[n2]` */ bn2Gamma: LayerVariable;
  /** `[n2]` */ bn2Beta: LayerVariable;
  /** `[n2]`, non-trainable */ bn2MovingMean: LayerVariable;
  /** `[n2]`, non-trainable */ bn2MovingVariance: LayerVariable;
  /** `[n2, 1]`: query-score projection */ queryKernel: LayerVariable;
  /** `[1]` */ queryBias: LayerVariable;
  /** `[n2, 1]`: peer-score projection */ peerKernel: LayerVariable;
  /** `[1]` */ peerBias: LayerVariable;
}

/** Creates a weight: `(name, shape, init, trainable)`; the layer passes its `addWeight`. */
export type WeightFactory = (name: string, shape: number[], init: 'glorotUniform' | 'zeros' | 'ones', trainable: boolean) => LayerVariable;

/**
 * Creates the weights of one attention transform with names `<prefix>/dense1/kernel`,
 * `<prefix>/bn1/moving_mean`, `<prefix>/query_score/kernel`, ...
 * @param d input width; `units` = `[n1, n2]`, `d/2` and `d/4` by default in the layer.
 */
export function createAttentionTransformWeights(
  make: WeightFactory,
  prefix: string,
  d: number,
  units: [number, number],
): AttentionTransformWeights {
  const [n1, n2] = units;
  const w = (name: string, shape: number[], init: 'glorotUniform' | 'zeros' | 'ones', trainable = true) =>
    make(`${prefix}/${name}`, shape, init, trainable);
  return {
    dense1Kernel: w('dense1/kernel', [d, n1], 'glorotUniform'),
    dense1Bias: w('dense1/bias', [n1], 'zeros'),
    bn1Gamma: w('bn1/gamma', [n1], 'ones'),
    bn1Beta: w('bn1/beta', [n1], 'zeros'),
    bn1MovingMean: w('bn1/moving_mean', [n1], 'zeros', false),
    bn1MovingVariance: w('bn1/moving_variance', [n1], 'ones', false),
    dense2Kernel: w('dense2/kernel', [n1, n2], 'glorotUniform'),
    dense2Bias: w('dense2/bias', [n2], 'zeros'),
    bn2Gamma: w('bn2/gamma', [n2], 'ones'),
    bn2Beta: w('bn2/beta', [n2], 'zeros'),
    bn2MovingMean: w('bn2/moving_mean', [n2], 'zeros', false),
    bn2MovingVariance: w('bn2/moving_variance', [n2], 'ones', false),
    queryKernel: w('query_score/kernel', [n2, 1], 'glorotUniform'),
    queryBias: w('query_score/bias', [1], 'zeros'),
    peerKernel: w('peer_score/kernel', [n2, 1], 'glorotUniform'),
    peerBias: w('peer_score/bias', [1], 'zeros'),
  };
}

/** Options of {@link applyAttentionTransform}. */
export interface AttentionTransformOptions {
  /** Batch statistics (and moving-statistics updates) when true; moving statistics otherwise. */
  training: boolean;
  /** BatchNorm epsilon (1e-5, as PyTorch). */
  epsilon: number;
  /** Moving-average momentum, tfjs convention: `moving ← m·moving + (1−m)·batch` (0.9 = PyTorch's 0.1). */
  momentum: number;
}

function batchNorm(
  x: tf.Tensor2D,
  gamma: LayerVariable,
  beta: LayerVariable,
  mean: LayerVariable,
  variance: LayerVariable,
  o: AttentionTransformOptions,
): tf.Tensor2D {
  if (!o.training || x.shape[0] < 2) {
    return tf.batchNorm(
      x,
      mean.read() as tf.Tensor1D,
      variance.read() as tf.Tensor1D,
      beta.read() as tf.Tensor1D,
      gamma.read() as tf.Tensor1D,
      o.epsilon,
    );
  }
  const m = tf.moments(x, 0);
  const n = x.shape[0];
  // Moving statistics as PyTorch keeps them (unbiased batch variance), outside the gradient.
  tf.tidy(() => {
    const bm = tf.clone(m.mean);
    const bv = tf.mul(m.variance, n / (n - 1));
    mean.write(tf.add(tf.mul(mean.read(), o.momentum), tf.mul(bm, 1 - o.momentum)));
    variance.write(tf.add(tf.mul(variance.read(), o.momentum), tf.mul(bv, 1 - o.momentum)));
  });
  return tf.batchNorm(
    x,
    m.mean as tf.Tensor1D,
    m.variance as tf.Tensor1D,
    beta.read() as tf.Tensor1D,
    gamma.read() as tf.Tensor1D,
    o.epsilon,
  );
}

/**
 * The shared feature transform of a stage: `[R, d] → [R, n2]`.
 * In training BatchNorm uses the batch statistics of `x` and updates the moving statistics.
 */
export function applyAttentionTransform(x: tf.Tensor2D, w: AttentionTransformWeights, o: AttentionTransformOptions): tf.Tensor2D {
  return tf.tidy(() => {
    let h = tf.add(tf.matMul(x, w.dense1Kernel.read() as tf.Tensor2D), w.dense1Bias.read()) as tf.Tensor2D;
    h = tf.relu(batchNorm(h, w.bn1Gamma, w.bn1Beta, w.bn1MovingMean, w.bn1MovingVariance, o));
    h = tf.add(tf.matMul(h, w.dense2Kernel.read() as tf.Tensor2D), w.dense2Bias.read()) as tf.Tensor2D;
    return tf.relu(batchNorm(h, w.bn2Gamma, w.bn2Beta, w.bn2MovingMean, w.bn2MovingVariance, o));
  });
}

/** Scalar score of each transformed row: `[R, n2] → [R]` (`h·kernel + bias`). */
export function attentionScore(h: tf.Tensor2D, kernel: LayerVariable, bias: LayerVariable): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(tf.add(tf.matMul(h, kernel.read() as tf.Tensor2D), bias.read()), [h.shape[0]]) as tf.Tensor1D);
}
