import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError } from '@tpfr/core';
import { bfloat16ToFloat32, float16ToFloat32 } from '@tpfr/core/torch';
import { formatShape } from '@tpfr/core/utils';
import type { AttentionTransformWeights } from './peer-attention-transform.js';
import type { PeerRecombination } from './tpfr-layer.js';

/**
 * One tensor of a PyTorch `state_dict` in JSON form: `data` flattened row-major (C order) in
 * PyTorch's layout, as in the parity fixtures (`{"shape": [8, 16], "dtype": "float32", "data": [...]}`).
 */
export interface StateDictTensorJson {
  shape: number[];
  dtype: string;
  data: number[];
}

/** A PyTorch `state_dict()` in JSON form: parameter name → tensor. */
export type TorchStateDict = Record<string, StateDictTensorJson>;

/**
 * One tensor of a PyTorch `state_dict`, in JSON form ({@link StateDictTensorJson}) or as read from a
 * checkpoint file (a `TorchTensor` of `readTorchCheckpoint`, `@tpfr/core/torch`, is one): `data` flattened row-major (C order) in PyTorch's layout, as a plain array or
 * a typed array (`Float32Array`, `Float64Array`, `BigInt64Array` for int64, or the raw
 * `Uint16Array` bits of a `float16`/`bfloat16` tensor).
 */
export interface StateDictTensor {
  shape: readonly number[];
  dtype?: string;
  data: ArrayLike<number> | ArrayLike<bigint>;
}

/** A `state_dict` as a record or a `Map` of name → {@link StateDictTensor} ({@link TorchStateDict} is one). */
export type StateDictTensors = Readonly<Record<string, StateDictTensor>> | ReadonlyMap<string, StateDictTensor>;

/** The tensor named `key` of a record or map state dict. */
export function getStateDictTensor(stateDict: StateDictTensors, key: string): StateDictTensor | undefined {
  if (stateDict instanceof Map) return (stateDict as ReadonlyMap<string, StateDictTensor>).get(key);
  const rec = stateDict as Readonly<Record<string, StateDictTensor>>;
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** Which authors' module a state dict comes from. */
export type TorchTpfrVariant = 'bidir' | 'att';

/** Names of one stage's modules in the authors' code. */
interface StageNames {
  transform: string;
  query: string;
  peer: string;
}

const NAMES: Record<TorchTpfrVariant, StageNames[]> = {
  // PeerRegularizationLayerAttBidir: stage 1 on content, stage 2 on style.
  bidir: [
    { transform: 'transf_att_cont', query: 'conv_att1_cont', peer: 'conv_att2_cont' },
    { transform: 'transf_att_sty', query: 'conv_att1_sty', peer: 'conv_att2_sty' },
  ],
  // PeerRegularizationLayerAtt: one stage.
  att: [{ transform: 'transf_att', query: 'conv_att1', peer: 'conv_att2' }],
};

/** Guesses the variant from the keys (`transf_att_cont.*` → bidir, `transf_att.*` → att), after `prefix`. */
export function detectTorchTpfrVariant(stateDict: StateDictTensors, prefix = ''): TorchTpfrVariant {
  if (getStateDictTensor(stateDict, `${prefix}transf_att_cont.0.weight`)) return 'bidir';
  if (getStateDictTensor(stateDict, `${prefix}transf_att.0.weight`)) return 'att';
  const keys = stateDict instanceof Map ? [...stateDict.keys()] : Object.keys(stateDict);
  throw new ValueError(
    'loadTorchTpfrWeights',
    `a state_dict with '${prefix}transf_att_cont.0.weight' (two-stage) or '${prefix}transf_att.0.weight' (one-stage)`,
    `keys ${keys.slice(0, 6).join(', ')}…`,
  );
}

/**
 * A PyTorch tensor's values as float32 (floats rounded with `Math.fround`). A `Float32Array`
 * is returned as is (not copied); `float16`/`bfloat16` tensors given as `Uint16Array` bits are decoded.
 */
export function stateDictTensorValues(t: StateDictTensor): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  if (d instanceof Uint16Array && t.dtype === 'float16') return float16ToFloat32(d);
  if (d instanceof Uint16Array && t.dtype === 'bfloat16') return bfloat16ToFloat32(d);
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

/**
 * How a PyTorch tensor becomes a tfjs weight: `'none'` (same C-order values, reshaped),
 * `'linear'` (`[out, in]` → `[in, out]`), `'conv'` (`Conv2d [out, in, kh, kw]` → `[kh, kw, in, out]`),
 * `'conv-transpose'` (`ConvTranspose2d [in, out, kh, kw]` → tfjs conv2dTranspose `[kh, kw, out, in]`;
 * both 4-D cases are the permutation `[2, 3, 1, 0]`).
 */
export type TorchLayout = 'none' | 'linear' | 'conv' | 'conv-transpose';

/** One PyTorch key and the tfjs weight it fills. */
export interface TorchWeightSpec {
  /** The key in the state dict (with its prefix). */
  key: string;
  /** The shape the tensor must have in PyTorch. */
  torchShape: number[];
  /** The weight it is written to. */
  target: LayerVariable;
  /** How the values are laid out differently. */
  layout: TorchLayout;
}

/** The PyTorch shape of a tfjs weight of shape `shape` with `layout`. */
export function torchShapeOf(shape: readonly number[], layout: TorchLayout): number[] {
  if (layout === 'linear') return [shape[1], shape[0]];
  if (layout === 'conv') return [shape[3], shape[2], shape[0], shape[1]];
  if (layout === 'conv-transpose') return [shape[3], shape[2], shape[0], shape[1]];
  return shape.slice();
}

/** Writes `values` (PyTorch layout `torchShape`) into `target`, converting the layout. */
export function writeTorchValues(target: LayerVariable, values: Float32Array, torchShape: readonly number[], layout: TorchLayout): void {
  const shape = target.shape as number[];
  tf.tidy(() => {
    let x: tf.Tensor;
    if (layout === 'linear') x = tf.transpose(tf.tensor2d(values, [torchShape[0], torchShape[1]]));
    else if (layout === 'conv' || layout === 'conv-transpose')
      x = tf.transpose(tf.tensor4d(values, torchShape as [number, number, number, number]), [2, 3, 1, 0]);
    else x = tf.tensor(values, shape);
    target.write(tf.reshape(x, shape));
  });
}

/**
 * The keys of one TPFR stage and the weights they fill: `Linear.weight [out, in]` → `dense kernel
 * [in, out]`; BatchNorm1d `weight/bias/running_mean/running_var` → `gamma, beta, moving_mean,
 * moving_variance`; `Conv1d(1→1, kernel n2).weight [1, 1, n2]` → score kernel `[n2, 1]`.
 */
function stageSpecs(w: AttentionTransformWeights, n: StageNames, prefix: string): TorchWeightSpec[] {
  const T = `${prefix}${n.transform}`;
  const spec = (key: string, target: LayerVariable, layout: TorchLayout = 'none', torchShape?: number[]): TorchWeightSpec => ({
    key,
    target,
    layout,
    torchShape: torchShape ?? torchShapeOf(target.shape as number[], layout),
  });
  const n2 = (t: LayerVariable) => [1, 1, (t.shape as number[])[0]];
  return [
    spec(`${T}.0.weight`, w.dense1Kernel, 'linear'),
    spec(`${T}.0.bias`, w.dense1Bias),
    spec(`${T}.1.weight`, w.bn1Gamma),
    spec(`${T}.1.bias`, w.bn1Beta),
    spec(`${T}.1.running_mean`, w.bn1MovingMean),
    spec(`${T}.1.running_var`, w.bn1MovingVariance),
    spec(`${T}.3.weight`, w.dense2Kernel, 'linear'),
    spec(`${T}.3.bias`, w.dense2Bias),
    spec(`${T}.4.weight`, w.bn2Gamma),
    spec(`${T}.4.bias`, w.bn2Beta),
    spec(`${T}.4.running_mean`, w.bn2MovingMean),
    spec(`${T}.4.running_var`, w.bn2MovingVariance),
    spec(`${prefix}${n.query}.weight`, w.queryKernel, 'none', n2(w.queryKernel)),
    spec(`${prefix}${n.query}.bias`, w.queryBias),
    spec(`${prefix}${n.peer}.weight`, w.peerKernel, 'none', n2(w.peerKernel)),
    spec(`${prefix}${n.peer}.bias`, w.peerBias),
  ];
}

/**
 * The BatchNorm `num_batches_tracked` keys of the authors' module (int64 counters, nothing to
 * load), with `prefix`.
 */
export function torchTpfrIgnoredKeys(variant: TorchTpfrVariant, prefix = ''): string[] {
  return NAMES[variant].flatMap((n) => [1, 4].map((i) => `${prefix}${n.transform}.${i}.num_batches_tracked`));
}

/**
 * Every key of the authors' peer layer (`variant`) with its PyTorch shape and the weight of a
 * built {@link PeerRecombination} it fills: the mapping {@link loadTorchTpfrWeights} applies,
 * for callers that validate a whole state dict first (keys prefixed with `prefix`, e.g.
 * `'model_peer_reg.0.'`). `num_batches_tracked` is not listed (see {@link torchTpfrIgnoredKeys}).
 */
export function torchTpfrWeightSpecs(layer: PeerRecombination, variant: TorchTpfrVariant, prefix = ''): TorchWeightSpec[] {
  const fn = 'loadTorchTpfrWeights';
  if (!layer.built || !layer.contentAttention)
    throw new ValueError(fn, 'a built layer (apply it once or call build())', 'an unbuilt layer');
  const want = variant === 'bidir' ? 'two-stage' : 'style-only';
  if (layer.stages !== want) throw new ValueError(fn, `a '${want}' layer for a '${variant}' state_dict`, `a '${layer.stages}' layer`);
  const names = NAMES[variant];
  const specs = stageSpecs(layer.contentAttention, names[0], prefix);
  if (variant === 'bidir') specs.push(...stageSpecs(layer.styleAttention!, names[1], prefix));
  return specs;
}

/**
 * The keys and PyTorch shapes of the authors' peer layer without building one: `att_dim` = Cc
 * (`PeerRegularizationLayerAttBidir`: stage 1 `Linear(Cc→Cc/2)`, `Linear(Cc/2→Cc/4)`; stage 2
 * `Linear(2Cc→Cc)`, `Linear(Cc→Cc/2)`; `PeerRegularizationLayerAtt`: stage 1 only), in the order
 * of `state_dict()`, `num_batches_tracked` included (shape `[]`, dtype int64).
 */
export function torchTpfrKeyShapes(
  variant: TorchTpfrVariant,
  attDim: number,
  prefix = '',
): { key: string; shape: number[]; dtype: 'float32' | 'int64' }[] {
  const out: { key: string; shape: number[]; dtype: 'float32' | 'int64' }[] = [];
  NAMES[variant].forEach((n, s) => {
    const d = attDim * (s + 1);
    const n1 = Math.floor(d / 2);
    const n2 = Math.floor(d / 4);
    const T = `${prefix}${n.transform}`;
    const f = (key: string, shape: number[]) => out.push({ key, shape, dtype: 'float32' });
    f(`${T}.0.weight`, [n1, d]);
    f(`${T}.0.bias`, [n1]);
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) f(`${T}.1.${p}`, [n1]);
    out.push({ key: `${T}.1.num_batches_tracked`, shape: [], dtype: 'int64' });
    f(`${T}.3.weight`, [n2, n1]);
    f(`${T}.3.bias`, [n2]);
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) f(`${T}.4.${p}`, [n2]);
    out.push({ key: `${T}.4.num_batches_tracked`, shape: [], dtype: 'int64' });
    f(`${prefix}${n.query}.weight`, [1, 1, n2]);
    f(`${prefix}${n.query}.bias`, [1]);
    f(`${prefix}${n.peer}.weight`, [1, 1, n2]);
    f(`${prefix}${n.peer}.bias`, [1]);
  });
  return out;
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
 * @param stateDict the module's `state_dict()` as {@link TorchStateDict} (JSON) or {@link StateDictTensors} (typed arrays, record or Map).
 * @param variant detected from the keys when omitted.
 * @throws ValueError for a missing parameter or a variant that does not fit the layer's stages;
 *   ShapeError when a parameter's size does not fit.
 */
export function loadTorchTpfrWeights(
  layer: PeerRecombination,
  stateDict: StateDictTensors,
  variant: TorchTpfrVariant = detectTorchTpfrVariant(stateDict),
): void {
  const fn = 'loadTorchTpfrWeights';
  for (const spec of torchTpfrWeightSpecs(layer, variant)) {
    const t = getStateDictTensor(stateDict, spec.key);
    if (!t) throw new ValueError(fn, `parameter '${spec.key}' in the state_dict`, 'none');
    const values = stateDictTensorValues(t);
    const shape = spec.target.shape as number[];
    const size = shape.reduce((x, y) => x * y, 1);
    if (values.length !== size) {
      throw new ShapeError(
        fn,
        `'${spec.key}' with ${size} values for ${spec.target.name} ${formatShape(shape)}`,
        `shape ${formatShape(t.shape)}`,
      );
    }
    // Tensors of the right size in another shape (e.g. a JSON [n2] for [1, 1, n2]) are accepted as before.
    const torchShape = spec.layout === 'none' ? spec.torchShape : t.shape.length === spec.torchShape.length ? t.shape : spec.torchShape;
    writeTorchValues(spec.target, values, torchShape, spec.layout);
  }
}

/**
 * An NCHW PyTorch tensor `[B, C, H, W]` in JSON form as an NHWC tensor `[B, H, W, C]`.
 */
export function torchImageToNhwc(t: StateDictTensor): tf.Tensor4D {
  if (t.shape.length !== 4)
    throw new ShapeError('torchImageToNhwc', 'an NCHW tensor of rank 4 [B, C, H, W]', `shape ${formatShape(t.shape)}`);
  const [b, c, h, w] = t.shape;
  return tf.tidy(() => tf.transpose(tf.tensor4d(stateDictTensorValues(t), [b, c, h, w]), [0, 2, 3, 1]));
}
