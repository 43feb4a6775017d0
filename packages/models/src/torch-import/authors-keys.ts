import { ValueError } from '@tpfr/core';
import { createRng } from '@tpfr/core/utils';
import { torchTpfrKeyShapes, type StateDictTensor } from '@tpfr/layers/torch';

/**
 * The state_dict layout of the authors' networks (nnaisense/conditional-style-transfer,
 * `models/networks.py`): every key with its PyTorch shape, in `state_dict()` order. Used to
 * validate a checkpoint before importing it, and to write synthetic checkpoints of any size
 * (tests, benchmarks).
 * @module
 */

/** One key of an authors' state_dict. */
export interface AuthorsKey {
  /** The key, without a `module.` prefix. */
  key: string;
  /** Its PyTorch shape (`[]` for a scalar). */
  shape: number[];
  /** `'float32'`, or `'int64'` for the BatchNorm counters. */
  dtype: 'float32' | 'int64';
  /**
   * `'parameter'`: a trainable `nn.Parameter` (counted by `sum(p.numel() for p in net.parameters())`);
   * `'buffer'`: BatchNorm `running_mean`/`running_var` (loaded, not counted as parameters);
   * `'ignored'`: BatchNorm `num_batches_tracked` (nothing to load).
   */
  role: 'parameter' | 'buffer' | 'ignored';
}

/** Size of the authors' generator. */
export interface AuthorsGeneratorSize {
  /** Base width (64 in the authors' pretrained file). */
  ngf: number;
  /** ResnetBlocks in the encoder and in each decoder (6, the authors' `n_blocks`). */
  residualBlocks?: number;
}

/** Stride-2 steps of the authors' generator (`n_downsampling`, fixed at 2 in their code). */
export const AUTHORS_DOWNSAMPLINGS = 2;

function roleOf(key: string): AuthorsKey['role'] {
  if (key.endsWith('.num_batches_tracked')) return 'ignored';
  if (key.endsWith('.running_mean') || key.endsWith('.running_var')) return 'buffer';
  return 'parameter';
}

function checkInt(fn: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new ValueError(fn, `${name} to be an integer >= ${min}`, String(v));
}

/**
 * Keys and shapes of `ResnetGeneratorResidual` (`--netG resnet_residual --peer_reg bidir`,
 * instance norm without affine parameters or running statistics, global style on, 3 → 3
 * channels): `model_enc.*`, `model_enc_pre.*`, `model_enc_global.*`, `model_peer_reg.0.*`,
 * `model_merge.*`, `model_merge_aux.*`, `model_dec.*`, `model_dec_aux.*`, 156 keys with 6 blocks
 * (`66 + 15·blocks`), in `state_dict()` order. Instance norms, ReLUs, pads and tanh have no keys,
 * which is why the `nn.Sequential` indices skip.
 */
export function authorsGeneratorKeys(size: AuthorsGeneratorSize): AuthorsKey[] {
  const fn = 'authorsGeneratorKeys';
  const ngf = size.ngf;
  const blocks = size.residualBlocks ?? 6;
  checkInt(fn, 'ngf', ngf, 1);
  checkInt(fn, 'residualBlocks', blocks, 0);
  const keys: AuthorsKey[] = [];
  const add = (key: string, shape: number[], dtype: AuthorsKey['dtype'] = 'float32') => keys.push({ key, shape, dtype, role: roleOf(key) });
  const conv = (p: string, out: number, inp: number, k: number) => {
    add(`${p}.weight`, [out, inp, k, k]);
    add(`${p}.bias`, [out]);
  };
  const convT = (p: string, inp: number, out: number, k: number) => {
    add(`${p}.weight`, [inp, out, k, k]);
    add(`${p}.bias`, [out]);
  };
  const block = (p: string, c: number) => {
    conv(`${p}.conv_block.1`, c, c, 3);
    add(`${p}.conv_block.3.weight`, [1]); // nn.PReLU(): one shared slope
    conv(`${p}.conv_block.5`, c, c, 3);
  };
  const c = ngf * 2 ** AUTHORS_DOWNSAMPLINGS; // N_cont
  const s = 2 * c; // N_style
  // model_enc: conv3 s2 (1), IN, ReLU, blocks, conv1x1 → N_cont + N_style.
  conv('model_enc.0', c, 2 * ngf, 3);
  for (let i = 0; i < blocks; i++) block(`model_enc.${3 + i}`, c);
  conv(`model_enc.${3 + blocks}`, c + s, c, 1);
  // model_enc_pre: reflect-pad 3, conv7, IN, ReLU, conv3 s2 (0).
  conv('model_enc_pre.1', ngf, 3, 7);
  conv('model_enc_pre.4', 2 * ngf, ngf, 3);
  // model_enc_global: 3 × conv3 s2 on the global half of the style code.
  for (const i of [0, 3, 6]) conv(`model_enc_global.${i}`, s / 2, s / 2, 3);
  for (const k of torchTpfrKeyShapes('bidir', c, 'model_peer_reg.0.')) add(k.key, k.shape, k.dtype);
  conv('model_merge.0', c, c + s, 1);
  conv('model_merge_aux.0', c, c + s, 1);
  for (const dec of ['model_dec', 'model_dec_aux']) {
    for (let i = 0; i < blocks; i++) block(`${dec}.${i}`, c);
    // ConvTranspose2d(k4, s2, p1) → IN → ReLU, twice; reflect-pad 3; conv7; tanh.
    convT(`${dec}.${blocks}`, c, c / 2, 4);
    convT(`${dec}.${blocks + 3}`, c / 2, c / 4, 4);
    conv(`${dec}.${blocks + 7}`, 3, ngf, 7);
  }
  return keys;
}

/**
 * Keys and shapes of the authors' `NLayerMultiDiscriminatorNoisy` (`--netD disc_noisy`, instance
 * norm, `n_layers` 3): `model_pred.{0,2,5,8,11}.{weight,bias}`, 4×4 convolutions
 * 6 → ndf → 2ndf → 4ndf → 8ndf → 1 (the input is [image, condition], 2 × 3 channels).
 */
export function authorsDiscriminatorKeys(size: { ndf: number }): AuthorsKey[] {
  checkInt('authorsDiscriminatorKeys', 'ndf', size.ndf, 1);
  const n = size.ndf;
  const widths = [6, n, 2 * n, 4 * n, 8 * n, 1];
  return [0, 2, 5, 8, 11].flatMap((idx, i) => [
    { key: `model_pred.${idx}.weight`, shape: [widths[i + 1], widths[i], 4, 4], dtype: 'float32' as const, role: 'parameter' as const },
    { key: `model_pred.${idx}.bias`, shape: [widths[i + 1]], dtype: 'float32' as const, role: 'parameter' as const },
  ]);
}

/** Elements of a shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The authors' parameter count (`'parameter'` keys only): 25,519,580 for the generator at ngf 64. */
export function authorsParameterCount(keys: readonly AuthorsKey[]): number {
  return keys.reduce((n, k) => n + (k.role === 'parameter' ? shapeSize(k.shape) : 0), 0);
}

/**
 * A synthetic state_dict with the authors' keys and shapes (deterministic values from `seed`):
 * weights uniform in ±1/√fan-in, biases in ±0.1, PReLU slopes 0.25, BatchNorm weights near 1,
 * running variances in [0.5, 1.5], `num_batches_tracked` = 1 (`BigInt64Array`). For tests and
 * for writing full-size checkpoints in benchmarks.
 */
export function syntheticAuthorsStateDict(keys: readonly AuthorsKey[], seed = 0): Map<string, StateDictTensor & { dtype: string }> {
  const { next } = createRng(seed);
  const out = new Map<string, StateDictTensor & { dtype: string }>();
  for (const k of keys) {
    const n = shapeSize(k.shape);
    if (k.dtype === 'int64') {
      out.set(k.key, { shape: k.shape.slice(), dtype: 'int64', data: new BigInt64Array(n).fill(1n) });
      continue;
    }
    const data = new Float32Array(n);
    const leaf = k.key.slice(k.key.lastIndexOf('.') + 1);
    const isBn = /transf_att_\w+\.[14]\./.test(k.key);
    if (leaf === 'running_var') for (let i = 0; i < n; i++) data[i] = 0.5 + next();
    else if (leaf === 'running_mean') for (let i = 0; i < n; i++) data[i] = next() - 0.5;
    else if (isBn && leaf === 'weight') for (let i = 0; i < n; i++) data[i] = 0.8 + 0.4 * next();
    else if (k.key.endsWith('conv_block.3.weight')) data.fill(0.25);
    else if (leaf === 'bias') for (let i = 0; i < n; i++) data[i] = 0.2 * next() - 0.1;
    else {
      const fanIn = k.shape.length >= 2 ? n / k.shape[0] : 1;
      const a = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) data[i] = a * (2 * next() - 1);
    }
    out.set(k.key, { shape: k.shape.slice(), dtype: 'float32', data });
  }
  return out;
}
