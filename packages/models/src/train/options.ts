import { ValueError } from '@tpfr/core';
import { assertInteger } from '@tpfr/core/utils';
import { DEFAULT_LOSS_WEIGHTS, type LossWeights } from '@tpfr/losses';

/** Options of {@link TpfrTrainer}: the run's hyper-parameters (stored in its checkpoints). */
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
  /**
   * Loss weights by term name (default: reconstruction 25, the rest 1). The names are those of
   * `DEFAULT_LOSS_WEIGHTS` of `@tpfr/losses`; any other name is refused.
   */
  weights?: LossWeights;
  /** Adversarial form: `'ls'` (least-squares RaGAN, the authors', default) or `'bce'`. */
  adversarial?: 'ls' | 'bce';
  /** Past generated images kept for the discriminator (default 50; 0 keeps none). */
  imageHistorySize?: number;
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
   */
  emaDecay?: number;
  /**
   * Paintings in each sample's peer pool when A is stylized in training: 1 (B′ alone, the
   * authors', default) or 2 (B′ and B, two exemplars of the class).
   */
  peerPaintings?: 1 | 2;
  /** Seed of everything random in training: data order, weight init, dropout, noise, image history. */
  seed?: number;
  /**
   * Recompute the activations of the networks (encoder, decoders, discriminator) in the backward
   * pass instead of keeping them (gradient checkpointing, block by block; default false): a step
   * keeps the maps between blocks (after each activation and each residual block) and holds one
   * block's own maps at a time, for about one more forward pass of each network. The losses and
   * gradients are those of the plain step. {@link estimateTrainStepMemory}
   * gives the memory either way; the paper preset needs it at 128² inside wasm's 4 GiB.
   */
  recompute?: boolean;
}

/** Every option with its default filled in. */
export type ResolvedTrainerOptions = Required<Omit<TrainerOptions, 'weights'>> & { weights: LossWeights };

/** The names of the options, in the order checkpoints list them. */
export const TRAINER_OPTION_NAMES = [
  'seed',
  'steps',
  'batchSize',
  'learningRate',
  'beta1',
  'beta2',
  'decayFrom',
  'adversarial',
  'imageHistorySize',
  'weights',
  'warmupSteps',
  'warmupBatchSize',
  'emaDecay',
  'peerPaintings',
  'recompute',
] as const satisfies readonly (keyof TrainerOptions)[];

/** Fills in the defaults and checks every option, naming `fn` in errors. */
export function resolveTrainerOptions(fn: string, options: TrainerOptions): ResolvedTrainerOptions {
  if (typeof options !== 'object' || options === null) throw new ValueError(fn, 'options { steps, … }', String(options));
  const unknown = Object.keys(options).filter((k) => !(TRAINER_OPTION_NAMES as readonly string[]).includes(k));
  if (unknown.length > 0) throw new ValueError(fn, `options among ${TRAINER_OPTION_NAMES.join(', ')}`, `unknown ${unknown.join(', ')}`);
  assertInteger(fn, 'steps', options.steps, 1);
  const batchSize = options.batchSize ?? 1;
  assertInteger(fn, 'batchSize', batchSize, 1);
  const weights = options.weights ?? {};
  const badNames = Object.keys(weights).filter((k) => !(k in DEFAULT_LOSS_WEIGHTS));
  if (badNames.length > 0)
    throw new ValueError(fn, `loss weights named ${Object.keys(DEFAULT_LOSS_WEIGHTS).join(', ')}`, `unknown ${badNames.join(', ')}`);
  const badValues = Object.entries(weights).filter(([, w]) => !(Number.isFinite(w) && w >= 0)); // Number.isFinite is false for non-numbers
  if (badValues.length > 0)
    throw new ValueError(fn, 'loss weights finite and ≥ 0', badValues.map(([k, w]) => `${k}: ${String(w)}`).join(', '));
  const o: ResolvedTrainerOptions = {
    steps: options.steps,
    batchSize,
    learningRate: options.learningRate ?? 4e-4,
    beta1: options.beta1 ?? 0.5,
    beta2: options.beta2 ?? 0.999,
    decayFrom: options.decayFrom ?? Math.floor(options.steps / 4),
    weights: { ...DEFAULT_LOSS_WEIGHTS, ...weights },
    adversarial: options.adversarial ?? 'ls',
    imageHistorySize: options.imageHistorySize ?? 50,
    warmupSteps: options.warmupSteps ?? 0,
    warmupBatchSize: options.warmupBatchSize ?? 4 * batchSize,
    emaDecay: options.emaDecay ?? 0,
    peerPaintings: options.peerPaintings ?? 1,
    seed: options.seed ?? 0,
    recompute: options.recompute ?? false,
  };
  if (!(o.learningRate > 0)) throw new ValueError(fn, 'learningRate > 0', String(o.learningRate));
  if (!(o.emaDecay >= 0 && o.emaDecay < 1)) throw new ValueError(fn, 'emaDecay in [0, 1)', String(o.emaDecay));
  if (o.peerPaintings !== 1 && o.peerPaintings !== 2) throw new ValueError(fn, 'peerPaintings 1 or 2', String(o.peerPaintings));
  if (o.adversarial !== 'ls' && o.adversarial !== 'bce') throw new ValueError(fn, `adversarial 'ls' or 'bce'`, String(o.adversarial));
  // A resumed run that was extended may start its decay at a fraction of a step, or before 0.
  if (!Number.isFinite(o.decayFrom)) throw new ValueError(fn, 'decayFrom a finite number', String(o.decayFrom));
  assertInteger(fn, 'warmupSteps', o.warmupSteps, 0);
  assertInteger(fn, 'imageHistorySize', o.imageHistorySize, 0);
  if (typeof o.recompute !== 'boolean') throw new ValueError(fn, 'recompute true or false', String(o.recompute));
  return o;
}
