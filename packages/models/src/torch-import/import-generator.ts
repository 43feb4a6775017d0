import type * as tfl from '@tensorflow/tfjs-layers';
import { TpfrError, ValueError } from '@tpfr/core';
import {
  getStateDictTensor,
  stateDictTensorValues,
  writeTorchValues,
  type StateDictTensor,
  type TorchWeightSpec,
} from '@tpfr/layers/torch';
import { TpfrModel } from '../model/model.js';
import { authorsDiscriminatorKeys, authorsGeneratorKeys, authorsParameterCount, shapeSize, type AuthorsKey } from './authors-keys.js';
import { discriminatorWeightSpecs, generatorWeightSpecs } from './mapping.js';
import {
  TorchStateDictError,
  checkStateDict,
  describeProblems,
  noProblems,
  normalizeStateDict,
  type NormalizedStateDict,
  type TorchStateDictInput,
} from './state-dict.js';

const FN = 'importTorchGenerator';

/** Options of {@link importTorchGenerator}. */
export interface ImportTorchOptions {
  /**
   * The authors' discriminator (`*_net_D.pth`, `NLayerMultiDiscriminatorNoisy`), optional. When
   * its keys and shapes fit, it is mapped onto ours (and `ndf` follows it); otherwise ours stays
   * freshly initialised and `report.discriminator.reason` says why.
   */
  discriminator?: TorchStateDictInput;
  /** Neighbours per pixel of the TPFR layer (default 5, the authors' `--knn 5`). */
  k?: number;
  /** Width of the fresh discriminator when none is given or it does not fit (default 64, the authors'). */
  ndf?: number;
}

/** What became of the discriminator. */
export type TorchDiscriminatorReport =
  | { mapped: true; ndf: number; keys: number; parameterCount: number }
  | { mapped: false; reason: string };

/** What {@link importTorchGenerator} found and wrote. */
export interface TorchImportReport {
  /** Base width inferred from the shapes. */
  ngf: number;
  /** Residual blocks per encoder and decoder, inferred from the keys. */
  residualBlocks: number;
  /** The discriminator's width in the model. */
  ndf: number;
  /**
   * The generator's parameters as PyTorch counts them (`sum(p.numel() for p in G.parameters())`,
   * 25,519,580 at ngf 64): the trainable weights of our encoder, recombination and decoders.
   * The BatchNorm running statistics are buffers in PyTorch ({@link bufferCount}), and
   * `model.generatorParameterCount()` leaves them out too: it equals this.
   */
  parameterCount: number;
  /** Values of BatchNorm running statistics (1,152 at ngf 64). */
  bufferCount: number;
  /** Keys in the generator's state dict. */
  keys: number;
  /** Keys written into the model. */
  mapped: number;
  /** Keys read but not needed (the BatchNorm `num_batches_tracked` counters). */
  ignored: string[];
  /** Keys that had a `module.` prefix (`nn.DataParallel`); it is stripped. */
  modulePrefixed: number;
  /** The checkpoint format when the input was a `readTorchCheckpoint` result. */
  format?: string;
  /** `null` when no discriminator was given. */
  discriminator: TorchDiscriminatorReport | null;
}

/** The imported model and its {@link TorchImportReport}. */
export interface TorchImportResult {
  model: TpfrModel;
  report: TorchImportReport;
}

function dim(t: StateDictTensor | undefined, rank: number, axis: number, div = 1): number | undefined {
  if (!t || t.shape.length !== rank) return undefined;
  const v = t.shape[axis] / div;
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/** ngf from the first key that has it (the stem conv `[ngf, 3, 7, 7]` first). */
function inferNgf(sd: NormalizedStateDict): number | undefined {
  const t = (k: string) => getStateDictTensor(sd.tensors, k);
  return (
    dim(t('model_enc_pre.1.weight'), 4, 0) ??
    dim(t('model_enc_pre.4.weight'), 4, 1) ??
    dim(t('model_enc.0.weight'), 4, 0, 4) ??
    dim(t('model_merge.0.weight'), 4, 0, 4) ??
    dim(t('model_merge_aux.0.weight'), 4, 0, 4)
  );
}

/** Residual blocks: the most of the encoder and the two decoders (missing ones then show as missing keys). */
function inferBlocks(sd: NormalizedStateDict): number {
  let blocks = 0;
  for (const key of sd.tensors.keys()) {
    const m = /^(model_enc|model_dec|model_dec_aux)\.(\d+)\.conv_block\./.exec(key);
    if (m) blocks = Math.max(blocks, Number(m[2]) + 1 - (m[1] === 'model_enc' ? 3 : 0));
  }
  return blocks;
}

function writeAll(specs: readonly TorchWeightSpec[], sd: NormalizedStateDict): void {
  for (const s of specs) {
    const t = sd.tensors.get(s.key)!;
    writeTorchValues(s.target, stateDictTensorValues(t), s.torchShape, s.layout);
  }
}

/** Every weight of `models` written exactly once by `specs`, and every spec key expected. */
function checkCoverage(specs: readonly TorchWeightSpec[], expected: readonly AuthorsKey[], models: tfl.LayersModel[]): void {
  const keys = new Set(expected.filter((k) => k.role !== 'ignored').map((k) => k.key));
  const targets = new Set<tfl.LayerVariable>();
  for (const s of specs) {
    if (!keys.delete(s.key)) throw new TpfrError(FN, `internal: key '${s.key}' mapped twice or not in the authors' layout`);
    if (targets.has(s.target)) throw new TpfrError(FN, `internal: weight ${s.target.name} written twice`);
    targets.add(s.target);
  }
  if (keys.size) throw new TpfrError(FN, `internal: keys without a target: ${[...keys].join(', ')}`);
  const left = models.flatMap((m) => m.weights).filter((w) => !targets.has(w));
  if (left.length) throw new TpfrError(FN, `internal: weights no key fills: ${left.map((w) => w.name).join(', ')}`);
}

/** Tries the discriminator's state dict; returns the problems in words, or its ndf. */
function checkDiscriminator(
  input: TorchStateDictInput,
): { sd: NormalizedStateDict; ndf: number; expected: AuthorsKey[] } | { reason: string } {
  let sd: NormalizedStateDict;
  try {
    sd = normalizeStateDict(input, FN);
  } catch (e) {
    return { reason: (e as Error).message };
  }
  const ndf = dim(sd.tensors.get('model_pred.0.weight'), 4, 0);
  if (ndf === undefined) return { reason: `no 'model_pred.0.weight' [ndf, 6, 4, 4] (not the authors' NLayerMultiDiscriminatorNoisy)` };
  const expected = authorsDiscriminatorKeys({ ndf });
  const problems = checkStateDict(sd, expected);
  if (!noProblems(problems)) return { reason: describeProblems(problems).replace(/\n {2}/g, '; ') };
  return { sd, ndf, expected };
}

/**
 * Imports the authors' pretrained generator (nnaisense/conditional-style-transfer,
 * `ResnetGeneratorResidual`, `--peer_reg bidir`; their `*_net_G.pth`) from its PyTorch
 * `state_dict` into a {@link TpfrModel} that saves, loads and stylizes like any other.
 *
 * `ngf` and the residual block count are inferred from the shapes and keys (the authors' file:
 * ngf 64, 6 blocks, 156 keys, 25,519,580 parameters). The model is
 * `TpfrModel.create({ preset: 'paper', ngf, ndf, residualBlocks, downsamplePadding: 'symmetric',
 * ties: 'include', k })`: the authors' stride-2 encoder convolutions (zero pad 1 on every side)
 * and their tie rule (every peer at a distance ≤ the k-th smallest). All keys are mapped (see
 * `mapping.ts`); the 4 BatchNorm `num_batches_tracked` counters are ignored; a `module.` prefix is
 * stripped. The whole state dict is checked before anything is built: every missing,
 * unexpected, mis-shaped or non-float key is named in one {@link TorchStateDictError}.
 *
 * The discriminator is optional (`opts.discriminator`, `NLayerMultiDiscriminatorNoisy`): mapped
 * when its keys and shapes fit ours, else ours stays freshly initialised (see the report). Its
 * weights fit, but the authors' 4×4 convolutions zero-pad 2 px on every side while ours pad
 * 'same' (stride 2: 1 px on each side; stride 1: 1 px before, 2 after): their patch map grows by
 * up to a pixel per layer (68 × 68 against our 64 × 64 at 256 px) on a shifted grid, so the scores are those
 * of the same filters but not at the same places. It only matters for fine-tuning.
 *
 * Differences that do not matter at inference: the authors share one peer pool across a batch
 * (ours is per sample: identical for one content image), and their attention dropout is off in
 * eval mode as ours is outside training.
 *
 * @param stateDict the generator's `state_dict` (record, `Map`, or a `readTorchCheckpoint` result),
 *   tensors in PyTorch layout (C order) as JSON arrays or typed arrays.
 * @throws TorchStateDictError (a `TpfrError`) naming every key that does not fit;
 *   ValueError when ngf cannot be inferred or `k` is not a positive integer.
 */
export function importTorchGenerator(stateDict: TorchStateDictInput, opts: ImportTorchOptions = {}): TorchImportResult {
  const sd = normalizeStateDict(stateDict, FN);
  const ngf = inferNgf(sd);
  if (ngf === undefined) {
    const keys = [...sd.tensors.keys()];
    throw new ValueError(
      FN,
      `the authors' ResnetGeneratorResidual state_dict with 'model_enc_pre.1.weight' [ngf, 3, 7, 7] (to infer ngf)`,
      `${keys.length} keys: ${keys
        .slice(0, 8)
        .map((k) => `'${k}'`)
        .join(', ')}${keys.length > 8 ? ', …' : ''}`,
    );
  }
  const residualBlocks = inferBlocks(sd);
  const expected = authorsGeneratorKeys({ ngf, residualBlocks });
  const problems = checkStateDict(sd, expected);
  if (!noProblems(problems)) {
    throw new TorchStateDictError(
      FN,
      `the authors' ResnetGeneratorResidual (ngf ${ngf}, ${residualBlocks} residual blocks, inferred from the keys)`,
      problems,
    );
  }
  const k = opts.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new ValueError(FN, 'opts.k to be a positive integer', String(opts.k));

  let dReport: TorchDiscriminatorReport | null = null;
  let d: { sd: NormalizedStateDict; ndf: number; expected: AuthorsKey[] } | null = null;
  if (opts.discriminator !== undefined) {
    const r = checkDiscriminator(opts.discriminator);
    if ('reason' in r) dReport = { mapped: false, reason: r.reason };
    else d = r;
  }
  const ndf = d?.ndf ?? opts.ndf ?? 64;

  const model = TpfrModel.create({ preset: 'paper', ngf, ndf, residualBlocks, downsamplePadding: 'symmetric', ties: 'include', k });
  try {
    const specs = generatorWeightSpecs(model);
    checkCoverage(specs, expected, [model.encoder, model.recombination, model.mainDecoder, model.auxDecoder]);
    writeAll(specs, sd);
    if (d) {
      const dSpecs = discriminatorWeightSpecs(model);
      checkCoverage(dSpecs, d.expected, [model.discriminator]);
      writeAll(dSpecs, d.sd);
      dReport = { mapped: true, ndf: d.ndf, keys: d.sd.tensors.size, parameterCount: authorsParameterCount(d.expected) };
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  const parameterCount = authorsParameterCount(expected);
  const trainable = [model.encoder, model.recombination, model.mainDecoder, model.auxDecoder]
    .flatMap((m) => m.trainableWeights)
    .reduce((n, w) => n + shapeSize(w.shape as number[]), 0);
  if (trainable !== parameterCount) {
    model.dispose();
    throw new TpfrError(FN, `internal: ${trainable} trainable weights in the model for the authors' ${parameterCount} parameters`);
  }
  const ignored = expected.filter((e) => e.role === 'ignored' && sd.tensors.has(e.key)).map((e) => e.key);
  return {
    model,
    report: {
      ngf,
      residualBlocks,
      ndf,
      parameterCount,
      bufferCount: expected.reduce((n, e) => n + (e.role === 'buffer' ? shapeSize(e.shape) : 0), 0),
      keys: sd.tensors.size,
      mapped: sd.tensors.size - ignored.length,
      ignored,
      modulePrefixed: sd.prefixed,
      ...(sd.format !== undefined ? { format: sd.format } : {}),
      discriminator: dReport,
    },
  };
}
