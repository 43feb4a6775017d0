import { ValueError } from '@tpfr/core';
import { formatMiB } from '@tpfr/core/utils';
import { type ModelConfigInput, PRESETS, resolveConfig, type TpfrModelConfig } from '../model/config.js';
import { TpfrModel } from '../model/model.js';

/** Parameters of each part of a model, as `TpfrModel.parts()` names them. */
export interface PartParams {
  encoder: number;
  recombination: number;
  mainDecoder: number;
  auxDecoder: number;
  discriminator: number;
}

/** What {@link estimateTrainStepMemory} needs of the run besides the model. */
export interface TrainMemoryOptions {
  /** Side of the training images (`[B, size, size, 3]`). */
  size: number;
  /** Samples per step (default 1). */
  batch?: number;
  /** Paintings in each peer pool (default 1). */
  peerPaintings?: 1 | 2;
  /** Past generated images the discriminator keeps (default 50). */
  imageHistorySize?: number;
  /** Warm-up steps in the run (default 0): their two Adam optimizers keep their own states. */
  warmupSteps?: number;
  /** The weight average's decay (default 0: none, no copy of the generator's weights). */
  emaDecay?: number;
  /** Whether the networks recompute their activations block by block in the backward pass (default false). */
  recompute?: boolean;
}

/** The memory a training step holds at its busiest, in bytes, by part. */
export interface TrainMemoryEstimate {
  /** The sum of the parts: bytes of tensors held at once at the step's peak (`tf.memory().numBytes`). */
  peakBytes: number;
  /** Every part's weights (float32). */
  weightsBytes: number;
  /** Adam's two moments per trainable weight, for each optimizer the run has. */
  optimizerBytes: number;
  /** The weight average and the discriminator's image history. */
  historyBytes: number;
  /**
   * The busier of two moments, beyond the weights, Adam states and history: the activations the
   * gradients keep with the backward pass's transients (about 2 × the weights), or the transients
   * of the gradients and Adam's updates (about 9 × the weights).
   */
  activationBytes: number;
  /** The parameters of each part. */
  params: PartParams;
}

/*
 * Measured on wasm with `tf.profile` (the peak tensor bytes of a second step, every optimizer's
 * states made) for the tiny preset at 32², 48² and 64² (batch 1 and 2) and the paper preset at 64²
 * and 128² (batch 1 and 2): a step holds, besides its weights, Adam states and history, the larger of
 * - the transients of the gradients and Adam's updates (an update's gradients, Adam's
 *   temporaries): about UPDATE_TRANSIENTS times the weights' bytes (the paper preset's peak with
 *   `recompute` at 64², batch 1 and 2 alike);
 * - the activations the gradients keep, linear in the pixels and the batch, with ACTIVATION_TRANSIENTS
 *   times the weights' bytes: per pixel of each sample, MAPS_BASE + MAPS_PER_BLOCK × residualBlocks
 *   floats per generator channel `ngf` (tiny 852, paper 1276); with `recompute`, the maps between
 *   blocks and one block's own: about RECOMPUTE_MAPS floats per pixel and channel (both presets).
 */
const UPDATE_TRANSIENTS = 9.2;
const ACTIVATION_TRANSIENTS = 2;
const MAPS_BASE = 640;
const MAPS_PER_BLOCK = 106;
const RECOMPUTE_MAPS = 330;

/** Parameters of the presets (their `countParams()`), so that a preset's estimate allocates nothing. */
const PRESET_PARAMS: Record<keyof typeof PRESETS, PartParams> = {
  paper: { encoder: 9427078, recombination: 208068, mainDecoder: 7942793, auxDecoder: 7942793, discriminator: 2767809 },
  tiny: { encoder: 74898, recombination: 3612, mainDecoder: 51541, auxDecoder: 51541, discriminator: 44921 },
};

const same = (a: TpfrModelConfig, b: TpfrModelConfig) => JSON.stringify(a) === JSON.stringify(b);

/** The parameters of each part of `model`. */
export function partParams(model: TpfrModel): PartParams {
  const p = model.parts();
  return {
    encoder: p.encoder.countParams(),
    recombination: p.recombination.countParams(),
    mainDecoder: p.mainDecoder.countParams(),
    auxDecoder: p.auxDecoder.countParams(),
    discriminator: p.discriminator.countParams(),
  };
}

/** The parameters of a configuration: the presets' from a table, others by building the model once (freed at once). */
function configParams(cfg: TpfrModelConfig): PartParams {
  for (const name of Object.keys(PRESETS) as (keyof typeof PRESETS)[]) if (same(resolveConfig(name), cfg)) return PRESET_PARAMS[name];
  const model = TpfrModel.create(cfg);
  try {
    return partParams(model);
  } finally {
    model.dispose();
  }
}

/**
 * Estimates the tensor memory of a training step of `TpfrTrainer` before anything is allocated:
 * the weights, Adam's states (two moments per trainable weight, for each update), the weight
 * average and image history, and the activations the gradients keep with the backward pass's
 * transients (B images `[B, size, size, 3]` of each of the four inputs). It is the peak of
 * `tf.memory().numBytes` during a step once every optimizer has its states (from the second step
 * on), the image history full. Measured on wasm to be within 5 % for the tiny preset from 32²
 * to 64² and the paper preset at 64² and 128² (batch 1 and 2, activations kept or recomputed; the
 * training guide gives the figures; the neighbour searches' terms quadratic in the pixels are
 * left out, small below 256²);
 * the backend's own memory (XNNPACK's buffers, the wasm heap's free space and fragments, about
 * 10 % more on wasm) comes on top.
 * @param model a model, a preset name or a configuration (presets allocate nothing; another
 *   configuration builds its networks once to count their weights, and frees them).
 */
export function estimateTrainStepMemory(model: TpfrModel | ModelConfigInput, opts: TrainMemoryOptions): TrainMemoryEstimate {
  const fn = 'estimateTrainStepMemory';
  const cfg = model instanceof TpfrModel ? model.config : resolveConfig(model);
  const size = opts?.size;
  if (!(Number.isInteger(size) && size >= 1)) throw new ValueError(fn, 'size an integer >= 1', String(size));
  const batch = opts.batch ?? 1;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new ValueError(fn, 'batch an integer >= 1', String(opts.batch));
  const params = model instanceof TpfrModel ? partParams(model) : configParams(cfg);
  const total = params.encoder + params.recombination + params.mainDecoder + params.auxDecoder + params.discriminator;
  const generator = params.encoder + params.recombination + params.mainDecoder;
  const weightsBytes = 4 * total;
  // aux (encoder, aux decoder), main (TPFR layer, main decoder), disc: every part once.
  const warmup = (opts.warmupSteps ?? 0) > 0 ? params.encoder + params.auxDecoder + params.mainDecoder : 0;
  const optimizerBytes = 2 * 4 * (total + warmup);
  const ema = (opts.emaDecay ?? 0) > 0 ? 4 * generator : 0;
  const historyBytes = ema + 4 * (opts.imageHistorySize ?? 50) * size * size * 3;
  const maps = opts.recompute ? RECOMPUTE_MAPS : MAPS_BASE + MAPS_PER_BLOCK * cfg.residualBlocks;
  // Two paintings per pool encode B in the main update too: about one more encoder pass.
  const peers = opts.peerPaintings === 2 ? 1.1 : 1;
  const activationBytes = Math.max(
    UPDATE_TRANSIENTS * weightsBytes,
    ACTIVATION_TRANSIENTS * weightsBytes + 4 * batch * size * size * cfg.ngf * maps * peers,
  );
  const peakBytes = Math.round(weightsBytes + optimizerBytes + historyBytes + activationBytes);
  return { peakBytes, weightsBytes, optimizerBytes, historyBytes, activationBytes, params };
}

/** A training run refused by its memory budget: the message gives the estimate, kept here too. */
export class TrainMemoryBudgetError extends ValueError {
  constructor(
    fn: string,
    readonly estimate: TrainMemoryEstimate,
    readonly budgetBytes: number,
  ) {
    super(
      fn,
      `a training step within the memory budget of ${formatMiB(budgetBytes)}`,
      `an estimated peak of ${formatMiB(estimate.peakBytes)} (weights ${formatMiB(estimate.weightsBytes)}, Adam states ${formatMiB(estimate.optimizerBytes)}, activations ${formatMiB(estimate.activationBytes)}, history ${formatMiB(estimate.historyBytes)}); the option recompute (activations recomputed in the backward pass) or a smaller size or batch takes less`,
    );
  }
}
