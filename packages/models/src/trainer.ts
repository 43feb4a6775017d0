import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TpfrError, ValueError, assertInteger } from '@tpfr/core';
import {
  ImagePool,
  DEFAULT_LOSS_WEIGHTS,
  contentFeatureCycleLoss,
  latentCycleLoss,
  latentDistance,
  meanOverExemplars,
  metricLearningLoss,
  mseLoss,
  reconstructionLoss,
  raganBceDiscriminatorLoss,
  raganBceGeneratorLoss,
  raganLsDiscriminatorLoss,
  raganLsGeneratorLoss,
  transferLatentCycleLoss,
  weightedLossSum,
  type LossWeights,
} from '@tpfr/losses';
import { stackPeersPerSample } from '@tpfr/layers';
import { createRng, hashSeed } from './data/prng.js';
import type { StyleBatch, StyleDataset } from './data/types.js';
import { TpfrModel, replaceDir, type Latent, type PeerCodes } from './model.js';
import { seedKernels } from './seeded-init.js';

/** Options of {@link TpfrTrainer}. */
export interface TrainerOptions {
  /** Training steps in all. */
  steps: number;
  /** Samples per step (default 1); each sample has its own peer pool. */
  batchSize?: number;
  /** Adam learning rate of all three optimizers (default 4e-4). */
  learningRate?: number;
  /** Adam β1 (default 0.5). */
  beta1?: number;
  /** Adam β2 (default 0.999). */
  beta2?: number;
  /**
   * Step from which the learning rate falls linearly to zero at `steps` (default `steps / 4`: the
   * authors keep it constant for 50 of 200 epochs).
   */
  decayFrom?: number;
  /** Loss weights by term name (default: reconstruction 25, the rest 1). */
  weights?: LossWeights;
  /** Adversarial form: `'ls'` (least-squares RaGAN, the authors', default) or `'bce'`. */
  adversarial?: 'ls' | 'bce';
  /** Past generated images kept for the discriminator (default 50; 0 disables the pool). */
  imagePoolSize?: number;
  /**
   * Steps at the start that fit only the reconstruction terms: the encoder with both decoders as
   * autoencoders (default 0). Not in the authors' scheme: it makes short runs (minutes on a CPU)
   * start the adversarial and cycle terms from codes that already describe the images. Counted
   * in `steps`; has two Adam optimizers of its own (its variable lists differ from the main steps).
   */
  warmupSteps?: number;
  /** Samples per warm-up step (default: 4 × batchSize; warm-up steps are several times cheaper). */
  warmupBatchSize?: number;
  /**
   * Decay of an exponential moving average of the generator's weights (encoder, TPFR layer, main
   * decoder), updated after every step past the warm-up (default 0: none). Early updates use
   * `min(decay, (1 + t) / (10 + t))` at the t-th update, so the average follows the weights at
   * first. {@link TpfrTrainer.applyAveragedWeights} puts it into the model; checkpoints keep it.
   * Averaged weights smooth out the step-to-step swings of adversarial training.
   */
  emaDecay?: number;
  /**
   * Paintings in each sample's peer pool when A is stylized in training: 1 (B′ alone, the
   * authors', default) or 2 (B′ and B, two exemplars of the class). At test time the pool often
   * holds several exemplars (see `stylize`); a pool of 2 in training lets the TPFR layer and the
   * main decoder learn from pools of more than one image, for one more encoder pass per step.
   */
  peerPaintings?: 1 | 2;
  /** Seed of everything random in training: data order, weight init, dropout, noise, pool. */
  seed?: number;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
  /** Where {@link TpfrTrainer.fit} writes checkpoints (Node); none when absent. */
  checkpointDir?: string;
  /** Steps between checkpoints in {@link TpfrTrainer.fit} (default 100; the last step always). */
  checkpointEvery?: number;
}

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

/** The resolved options stored in checkpoints. */
type ResolvedOptions = Required<Omit<TrainerOptions, 'onStep' | 'checkpointDir' | 'weights'>> & { weights: LossWeights };

const TRAINER_STATE = 'trainer.json';
/** The three updates of a step, and the two of a warm-up step (own Adam states: other var lists). */
const OPTIMIZERS = ['aux', 'main', 'disc', 'warmupAux', 'warmupMain'] as const;
type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * The authors' training scheme (spec §6). Each step draws a batch (photo A, painting B of class
 * c, another photo A′, another painting B′ of c), then runs, in this order:
 *
 * 1. the auxiliary update (encoder + auxiliary decoder): reconstruction, content-feature cycle,
 *    metric learning on style codes, latent cycle;
 * 2. the main update (TPFR attention + main decoder; encoder frozen): relativistic adversarial,
 *    reconstruction (×25), transfer latent cycle;
 * 3. the discriminator update, on the main update's generated images (through the image pool),
 *    without gradient into the generator.
 *
 * Each update has its own Adam(4e-4, 0.5, 0.999); the learning rate is constant, then falls
 * linearly to zero. Every random choice is seeded from (seed, step), so two runs with the same
 * seed on the cpu backend give the same losses, and a run resumed from a checkpoint reproduces
 * the uninterrupted one.
 */
export class TpfrTrainer {
  readonly model: TpfrModel;
  readonly dataset: StyleDataset;
  readonly options: ResolvedOptions;
  private readonly onStep?: (info: StepInfo) => void;
  private readonly checkpointDir?: string;
  private readonly optimizers: Record<OptimizerName, tf.AdamOptimizer>;
  private readonly pool: ImagePool;
  private poolRandom: () => number = () => 0;
  /** The averaged generator weights, in the order of `averagedVars()` (empty until the first averaged step). */
  private averages: tf.Variable[] = [];
  private averageUpdates = 0;
  /** Steps done so far. */
  step = 0;

  constructor(model: TpfrModel, dataset: StyleDataset, options: TrainerOptions) {
    const fn = 'TpfrTrainer';
    assertInteger(fn, 'steps', options.steps, 1);
    const batchSize = options.batchSize ?? 1;
    assertInteger(fn, 'batchSize', batchSize, 1);
    const o: ResolvedOptions = {
      steps: options.steps,
      batchSize,
      learningRate: options.learningRate ?? 4e-4,
      beta1: options.beta1 ?? 0.5,
      beta2: options.beta2 ?? 0.999,
      decayFrom: options.decayFrom ?? Math.floor(options.steps / 4),
      weights: { ...DEFAULT_LOSS_WEIGHTS, ...(options.weights ?? {}) },
      adversarial: options.adversarial ?? 'ls',
      imagePoolSize: options.imagePoolSize ?? 50,
      warmupSteps: options.warmupSteps ?? 0,
      warmupBatchSize: options.warmupBatchSize ?? 4 * batchSize,
      emaDecay: options.emaDecay ?? 0,
      peerPaintings: options.peerPaintings ?? 1,
      seed: options.seed ?? 0,
      checkpointEvery: options.checkpointEvery ?? 100,
    };
    if (!(o.learningRate > 0)) throw new ValueError(fn, 'learningRate > 0', String(o.learningRate));
    if (!(o.emaDecay >= 0 && o.emaDecay < 1)) throw new ValueError(fn, 'emaDecay in [0, 1)', String(o.emaDecay));
    if (o.peerPaintings !== 1 && o.peerPaintings !== 2) throw new ValueError(fn, 'peerPaintings 1 or 2', String(o.peerPaintings));
    if (o.adversarial !== 'ls' && o.adversarial !== 'bce') throw new ValueError(fn, `adversarial 'ls' or 'bce'`, String(o.adversarial));
    if (dataset.size < model.widths.minSide || dataset.size % model.widths.multiple !== 0) {
      throw new ValueError(fn, `training images of a side ≥ ${model.widths.minSide} and a multiple of ${model.widths.multiple}`, String(dataset.size));
    }
    this.model = model;
    this.dataset = dataset;
    this.options = o;
    this.onStep = options.onStep;
    this.checkpointDir = options.checkpointDir;
    const adam = () => tf.train.adam(o.learningRate, o.beta1, o.beta2);
    this.optimizers = { aux: adam(), main: adam(), disc: adam(), warmupAux: adam(), warmupMain: adam() };
    this.pool = new ImagePool({ size: o.imagePoolSize, random: () => this.poolRandom() });
  }

  /**
   * A fresh model whose weights are drawn from `seed` (tfjs-layers' initializers are unseeded),
   * ready for a reproducible run.
   */
  static createModel(config: Parameters<typeof TpfrModel.create>[0], seed = 0): TpfrModel {
    const model = TpfrModel.create(config);
    seedKernels(Object.values(model.parts()), seed);
    return model;
  }

  /** The learning rate at step `step` (0-based): constant, then linear decay to zero. */
  learningRateAt(step: number): number {
    const { learningRate, decayFrom, steps } = this.options;
    if (step < decayFrom) return learningRate;
    return learningRate * Math.max(0, (steps - step) / Math.max(1, steps - decayFrom));
  }

  private vars(models: tfl.LayersModel[]): tf.Variable[] {
    return models.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  }

  /** Sets this step's learning rate on every optimizer and returns it. */
  private startStep(): number {
    const lr = this.learningRateAt(this.step);
    // tfjs optimizers keep their rate in a protected field; the schedule changes it per step.
    for (const opt of Object.values(this.optimizers)) (opt as unknown as { learningRate: number }).learningRate = lr;
    return lr;
  }

  /** Counts the step done and reports it. */
  private finishStep(t0: number, lr: number, losses: Record<string, number>): StepInfo {
    this.step++;
    const info: StepInfo = { step: this.step, steps: this.options.steps, learningRate: lr, losses, ms: performance.now() - t0 };
    this.onStep?.(info);
    return info;
  }

  /** Runs one training step (a warm-up step during the first `warmupSteps`) and returns its report. */
  trainStep(): StepInfo {
    if (this.step < this.options.warmupSteps) return this.warmupStep();
    const t0 = performance.now();
    const { model, options: o } = this;
    const step = this.step;
    const lr = this.startStep();
    const seed = hashSeed(o.seed, step);
    model.recombinationLayer.setDropoutSeed(hashSeed(seed, 1) >>> 1);
    const poolRng = createRng(hashSeed(seed, 2));
    this.poolRandom = () => poolRng.next();
    const batch = this.dataset.sampleBatch(step, o.batchSize);
    const losses: Record<string, number> = {};
    const record = (prefix: string, terms: Record<string, tf.Scalar>) => {
      const names = Object.keys(terms);
      const values = tf.tidy(() => tf.stack(names.map((n) => terms[n])).dataSync());
      names.forEach((n, i) => { losses[`${prefix}/${n}`] = values[i]; });
    };
    try {
      // 1. Auxiliary module: encoder + auxiliary decoder.
      this.optimizers.aux.minimize(() => {
        const terms = this.auxiliaryTerms(batch);
        const total = weightedLossSum(terms, o.weights);
        record('aux', terms);
        return total;
      }, false, this.vars([model.encoder, model.auxDecoder]));

      // 2. Main module: attention + main decoder; the encoder is frozen (not in the var list).
      let fakes: { reconstruction: tf.Tensor4D; stylized: tf.Tensor4D } | null = null;
      this.optimizers.main.minimize(() => {
        const { terms, reconstruction, stylized } = this.mainTerms(batch, seed);
        fakes = { reconstruction: tf.keep(reconstruction), stylized: tf.keep(stylized) };
        const total = weightedLossSum(terms, o.weights);
        record('main', terms);
        return total;
      }, false, this.vars([model.recombination, model.mainDecoder]));

      // 3. Discriminator, on the generated images (no gradient into the generator).
      const f = fakes as unknown as { reconstruction: tf.Tensor4D; stylized: tf.Tensor4D };
      const pooled = tf.tidy(() => this.pool.query(tf.concat([f.reconstruction, f.stylized], 0)));
      tf.dispose([f.reconstruction, f.stylized]);
      try {
        this.optimizers.disc.minimize(() => {
          const b = o.batchSize;
          const fakeRec = tf.slice(pooled, [0, 0, 0, 0], [b, -1, -1, -1]) as tf.Tensor4D;
          const fakeSty = tf.slice(pooled, [b, 0, 0, 0], [b, -1, -1, -1]) as tf.Tensor4D;
          const dLoss = o.adversarial === 'ls' ? raganLsDiscriminatorLoss : raganBceDiscriminatorLoss;
          const pairs: [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D][] = [
            [batch.photoA, fakeRec, batch.photoA2],
            [batch.paintingB, fakeSty, batch.paintingB2],
          ];
          const adversarial = meanOverExemplars(pairs, ([real, fake, cond], i) =>
            dLoss(this.discriminate(real, cond, seed, 10 + 2 * i), this.discriminate(fake, cond, seed, 11 + 2 * i)));
          record('disc', { adversarial });
          return adversarial;
        }, false, this.vars([model.discriminator]));
      } finally {
        pooled.dispose();
      }
    } finally {
      tf.dispose([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
      model.recombinationLayer.setDropoutSeed(null);
    }
    this.updateAverage();
    return this.finishStep(t0, lr, losses);
  }

  /** The generator's variables that {@link TrainerOptions.emaDecay} averages. */
  private averagedVars(): tf.Variable[] {
    return this.vars([this.model.encoder, this.model.recombination, this.model.mainDecoder]);
  }

  /** One update of the weight average (nothing when `emaDecay` is 0). */
  private updateAverage(): void {
    const decay = this.options.emaDecay;
    if (!(decay > 0)) return;
    const t = this.averageUpdates++;
    const d = Math.min(decay, (1 + t) / (10 + t));
    const vars = this.averagedVars();
    if (this.averages.length === 0) {
      this.averages = vars.map((v) => tf.variable(v, false));
      return;
    }
    // avg ← avg + (1 − d)·(w − avg), with one shared scalar.
    tf.tidy(() => {
      const rate = tf.scalar(1 - d);
      vars.forEach((v, i) => this.averages[i].assign(tf.add(this.averages[i], tf.mul(tf.sub(v, this.averages[i]), rate))));
    });
  }

  /** Steps the weight average has seen so far (0 without `emaDecay`). */
  get averagedSteps(): number {
    return this.averageUpdates;
  }

  /**
   * Copies the averaged generator weights into the model (see {@link TrainerOptions.emaDecay}),
   * typically once at the end of training, before saving or stylizing. Returns false, changing
   * nothing, when there is no average yet. Training may go on afterwards from the averaged weights.
   */
  applyAveragedWeights(): boolean {
    if (this.averages.length === 0) return false;
    this.averagedVars().forEach((v, i) => v.assign(this.averages[i]));
    return true;
  }

  /** Reconstruction only: encoder + aux decoder, then the main decoder on the frozen codes. */
  private warmupStep(): StepInfo {
    const t0 = performance.now();
    const { model, options: o } = this;
    const lr = this.startStep();
    const batch = this.dataset.sampleBatch(this.step, o.warmupBatchSize);
    const losses: Record<string, number> = {};
    try {
      const images = tf.concat([batch.photoA, batch.paintingB2], 0) as tf.Tensor4D;
      const aux = this.optimizers.warmupAux.minimize(() => mseLoss(model.decode(model.encode(images, true), 'aux', true), images), true,
        this.vars([model.encoder, model.auxDecoder]));
      const main = this.optimizers.warmupMain.minimize(() => mseLoss(model.decode(model.encode(images), 'main', true), images), true,
        this.vars([model.mainDecoder]));
      losses['aux/reconstruction'] = aux!.dataSync()[0];
      losses['main/reconstruction'] = main!.dataSync()[0];
      tf.dispose([aux!, main!, images]);
    } finally {
      tf.dispose([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
    }
    return this.finishStep(t0, lr, losses);
  }

  /** Discriminator scores of `image` given `condition`, with seeded input noise (training). */
  private discriminate(image: tf.Tensor4D, condition: tf.Tensor4D, seed: number, salt: number): tf.Tensor {
    const std = this.model.config.discriminatorNoise;
    const noisy = (x: tf.Tensor4D, s: number) => (std > 0 ? tf.add(x, tf.randomNormal(x.shape, 0, std, 'float32', hashSeed(seed, salt, s) >>> 1)) : x);
    return this.model.discriminator.apply([noisy(image, 0), noisy(condition, 1)], { training: true }) as tf.Tensor;
  }

  /**
   * The peer pool of each sample (see {@link TrainerOptions.peerPaintings}): B′'s code alone, or
   * B′'s and B's (`codeOfB` is called only then), laid out as `recombine` expects,
   * `[B, P, h, w, C]` with sample i's exemplars B′ᵢ (and Bᵢ).
   */
  private peerPool(zB2: Latent, codeOfB: () => Latent): PeerCodes {
    const zB = this.options.peerPaintings === 1 ? null : codeOfB();
    const rows = (t: tf.Tensor4D) => Array.from({ length: t.shape[0] }, (_, i) => tf.slice(t, [i], [1]) as tf.Tensor4D);
    const stack = (which: 'content' | 'style') => {
      const b2 = rows(zB2[which]);
      const b = zB ? rows(zB[which]) : null;
      return stackPeersPerSample(b2.map((r, i) => (b ? [r, b[i]] : r)));
    };
    return { content: stack('content'), style: stack('style') };
  }

  /** Spec §6, auxiliary module. */
  private auxiliaryTerms(batch: StyleBatch): Record<string, tf.Scalar> {
    const m = this.model;
    const zA = m.encode(batch.photoA, true);
    const zB = m.encode(batch.paintingB, true);
    const zA2 = m.encode(batch.photoA2, true);
    const zB2 = m.encode(batch.paintingB2, true);
    const recA = m.decode(zA, 'aux', true);
    const recB2 = m.decode(zB2, 'aux', true);
    const reconstruction = reconstructionLoss([[recA, batch.photoA], [recB2, batch.paintingB2]]);
    // Content feature cycle: the stylized image and the main decoder's reconstruction must keep
    // the content code of A (gradients reach the encoder only: only its weights are updated).
    const stylized = m.decode(m.recombine(zA, this.peerPool(zB2, () => zB)), 'main');
    const mainRec = m.decode(zA, 'main');
    const contentFeatureCycle = contentFeatureCycleLoss([
      [m.encode(stylized, true).content, zA.content],
      [m.encode(mainRec, true).content, zA.content],
    ]);
    const metricLearning = metricLearningLoss(
      [[zB2.style, zB.style], [zA2.style, zA.style]],
      [[zA2.style, zB.style], [zB2.style, zA.style]],
    );
    const cycA = m.encode(recA, true);
    const cycB2 = m.encode(recB2, true);
    const latentCycle = latentCycleLoss([
      [{ content: zA.content, style: zA.style, middle: zA.middle }, cycA],
      [{ style: zB2.style, middle: zB2.middle }, cycB2],
    ]);
    return { reconstruction, contentFeatureCycle, metricLearning, latentCycle };
  }

  /** Spec §6, main module; also returns the generated images for the discriminator. */
  private mainTerms(batch: StyleBatch, seed: number): { terms: Record<string, tf.Scalar>; reconstruction: tf.Tensor4D; stylized: tf.Tensor4D } {
    const m = this.model;
    const zA: Latent = m.encode(batch.photoA);
    const zB2: Latent = m.encode(batch.paintingB2);
    const recA = m.decode(zA, 'main', true);
    const recB2 = m.decode(zB2, 'main', true);
    const stylized = m.decode(m.recombine(zA, this.peerPool(zB2, () => m.encode(batch.paintingB)), { training: true }), 'main', true);
    const gLoss = this.options.adversarial === 'ls' ? raganLsGeneratorLoss : raganBceGeneratorLoss;
    const pairs: [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D][] = [
      [batch.photoA, recA, batch.photoA2],
      [batch.paintingB, stylized, batch.paintingB2],
    ];
    const adversarial = meanOverExemplars(pairs, ([real, fake, cond], i) =>
      gLoss(this.discriminate(real, cond, seed, 20 + 2 * i), this.discriminate(fake, cond, seed, 21 + 2 * i)));
    const reconstruction = reconstructionLoss([[recA, batch.photoA], [recB2, batch.paintingB2]]);
    const zS = m.encode(stylized);
    const transferLatentCycle = transferLatentCycleLoss({ content: zS.content, style: zS.style }, { content: zA.content, style: zB2.style });
    return { terms: { adversarial, reconstruction, transferLatentCycle }, reconstruction: recA, stylized };
  }

  /**
   * Trains until `steps`, writing a checkpoint every `checkpointEvery` steps and at the end when
   * `checkpointDir` is set. Yields to the event loop between steps.
   */
  async fit(): Promise<StepInfo[]> {
    const infos: StepInfo[] = [];
    while (this.step < this.options.steps) {
      infos.push(this.trainStep());
      if (this.checkpointDir && (this.step % this.options.checkpointEvery === 0 || this.step === this.options.steps)) {
        await this.saveCheckpoint(this.checkpointDir);
      }
      await new Promise((r) => setImmediate(r));
    }
    return infos;
  }

  /**
   * Writes model, optimizer states, image pool and step into `dir`, atomically: into a temporary
   * sibling folder first, renamed into place when complete.
   */
  async saveCheckpoint(dir: string): Promise<void> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.mkdir(tmp, { recursive: true });
    await this.model.save(path.join(tmp, 'model'));
    const named: { name: string; tensor: tf.Tensor }[] = [];
    for (const [name, opt] of Object.entries(this.optimizers)) {
      for (const w of await opt.getWeights()) named.push({ name: `${name}/${w.name}`, tensor: w.tensor });
    }
    // By position: variable names get numeric suffixes when a model is loaded twice in a process.
    this.averages.forEach((avg, i) => named.push({ name: `ema/${i}`, tensor: avg }));
    const pool = this.pool.snapshot();
    if (pool) named.push({ name: 'pool/images', tensor: pool });
    const { data, specs } = await tf.io.encodeWeights(named);
    pool?.dispose();
    await fs.writeFile(path.join(tmp, 'state.bin'), new Uint8Array(data));
    const { seed, steps, batchSize, learningRate, beta1, beta2, decayFrom, adversarial, imagePoolSize, checkpointEvery, weights, warmupSteps, warmupBatchSize, emaDecay, peerPaintings } = this.options;
    await fs.writeFile(path.join(tmp, TRAINER_STATE), JSON.stringify({
      format: 'tpfr-checkpoint', version: 1, step: this.step, averagedSteps: this.averageUpdates, specs,
      options: { seed, steps, batchSize, learningRate, beta1, beta2, decayFrom, adversarial, imagePoolSize, checkpointEvery, weights, warmupSteps, warmupBatchSize, emaDecay, peerPaintings },
    }, null, 2));
    await replaceDir(tmp, dir);
  }

  /**
   * Resumes a run from a checkpoint written by {@link saveCheckpoint}. The stored options apply;
   * `overrides` may change `steps`, the callback and the checkpoint folder.
   */
  static async resume(dir: string, dataset: StyleDataset, overrides: Partial<Pick<TrainerOptions, 'steps' | 'onStep' | 'checkpointDir' | 'checkpointEvery'>> = {}): Promise<TpfrTrainer> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    let state: { format?: string; step: number; averagedSteps?: number; specs: tf.io.WeightsManifestEntry[]; options: TrainerOptions };
    try {
      state = JSON.parse(await fs.readFile(path.join(dir, TRAINER_STATE), 'utf8'));
    } catch (e) {
      throw new TpfrError('TpfrTrainer.resume', `expected a checkpoint directory with ${TRAINER_STATE}, could not read it in ${dir}: ${(e as Error).message}`);
    }
    if (state.format !== 'tpfr-checkpoint') throw new TpfrError('TpfrTrainer.resume', `expected ${TRAINER_STATE} of format 'tpfr-checkpoint', received ${String(state.format)}`);
    const model = await TpfrModel.load(path.join(dir, 'model'));
    const trainer = new TpfrTrainer(model, dataset, { ...state.options, ...overrides });
    const bin = await fs.readFile(path.join(dir, 'state.bin'));
    const tensors = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), state.specs);
    for (const name of OPTIMIZERS) {
      const prefix = `${name}/`;
      const weights = Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, t]) => ({ name: k.slice(prefix.length), tensor: t }));
      if (weights.length > 0) await trainer.optimizers[name].setWeights(weights);
    }
    trainer.pool.restore((tensors['pool/images'] as tf.Tensor4D | undefined) ?? null);
    for (let i = 0; tensors[`ema/${i}`]; i++) trainer.averages.push(tf.variable(tensors[`ema/${i}`], false));
    tf.dispose(Object.values(tensors));
    trainer.step = state.step;
    trainer.averageUpdates = state.averagedSteps ?? 0;
    return trainer;
  }

  /** Generated images held by the discriminator's image pool (at most `imagePoolSize`). */
  get pooledImages(): number {
    return this.pool.length;
  }

  /** Frees the optimizers' state, the weight average and the image pool (not the model). */
  dispose(): void {
    for (const opt of Object.values(this.optimizers)) opt.dispose();
    tf.dispose(this.averages);
    this.averages = [];
    this.pool.dispose();
  }
}
