import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { guardKernels, releaseAbandonedTape, TpfrError, ValueError } from '@tpfr/core';
import { createRng, hashSeed, holdWinogradFilters, timed } from '@tpfr/core/utils';
import { ImageHistory, mseLoss, weightedLossSum } from '@tpfr/losses';
import type { StyleDataset } from '../data/types.js';
import { TpfrModel } from '../model/model.js';
import { seedKernels } from '../model/seeded-init.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { TRAINER_OPTION_NAMES, resolveTrainerOptions, type ResolvedTrainerOptions, type TrainerOptions } from './options.js';
import { describeData, planResume } from './resume.js';
import { estimateTrainStepMemory, TrainMemoryBudgetError, type TrainMemoryEstimate } from './memory-estimate.js';
import { learningRateAt } from './schedule.js';
import { decodePass, encodePass } from './passes.js';
import { auxiliaryTerms, discriminatorTerms, mainTerms, type UpdateOptions } from './updates.js';
import { WeightAverage } from './weight-average.js';

export type { TrainerOptions } from './options.js';

/** What one training step reports. */
export interface StepInfo {
  /** 1-based index of the step just done. */
  step: number;
  /** Total steps. */
  steps: number;
  /** Learning rate used. */
  learningRate: number;
  /** Unweighted loss terms as plain numbers, prefixed by module: `aux/…`, `main/…`, `disc/…`. */
  losses: Record<string, number>;
  /** Wall time of the step. */
  ms: number;
}

/** How {@link TpfrTrainer.fit} runs. */
export interface FitOptions {
  /** Stops after the step in progress when aborted (a checkpoint is written first, when set). */
  signal?: AbortSignal;
  /** Stops after the step that passes this many milliseconds since `fit` began. */
  timeLimitMs?: number;
  /** Called after every step; returning `false` stops the run after it (any other value goes on). */
  onStep?: (info: StepInfo) => unknown;
  /** Where checkpoints go (Node folders); none when absent. */
  checkpointDir?: string;
  /** Steps between checkpoints (default 100); one is also written at the last step and on a stop. */
  checkpointEvery?: number;
  /**
   * Bytes of tensors a step may hold: a run whose {@link estimateTrainStepMemory} is above it is
   * refused with a {@link TrainMemoryBudgetError} before its first step (default: no check).
   */
  memoryBudgetBytes?: number;
}

/** What {@link TpfrTrainer.fit} returns. */
export interface FitResult {
  /** Every step's report, in order. */
  steps: StepInfo[];
  /** Why it stopped: all steps done, the signal, the time limit, or the callback. */
  stoppedBy: 'done' | 'signal' | 'time-limit' | 'callback';
}

/** How {@link TpfrTrainer.resume} may change a run. */
export interface ResumeOptions extends Partial<TrainerOptions> {
  /**
   * Resume on data other than the checkpoint's (another seed, size or folder): refused unless
   * true, and then said in {@link TpfrTrainer.notes}.
   */
  allowDataChange?: boolean;
}

/** The wasm heap (4 GiB), and what a step leaves of it beyond its estimated peak: XNNPACK's buffers, free space and fragments. */
const WASM_HEAP_BYTES = 4 * 2 ** 30;
const HEAP_RESERVE_BYTES = 2 ** 30;
/** Winograd filter transforms kept at most: the paper preset's 24 filters of an update, both transforms (453 MiB). */
const MAX_HOLD_BYTES = 512 * 2 ** 20;

/** The three updates of a step, and the two of a warm-up step (own Adam states: other var lists). */
const OPTIMIZERS = ['aux', 'main', 'disc', 'warmupAux', 'warmupMain'] as const;
type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * tfjs' Adam sets its running powers β₁ᵗ, β₂ᵗ with `pow` when its weights are set, where a run
 * multiplies them step by step: float32 rounding makes the two differ in the last bits. They are
 * set here as the uninterrupted run has them, so that a resumed run repeats it exactly.
 */
function restoreAdamPowers(opt: tf.AdamOptimizer, o: { beta1: number; beta2: number }): void {
  const state = opt as unknown as { iterations_: number; accBeta1: tf.Variable; accBeta2: tf.Variable };
  const power = (beta: number) => {
    const b = Math.fround(beta);
    let acc = b;
    for (let i = 0; i < state.iterations_; i++) acc = Math.fround(acc * b);
    return acc;
  };
  tf.tidy(() => {
    state.accBeta1.assign(tf.scalar(power(o.beta1)));
    state.accBeta2.assign(tf.scalar(power(o.beta2)));
  });
}

/** A step whose updates are done and whose losses are not read yet. */
interface PendingStep {
  t0: number;
  lr: number;
  names: string[];
  values: tf.Tensor1D;
}

/** The losses by name from their values, in the order of `names`. */
function lossRecord(names: string[], values: ArrayLike<number>): Record<string, number> {
  const losses: Record<string, number> = {};
  names.forEach((n, i) => {
    losses[n] = values[i];
  });
  return losses;
}

/**
 * The authors' training scheme (method §6). Each step draws a batch (photo A, painting B of class
 * c, another photo A′, another painting B′ of c), then runs, in this order:
 *
 * 1. the auxiliary update (encoder + auxiliary decoder): reconstruction, content-feature cycle,
 *    metric learning on style codes, latent cycle;
 * 2. the main update (TPFR attention + main decoder; encoder frozen): relativistic adversarial,
 *    reconstruction (×25), transfer latent cycle;
 * 3. the discriminator update, on the main update's generated images (through the image history),
 *    without gradient into the generator.
 *
 * Each update has its own Adam(4e-4, 0.5, 0.999); the learning rate is constant, then falls
 * linearly to zero. Every random choice is seeded from (seed, step), so two runs with the same
 * seed on the cpu backend give the same losses, and a run resumed from a checkpoint reproduces
 * the uninterrupted one.
 *
 * ```ts
 * const trainer = new TpfrTrainer(TpfrTrainer.createModel('tiny', 0), dataset, { steps: 1000 });
 * const { stoppedBy } = await trainer.fit({ timeLimitMs: 60_000, checkpointDir: 'out/run' });
 * ```
 */
export class TpfrTrainer {
  readonly model: TpfrModel;
  readonly dataset: StyleDataset;
  readonly options: ResolvedTrainerOptions;
  /** What {@link resume} changed or noticed (new option values, an extended schedule). */
  readonly notes: string[] = [];
  private readonly optimizers: Record<OptimizerName, tf.AdamOptimizer>;
  private readonly history: ImageHistory;
  private historyRandom: () => number = () => 0;
  private readonly average: WeightAverage;
  /** Steps done so far. */
  step = 0;
  /** Updates of the step in progress already applied to the weights (0: the state is the last step's). */
  private updatesApplied = 0;
  /** {@link filterHoldBytes}, worked out on the first step. */
  private holdBytes?: number;

  constructor(model: TpfrModel, dataset: StyleDataset, options: TrainerOptions) {
    const fn = 'TpfrTrainer';
    const o = resolveTrainerOptions(fn, options);
    if (dataset.size < model.widths.minSide || dataset.size % model.widths.multiple !== 0) {
      throw new ValueError(
        fn,
        `training images of a side ≥ ${model.widths.minSide} and a multiple of ${model.widths.multiple}`,
        String(dataset.size),
      );
    }
    this.model = model;
    this.dataset = dataset;
    this.options = o;
    const adam = () => tf.train.adam(o.learningRate, o.beta1, o.beta2);
    this.optimizers = { aux: adam(), main: adam(), disc: adam(), warmupAux: adam(), warmupMain: adam() };
    this.history = new ImageHistory({ size: o.imageHistorySize, random: () => this.historyRandom() });
    this.average = new WeightAverage(o.emaDecay);
  }

  /**
   * A fresh model whose weights are drawn from `seed` (the layers' own initializers draw from
   * tfjs' global random state), ready for a reproducible run.
   */
  static createModel(config: Parameters<typeof TpfrModel.create>[0], seed = 0): TpfrModel {
    const model = TpfrModel.create(config);
    seedKernels(Object.values(model.parts()), seed);
    return model;
  }

  /** The learning rate at step `step` (0-based): constant, then linear decay to zero. */
  learningRateAt(step: number): number {
    return learningRateAt(this.options, step);
  }

  private vars(models: tfl.LayersModel[]): tf.Variable[] {
    return models.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  }

  /** What the network passes need to recompute their activations block by block: the update's variables, when `recompute`. */
  private recomputeFor(trained: tf.Variable[]): { recomputeFor?: tf.Variable[] } {
    return this.options.recompute ? { recomputeFor: trained } : {};
  }

  /** What the updates need of the options. */
  private passOptions(trained: tf.Variable[]): UpdateOptions {
    const { adversarial, peerPaintings } = this.options;
    return { adversarial, peerPaintings, ...this.recomputeFor(trained) };
  }

  /** Sets this step's learning rate on every optimizer and returns it. */
  private startStep(): number {
    const lr = this.learningRateAt(this.step);
    // tfjs optimizers keep their rate in a protected field; the schedule changes it per step.
    for (const opt of Object.values(this.optimizers)) (opt as unknown as { learningRate: number }).learningRate = lr;
    return lr;
  }

  private finishStep(t0: number, lr: number, losses: Record<string, number>): StepInfo {
    this.step++;
    return { step: this.step, steps: this.options.steps, learningRate: lr, losses, ms: performance.now() - t0 };
  }

  /**
   * Runs one training step (a warm-up step during the first `warmupSteps`) and returns its report.
   * Reads the losses synchronously: on WebGPU (no synchronous read in Node) use {@link trainStepAsync}.
   */
  trainStep(): StepInfo {
    const p = this.runStep('TpfrTrainer.trainStep');
    const values = p.values.dataSync();
    p.values.dispose();
    return this.finishStep(p.t0, p.lr, lossRecord(p.names, values));
  }

  /**
   * {@link trainStep} with the losses read asynchronously: the same step, usable on every backend
   * (WebGPU included). `fit` uses it.
   */
  async trainStepAsync(): Promise<StepInfo> {
    const p = this.runStep('TpfrTrainer.trainStepAsync');
    const values = await p.values.data();
    p.values.dispose();
    return this.finishStep(p.t0, p.lr, lossRecord(p.names, values));
  }

  /** One step's updates; its losses come back unread (`[L]` float32, in the order of `names`). */
  private runStep(fn: string): PendingStep {
    // The filters' Winograd transforms, kept between a filter's calls within an update where the heap has room.
    const release = holdWinogradFilters({ maxBytes: this.filterHoldBytes() });
    try {
      return this.runUpdates(fn);
    } catch (e) {
      // A forward pass that threw leaves the tensors its ops kept for the backward pass on tfjs' tape.
      releaseAbandonedTape();
      throw e;
    } finally {
      release();
    }
  }

  private runUpdates(fn: string): PendingStep {
    if (this.step >= this.options.steps)
      throw new TpfrError(fn, `all ${this.options.steps} steps are done (resume with more steps to go on)`);
    guardKernels();
    this.updatesApplied = 0;
    if (this.step < this.options.warmupSteps) return this.warmupStep();
    const t0 = performance.now();
    const { model, options: o } = this;
    const step = this.step;
    const lr = this.startStep();
    const seed = hashSeed(o.seed, step);
    model.recombinationLayer.setDropoutSeed(hashSeed(seed, 1) >>> 1);
    const historyRng = createRng(hashSeed(seed, 2));
    this.historyRandom = () => historyRng.next();
    const batch = this.dataset.sampleBatch(step, o.batchSize);
    // Each update's loss terms, kept (unread) until the step is done.
    const names: string[] = [];
    const kept: tf.Tensor1D[] = [];
    const record = (prefix: string, terms: Record<string, tf.Scalar>) => {
      const own = Object.keys(terms);
      names.push(...own.map((n) => `${prefix}/${n}`));
      kept.push(tf.keep(tf.stack(own.map((n) => terms[n])) as tf.Tensor1D));
    };
    const auxVars = this.vars([model.encoder, model.auxDecoder]);
    const mainVars = this.vars([model.recombination, model.mainDecoder]);
    const discVars = this.vars([model.discriminator]);
    try {
      // 1. Auxiliary module: encoder + auxiliary decoder.
      this.update(
        'aux',
        () => {
          const terms = auxiliaryTerms(model, batch, this.passOptions(auxVars));
          record('aux', terms);
          return weightedLossSum(terms, o.weights);
        },
        auxVars,
      );

      // 2. Main module: attention + main decoder; the encoder is frozen (not in the var list).
      let fakes: { reconstruction: tf.Tensor4D; stylized: tf.Tensor4D } | null = null;
      this.update(
        'main',
        () => {
          const { terms, reconstruction, stylized } = mainTerms(model, batch, seed, this.passOptions(mainVars));
          fakes = { reconstruction: tf.keep(reconstruction), stylized: tf.keep(stylized) };
          record('main', terms);
          return weightedLossSum(terms, o.weights);
        },
        mainVars,
      );

      // 3. Discriminator, on the generated images (no gradient into the generator).
      const f = fakes as unknown as { reconstruction: tf.Tensor4D; stylized: tf.Tensor4D };
      const fromHistory = tf.tidy(() => this.history.query(tf.concat([f.reconstruction, f.stylized], 0)));
      tf.dispose([f.reconstruction, f.stylized]);
      try {
        this.update(
          'disc',
          () => {
            const terms = discriminatorTerms(model, batch, fromHistory, seed, this.passOptions(discVars));
            record('disc', terms);
            return weightedLossSum(terms, o.weights);
          },
          discVars,
        );
      } finally {
        fromHistory.dispose();
      }
    } catch (e) {
      tf.dispose(kept);
      throw e;
    } finally {
      tf.dispose([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
      model.recombinationLayer.setDropoutSeed(null);
    }
    this.average.update(this.averagedVars());
    const values = tf.concat(kept) as tf.Tensor1D;
    tf.dispose(kept);
    return { t0, lr, names, values };
  }

  /**
   * One update (what `minimize` does, in two timed parts): the gradients of `loss` for `vars`
   * (`train/<update>/gradients`, its forward pass `train/<update>/forward` inside), then Adam
   * (`train/optimizer`). Returns the loss when `keepLoss` (else frees it).
   */
  private update(name: OptimizerName, loss: () => tf.Scalar, vars: tf.Variable[]): null;
  private update(name: OptimizerName, loss: () => tf.Scalar, vars: tf.Variable[], keepLoss: true): tf.Scalar;
  private update(name: OptimizerName, loss: () => tf.Scalar, vars: tf.Variable[], keepLoss = false): tf.Scalar | null {
    const opt = this.optimizers[name];
    const part = `train/${name.replace(/^warmup(.)/, (_, c: string) => `warmup-${c.toLowerCase()}`)}`;
    const { value, grads } = timed(`${part}/gradients`, () => opt.computeGradients(() => timed(`${part}/forward`, loss), vars));
    // From here the weights change: a failure leaves no good state in memory.
    this.updatesApplied++;
    try {
      timed('train/optimizer', () => opt.applyGradients(grads as Parameters<tf.AdamOptimizer['applyGradients']>[0]));
    } catch (e) {
      value.dispose();
      throw e;
    } finally {
      tf.dispose(Object.values(grads));
    }
    if (keepLoss) return value;
    value.dispose();
    return null;
  }

  /** Reconstruction only: encoder + aux decoder, then the main decoder on the frozen codes. */
  private warmupStep(): PendingStep {
    const t0 = performance.now();
    const { model, options: o } = this;
    const lr = this.startStep();
    const batch = this.dataset.sampleBatch(this.step, o.warmupBatchSize);
    try {
      const images = tf.concat([batch.photoA, batch.paintingB2], 0) as tf.Tensor4D;
      const auxVars = this.vars([model.encoder, model.auxDecoder]);
      const mainVars = this.vars([model.mainDecoder]);
      const auxLoss = () => {
        const z = encodePass(model, images, { training: true, wantsInput: false, ...this.recomputeFor(auxVars) });
        return mseLoss(decodePass(model, z, { decoder: 'aux', training: true, ...this.recomputeFor(auxVars) }), images);
      };
      const mainLoss = () => {
        const z = encodePass(model, images, { training: false, wantsInput: false, ...this.recomputeFor(mainVars) });
        return mseLoss(decodePass(model, z, { decoder: 'main', training: true, ...this.recomputeFor(mainVars) }), images);
      };
      const aux = this.update('warmupAux', auxLoss, auxVars, true);
      const main = this.update('warmupMain', mainLoss, mainVars, true);
      const values = tf.stack([aux, main]) as tf.Tensor1D;
      tf.dispose([aux, main, images]);
      return { t0, lr, names: ['aux/reconstruction', 'main/reconstruction'], values };
    } finally {
      tf.dispose([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
    }
  }

  /** The generator's variables that {@link TrainerOptions.emaDecay} averages. */
  private averagedVars(): tf.Variable[] {
    return this.vars([this.model.encoder, this.model.recombination, this.model.mainDecoder]);
  }

  /**
   * The bytes of Winograd filter transforms a step may keep (wasm): half the room the step's
   * estimated peak leaves in the 4 GiB heap after `HEAP_RESERVE_BYTES` (XNNPACK packs a copy
   * of each kept transform, the other half), at most `MAX_HOLD_BYTES`, none below 128 MiB.
   */
  private filterHoldBytes(): number {
    this.holdBytes ??= (() => {
      const room = (WASM_HEAP_BYTES - HEAP_RESERVE_BYTES - this.estimateStepMemory().peakBytes) / 2;
      return room < 128 * 2 ** 20 ? 0 : Math.min(MAX_HOLD_BYTES, room);
    })();
    return this.holdBytes;
  }

  /** {@link estimateTrainStepMemory} of this run: its model, image size, batch and options (`recompute` as given, else the run's). */
  estimateStepMemory(opts: { recompute?: boolean } = {}): TrainMemoryEstimate {
    const o = this.options;
    return estimateTrainStepMemory(this.model, {
      size: this.dataset.size,
      batch: o.batchSize,
      peerPaintings: o.peerPaintings,
      imageHistorySize: o.imageHistorySize,
      warmupSteps: o.warmupSteps,
      emaDecay: o.emaDecay,
      recompute: opts.recompute ?? o.recompute,
    });
  }

  /** Steps the weight average has seen so far (0 without `emaDecay`). */
  get averagedSteps(): number {
    return this.average.count;
  }

  /**
   * Copies the averaged generator weights into the model (see {@link TrainerOptions.emaDecay}),
   * typically once at the end of training, before saving or stylizing. Returns false, changing
   * nothing, when there is no average yet. Training may go on afterwards from the averaged weights.
   */
  applyAveragedWeights(): boolean {
    return this.average.applyTo(this.averagedVars());
  }

  /**
   * Trains until `steps`, or until the signal, the time limit or the callback stops it, writing
   * a checkpoint every `checkpointEvery` steps, at the end and on a stop when `checkpointDir` is
   * set. Yields to the event loop between steps (so a signal from a timer or a UI gets through).
   *
   * A step that fails (a `KernelFailureError` of @tpfr/core when a kernel runs out of memory, or any other
   * error) ends the run: when none of its updates had reached the weights, the state of the last
   * good step is checkpointed first (with `checkpointDir`), and the error is rethrown with where
   * the last good checkpoint is added to its message. With `memoryBudgetBytes`, a run whose
   * estimated step is above it is refused before the first step.
   */
  async fit(opts: FitOptions = {}): Promise<FitResult> {
    const fn = 'TpfrTrainer.fit';
    const every = opts.checkpointEvery ?? 100;
    if (!(Number.isInteger(every) && every >= 1)) throw new ValueError(fn, 'checkpointEvery an integer >= 1', String(opts.checkpointEvery));
    const limit = opts.timeLimitMs ?? Infinity;
    if (!(limit >= 0)) throw new ValueError(fn, 'timeLimitMs >= 0', String(opts.timeLimitMs));
    const budget = opts.memoryBudgetBytes;
    if (budget !== undefined) {
      if (!(budget > 0)) throw new ValueError(fn, 'memoryBudgetBytes > 0', String(budget));
      const estimate = this.estimateStepMemory();
      if (estimate.peakBytes > budget) throw new TrainMemoryBudgetError(fn, estimate, budget);
    }
    const t0 = performance.now();
    const steps: StepInfo[] = [];
    let stoppedBy: FitResult['stoppedBy'] = 'done';
    let saved = this.step;
    while (this.step < this.options.steps) {
      if (opts.signal?.aborted) {
        stoppedBy = 'signal';
        break;
      }
      let info: StepInfo;
      try {
        info = await this.trainStepAsync();
      } catch (e) {
        throw await this.afterFailedStep(e, opts.checkpointDir, saved);
      }
      steps.push(info);
      const goOn = opts.onStep?.(info);
      // The last step's checkpoint is written after the loop, as on a stop.
      if (opts.checkpointDir && this.step % every === 0) {
        await this.saveCheckpoint(opts.checkpointDir);
        saved = this.step;
      }
      if (goOn === false) {
        stoppedBy = 'callback';
        break;
      }
      if (performance.now() - t0 >= limit) {
        stoppedBy = 'time-limit';
        break;
      }
      await new Promise((r) => setTimeout(r, 0));
    }
    if (opts.checkpointDir && saved !== this.step) await this.saveCheckpoint(opts.checkpointDir);
    return { steps, stoppedBy };
  }

  /**
   * After a step that threw: when none of its updates reached the weights, the state is the last
   * good step's and is written to `dir` (when set); otherwise the checkpoint on disk (step `saved`)
   * stays the last good one. The error comes back with that said in its message.
   */
  private async afterFailedStep(e: unknown, dir: string | undefined, saved: number): Promise<unknown> {
    if (!dir || !(e instanceof Error)) return e;
    let note: string;
    if (this.updatesApplied === 0) {
      try {
        await this.saveCheckpoint(dir);
        note = `the last good state (step ${this.step}) is checkpointed in ${dir}`;
      } catch (w) {
        note = `the checkpoint of step ${this.step} could not be written: ${(w as Error).message}`;
      }
    } else {
      note =
        saved > 0
          ? `step ${this.step + 1} had updated part of the weights: the last good checkpoint is step ${saved} in ${dir}`
          : `step ${this.step + 1} had updated part of the weights: no good checkpoint to write`;
    }
    e.message = `${e.message}; ${note}`;
    return e;
  }

  /**
   * Writes model, optimizer states, weight average, image history, step, options and the data's
   * description into the folder `dir` (Node), atomically.
   */
  async saveCheckpoint(dir: string): Promise<void> {
    const tensors: { name: string; tensor: tf.Tensor }[] = [];
    for (const [name, opt] of Object.entries(this.optimizers)) {
      for (const w of await opt.getWeights()) tensors.push({ name: `${name}/${w.name}`, tensor: w.tensor });
    }
    // By position: variable names get numeric suffixes when a model is loaded twice in a process.
    this.average.values.forEach((avg, i) => tensors.push({ name: `ema/${i}`, tensor: avg }));
    const history = this.history.snapshot();
    if (history) tensors.push({ name: 'history/images', tensor: history });
    try {
      await writeCheckpoint(dir, this.model, {
        step: this.step,
        averagedSteps: this.average.count,
        options: this.options,
        data: describeData(this.dataset),
        tensors,
      });
    } finally {
      // The step counts (`iter`, made by getWeights) and the history's snapshot are new tensors; the
      // rest are the optimizers' and the average's own variables.
      tf.dispose(tensors.map((t) => t.tensor).filter((t) => !(t instanceof tf.Variable)));
    }
  }

  /**
   * Resumes a run from a checkpoint written by {@link saveCheckpoint}: the run then goes on as if
   * never interrupted. The checkpoint's options apply; an option given in `changes` with another
   * value replaces it and is listed in {@link notes}. Data other than the checkpoint's (seed,
   * size, source) is refused unless `allowDataChange`. Extending the steps keeps the schedule
   * continuous: during the decay, the decay is stretched to the new end from the current rate; a
   * finished run (rate 0) restarts at the base rate and decays to zero at the new end.
   */
  static async resume(dir: string, dataset: StyleDataset, changes: ResumeOptions = {}): Promise<TpfrTrainer> {
    const fn = 'TpfrTrainer.resume';
    const { allowDataChange, ...given } = changes;
    const unknown = Object.keys(given).filter((k) => !(TRAINER_OPTION_NAMES as readonly string[]).includes(k));
    if (unknown.length > 0)
      throw new ValueError(fn, `options among ${TRAINER_OPTION_NAMES.join(', ')}, allowDataChange`, `unknown ${unknown.join(', ')}`);
    const { model, state } = await readCheckpoint(dir, fn);
    const disposeAll = () => {
      tf.dispose(state.tensors.map((t) => t.tensor));
      model.dispose();
    };
    try {
      const { options, notes } = planResume(fn, state, dataset, given, allowDataChange);
      const trainer = new TpfrTrainer(model, dataset, options);
      trainer.notes.push(...notes);
      const tensors = Object.fromEntries(state.tensors.map((t) => [t.name, t.tensor]));
      for (const name of OPTIMIZERS) {
        const prefix = `${name}/`;
        const weights = state.tensors
          .filter((t) => t.name.startsWith(prefix))
          .map((t) => ({ name: t.name.slice(prefix.length), tensor: t.tensor }));
        if (weights.length > 0) {
          const opt = trainer.optimizers[name];
          await opt.setWeights(weights);
          restoreAdamPowers(opt, trainer.options);
        }
      }
      trainer.history.restore((tensors['history/images'] as tf.Tensor4D | undefined) ?? null);
      const ema: tf.Tensor[] = [];
      for (let i = 0; tensors[`ema/${i}`]; i++) ema.push(tensors[`ema/${i}`]);
      trainer.average.restore(ema, state.averagedSteps); // none saved (count 0): a fresh average
      tf.dispose(state.tensors.map((t) => t.tensor));
      trainer.step = state.step;
      return trainer;
    } catch (e) {
      disposeAll();
      throw e;
    }
  }

  /** Generated images held by the discriminator's image history (at most `imageHistorySize`). */
  get historyImages(): number {
    return this.history.length;
  }

  /** Frees the optimizers' state, the weight average and the image history (not the model). */
  dispose(): void {
    for (const opt of Object.values(this.optimizers)) opt.dispose();
    this.average.dispose();
    this.history.dispose();
  }
}
