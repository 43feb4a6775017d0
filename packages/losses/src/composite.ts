import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@tpfr/core';
import { assertFiniteNumber, assertScalar } from './validate.js';

/**
 * The authors' loss weights: the (main module's) reconstruction weighs 25, every other term 1.
 * A term name not listed here weighs 1 unless given a weight.
 */
export const DEFAULT_LOSS_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  reconstruction: 25,
  adversarial: 1,
  contentFeatureCycle: 1,
  metricLearning: 1,
  latentCycle: 1,
  transferLatentCycle: 1,
});

/** Named scalar loss terms, e.g. `{ reconstruction, adversarial, transferLatentCycle }`. */
export type LossTerms = Readonly<Record<string, tf.Scalar>>;

/** Weights by term name; a missing name falls back to `DEFAULT_LOSS_WEIGHTS`, then to 1. */
export type LossWeights = Readonly<Record<string, number>>;

/** What {@link combineLosses} returns. */
export interface CombinedLoss {
  /** `Σ_name weight(name) · term(name)`, a differentiable scalar owned by the caller. */
  total: tf.Scalar;
  /** Each term's unweighted value, as a plain number (for logging). */
  terms: Record<string, number>;
  /** Each term's weighted value `weight · term`, as a plain number. */
  weighted: Record<string, number>;
  /** The weight used for each term. */
  weights: Record<string, number>;
}

/** The weight of `name`: `weights[name]`, else `DEFAULT_LOSS_WEIGHTS[name]`, else 1. */
export function lossWeight(name: string, weights: LossWeights = {}): number {
  if (Object.hasOwn(weights, name)) return weights[name];
  if (Object.hasOwn(DEFAULT_LOSS_WEIGHTS, name)) return DEFAULT_LOSS_WEIGHTS[name];
  return 1;
}

function resolve(fn: string, terms: LossTerms, weights: LossWeights): [string, tf.Scalar, number][] {
  if (terms == null || typeof terms !== 'object')
    throw new ShapeError(fn, 'terms to be a record of scalar tensors', terms === null ? 'null' : typeof terms);
  const names = Object.keys(terms);
  if (names.length === 0) throw new ShapeError(fn, 'terms to hold at least one scalar loss', 'an empty record');
  return names.map((name) => {
    assertScalar(fn, `terms.${name}`, terms[name]);
    const w = lossWeight(name, weights);
    assertFiniteNumber(fn, `weights.${name}`, w);
    return [name, terms[name], w];
  });
}

/**
 * The weighted sum of named loss terms, as a differentiable scalar and nothing else (no read
 * back, so it adds no GPU sync and fits inside `optimizer.minimize`):
 *
 *   total = Σ_name w_name · L_name,   w_name = weights[name] ?? DEFAULT_LOSS_WEIGHTS[name] ?? 1
 *
 * @param terms named scalar losses; not disposed.
 * @param weights weights by name (defaults above).
 * @returns a new scalar owned by the caller.
 * @throws ShapeError when `terms` is empty or holds a non-scalar; ValueError on a non-finite weight.
 */
export function weightedLossSum(terms: LossTerms, weights: LossWeights = {}): tf.Scalar {
  const items = resolve('weightedLossSum', terms, weights);
  return tf.tidy(() => sumOf(items));
}

function sumOf(items: [string, tf.Scalar, number][]): tf.Scalar {
  const parts = items.map(([, t, w]) => (w === 1 ? t : tf.mul(t, w)));
  return (parts.length === 1 ? tf.clone(parts[0]) : tf.addN(parts)) as tf.Scalar;
}

/**
 * Sums named, weighted loss terms and reads each term back as a plain number for logging:
 *
 *   total = Σ_name w_name · L_name
 *
 * The read back (`dataSync`) synchronises with the backend once; inside `optimizer.minimize`
 * prefer {@link weightedLossSum} or {@link WeightedLossSet.total} and read the numbers later.
 * @param terms named scalar losses; not disposed.
 * @param weights weights by name; a missing name weighs `DEFAULT_LOSS_WEIGHTS[name]`, else 1.
 * @returns `{ total, terms, weighted, weights }`; `total` is a differentiable scalar owned by the caller.
 * @throws ShapeError when `terms` is empty or holds a non-scalar; ValueError on a non-finite weight.
 */
export function combineLosses(terms: LossTerms, weights: LossWeights = {}): CombinedLoss {
  const items = resolve('combineLosses', terms, weights);
  const total = tf.tidy(() => sumOf(items));
  const values = tf.tidy(() => tf.stack(items.map(([, t]) => t)).dataSync());
  const out: CombinedLoss = { total, terms: {}, weighted: {}, weights: {} };
  items.forEach(([name, , w], i) => {
    out.terms[name] = values[i];
    out.weighted[name] = w * values[i];
    out.weights[name] = w;
  });
  return out;
}

/**
 * Holds the weights of a set of named losses. {@link WeightedLossSet.total} returns the
 * differentiable total without reading anything back and remembers the term values in one
 * small kept tensor; {@link WeightedLossSet.read} reads them later, asynchronously:
 *
 * ```ts
 * const losses = new WeightedLossSet();               // reconstruction 25, the rest 1
 * optimizer.minimize(() => losses.total({ reconstruction: rec, adversarial: adv }));
 * console.log(await losses.read());                   // { reconstruction: 0.12, adversarial: 0.5 }
 * ```
 * Call {@link WeightedLossSet.dispose} when done to free the remembered values.
 */
export class WeightedLossSet {
  /** Weights given at construction (names not listed fall back to `DEFAULT_LOSS_WEIGHTS`, then 1). */
  readonly weights: Readonly<Record<string, number>>;
  private lastValues: tf.Tensor1D | null = null;
  private lastNames: string[] = [];

  constructor(weights: LossWeights = {}) {
    for (const [name, w] of Object.entries(weights)) assertFiniteNumber('WeightedLossSet', `weights.${name}`, w);
    this.weights = Object.freeze({ ...weights });
  }

  /** The weight applied to the term `name`. */
  weightOf(name: string): number {
    return lossWeight(name, this.weights);
  }

  /**
   * `Σ_name w_name · L_name` as a differentiable scalar owned by the caller; also keeps a copy
   * of the unweighted term values (outside any `tf.tidy`, replacing the previous copy) for {@link read}.
   * @param terms named scalar losses; not disposed.
   */
  total(terms: LossTerms): tf.Scalar {
    const items = resolve('WeightedLossSet.total', terms, this.weights);
    const values = tf.tidy(() => tf.stack(items.map(([, t]) => t)) as tf.Tensor1D);
    this.lastValues?.dispose();
    this.lastValues = tf.keep(values);
    this.lastNames = items.map(([name]) => name);
    return tf.tidy(() => sumOf(items));
  }

  /**
   * The unweighted term values of the last {@link total} call, as plain numbers (an empty record
   * before the first call). Reads back asynchronously.
   */
  async read(): Promise<Record<string, number>> {
    if (this.lastValues == null) return {};
    const names = this.lastNames;
    const values = await this.lastValues.data();
    return Object.fromEntries(names.map((n, i) => [n, values[i]]));
  }

  /** Like {@link combineLosses} with this set's weights: total plus numbers, read synchronously. */
  combine(terms: LossTerms): CombinedLoss {
    return combineLosses(terms, this.weights);
  }

  /** Frees the remembered term values. */
  dispose(): void {
    this.lastValues?.dispose();
    this.lastValues = null;
    this.lastNames = [];
  }
}
