import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError, formatShape } from '@tpfr/core';
import type { AttentionTransformWeights } from './peer-attention-transform.js';
import type { PeerRecombination } from './tpfr-layer.js';

/**
 * One tensor of a PyTorch `state_dict` in JSON form: `data` flattened row-major (C order) in
 * PyTorch's layout, as in the parity fixtures (`{"shape": [8, 16], "dtype": "float32", "data": [...]}`).
 */
export interface TorchTensorJson {
  shape: number[];
  dtype: string;
  data: number[];
}

/** A PyTorch `state_dict()` in JSON form: parameter name → tensor. */
export type TorchStateDict = Record<string, TorchTensorJson>;

/** Which authors' module a state dict comes from. */
export type TorchTpfrVariant = 'bidir' | 'att';

/** Names of one stage's modules in the authors' code. */
interface StageNames { transform: string; query: string; peer: string }

const NAMES: Record<TorchTpfrVariant, StageNames[]> = {
  // PeerRegularizationLayerAttBidir: stage 1 on content, stage 2 on style.
  bidir: [
    { transform: 'transf_att_cont', query: 'conv_att1_cont', peer: 'conv_att2_cont' },
    { transform: 'transf_att_sty', query: 'conv_att1_sty', peer: 'conv_att2_sty' },
  ],
  // PeerRegularizationLayerAtt: one stage.
  att: [{ transform: 'transf_att', query: 'conv_att1', peer: 'conv_att2' }],
};

/** Guesses the variant from the keys (`transf_att_cont.*` → bidir, `transf_att.*` → att). */
export function detectTorchTpfrVariant(stateDict: TorchStateDict): TorchTpfrVariant {
  if ('transf_att_cont.0.weight' in stateDict) return 'bidir';
  if ('transf_att.0.weight' in stateDict) return 'att';
  throw new ValueError('loadTorchTpfrWeights', `a state_dict with 'transf_att_cont.0.weight' (two-stage) or 'transf_att.0.weight' (one-stage)`, `keys ${Object.keys(stateDict).slice(0, 6).join(', ')}…`);
}

/** A PyTorch tensor as float32 values with its shape (floats rounded with `Math.fround`). */
export function torchTensorValues(t: TorchTensorJson): Float32Array {
  return Float32Array.from(t.data, (v) => Math.fround(v));
}

function put(target: LayerVariable, stateDict: TorchStateDict, key: string, transpose = false): void {
  const fn = 'loadTorchTpfrWeights';
  const t = stateDict[key];
  if (!t) throw new ValueError(fn, `parameter '${key}' in the state_dict`, 'none');
  const values = torchTensorValues(t);
  const shape = target.shape as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new ShapeError(fn, `'${key}' with ${size} values for ${target.name} ${formatShape(shape)}`, `shape ${formatShape(t.shape)}`);
  }
  tf.tidy(() => {
    const x = transpose ? tf.transpose(tf.tensor2d(values, [t.shape[0], t.shape[1]])) : tf.tensor(values, shape);
    target.write(tf.reshape(x, shape));
  });
}

function putStage(w: AttentionTransformWeights, sd: TorchStateDict, n: StageNames): void {
  const T = n.transform;
  // Linear weight is [out, in] (y = x·Wᵀ + b): our kernel is its transpose [in, out].
  put(w.dense1Kernel, sd, `${T}.0.weight`, true);
  put(w.dense1Bias, sd, `${T}.0.bias`);
  put(w.bn1Gamma, sd, `${T}.1.weight`);
  put(w.bn1Beta, sd, `${T}.1.bias`);
  put(w.bn1MovingMean, sd, `${T}.1.running_mean`);
  put(w.bn1MovingVariance, sd, `${T}.1.running_var`);
  put(w.dense2Kernel, sd, `${T}.3.weight`, true);
  put(w.dense2Bias, sd, `${T}.3.bias`);
  put(w.bn2Gamma, sd, `${T}.4.weight`);
  put(w.bn2Beta, sd, `${T}.4.bias`);
  put(w.bn2MovingMean, sd, `${T}.4.running_mean`);
  put(w.bn2MovingVariance, sd, `${T}.4.running_var`);
  // Conv1d(1→1, kernel n2) weight [1, 1, n2] is a dot product: our kernel [n2, 1].
  put(w.queryKernel, sd, `${n.query}.weight`);
  put(w.queryBias, sd, `${n.query}.bias`);
  put(w.peerKernel, sd, `${n.peer}.weight`);
  put(w.peerBias, sd, `${n.peer}.bias`);
}

/**
 * Loads the authors' PyTorch weights (nnaisense/conditional-style-transfer) onto a built
 * {@link PeerRecombination} layer.
 *
 * - `PeerRegularizationLayerAttBidir` (`variant: 'bidir'`) → a `'two-stage'` layer:
 *   `transf_att_cont.{0,1,3,4}`, `conv_att1_cont`, `conv_att2_cont` → stage 1 (weights `content_attention/…`);
 *   `transf_att_sty.*`, `conv_att1_sty`, `conv_att2_sty` → stage 2 (`style_attention/…`).
 * - `PeerRegularizationLayerAtt` (`variant: 'att'`) → a `'style-only'` layer:
 *   `transf_att.*`, `conv_att1`, `conv_att2` → stage 1.
 *
 * Mapping: `Linear.weight [out, in]` → `dense1|dense2 kernel [in, out]` (transposed); `.bias` → `bias`;
 * `BatchNorm1d.weight/bias/running_mean/running_var` → `bn1|bn2 gamma, beta, moving_mean, moving_variance`
 * (`num_batches_tracked` is ignored); `Conv1d(1→1, kernel n2).weight [1, 1, n2]` → `query_score|peer_score kernel [n2, 1]`.
 * The layer's `batchNormEpsilon` should be PyTorch's 1e-5 (the default).
 *
 * Build the layer first, e.g. `layer.build([[null, null, null, Cc], [null, null, null, Cs], [null, null, null, Cc], [null, null, null, Cs]])`
 * or by applying it once.
 *
 * @param stateDict the module's `state_dict()` as {@link TorchStateDict}.
 * @param variant detected from the keys when omitted.
 * @throws ValueError for a missing parameter or a variant that does not fit the layer's stages;
 *   ShapeError when a parameter's size does not fit.
 */
export function loadTorchTpfrWeights(layer: PeerRecombination, stateDict: TorchStateDict, variant: TorchTpfrVariant = detectTorchTpfrVariant(stateDict)): void {
  const fn = 'loadTorchTpfrWeights';
  if (!layer.built || !layer.contentAttention) throw new ValueError(fn, 'a built layer (apply it once or call build())', 'an unbuilt layer');
  const want = variant === 'bidir' ? 'two-stage' : 'style-only';
  if (layer.stages !== want) throw new ValueError(fn, `a '${want}' layer for a '${variant}' state_dict`, `a '${layer.stages}' layer`);
  const names = NAMES[variant];
  putStage(layer.contentAttention, stateDict, names[0]);
  if (variant === 'bidir') putStage(layer.styleAttention!, stateDict, names[1]);
}

/**
 * An NCHW PyTorch tensor `[B, C, H, W]` in JSON form as an NHWC tensor `[B, H, W, C]`.
 */
export function torchImageToNhwc(t: TorchTensorJson): tf.Tensor4D {
  if (t.shape.length !== 4) throw new ShapeError('torchImageToNhwc', 'an NCHW tensor of rank 4 [B, C, H, W]', `shape ${formatShape(t.shape)}`);
  const [b, c, h, w] = t.shape;
  return tf.tidy(() => tf.transpose(tf.tensor4d(torchTensorValues(t), [b, c, h, w]), [0, 2, 3, 1]));
}
