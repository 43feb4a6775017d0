/**
 * The zero-shot protocol of the demo and of `tpfr eval`: a model stylizes synthetic photos with
 * paintings of the held-out style classes, never seen in training, and is scored on the results.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import type { TpfrStages } from '@tpfr/layers';
import { createSyntheticDataset } from '../data/synthetic.js';
import { HELD_OUT_STYLE_CLASSES } from '../data/style-classes.js';
import type { TpfrModel } from '../model/model.js';
import { stylize } from '../stylize/stylize.js';
import { evaluateStylization, type StylizationReport, type StylizationTriple } from './evaluate.js';
import { MIN_STYLE_IMAGE_SIDE } from './style-statistics.js';

/** Seed of the held-out images (default of {@link HeldOutOptions.seed}): none of them is drawn in training. */
export const HELD_OUT_SEED = 1_000_003;

/** Options of {@link stylizeHeldOut} and {@link evaluateHeldOut}. */
export interface HeldOutOptions {
  /** Content photos per held-out class (default 8). */
  images?: number;
  /** Image side in pixels (default 96). */
  size?: number;
  /** Seed of the held-out synthetic images (default {@link HELD_OUT_SEED}). */
  seed?: number;
  /**
   * Paintings of the class in each stylization's peer pool (default 4, as the demo): the scored
   * exemplar (painting i for photo i) and `exemplars − 1` more, see {@link heldOutExemplars}.
   */
  exemplars?: number;
  /** `'two-stage'` (default) or `'style-only'`. */
  stages?: TpfrStages;
  /** Neighbours per pixel (default: the model's). */
  k?: number;
  /** Called after each stylization, with the count so far, the total and the class. */
  onItem?: (done: number, total: number, styleClass: string) => void;
}

/** Report of {@link evaluateHeldOut}: the scores, and the class of each item. */
export interface HeldOutReport extends StylizationReport {
  /** Held-out class of each item of `perItem`. */
  styleClasses: string[];
}

/**
 * Painting indices of the peer pool of photo `i` in {@link evaluateHeldOut}: `i` (the exemplar the
 * style score is measured against), then `100 + 10·i + j` for j < `exemplars − 1`. The extra
 * paintings of two photos never coincide; they are also distinct from every photo's scored
 * painting as long as `images ≤ 100` (above, photo i ≥ 100's scored painting may sit in another
 * photo's pool).
 */
export function heldOutExemplars(i: number, exemplars: number): number[] {
  return [i, ...Array.from({ length: exemplars - 1 }, (_, j) => 100 + 10 * i + j)];
}

/** Most exemplars in one held-out peer pool ({@link HeldOutOptions.exemplars}). */
export const MAX_HELD_OUT_EXEMPLARS = 10;

/**
 * The options of {@link stylizeHeldOut} with their defaults, checked; errors name `fn`. Callers
 * that run long work before the evaluation (the demo trains first) check them up front.
 * @throws ValueError for `images` (an integer ≥ 1), `exemplars` (1 … {@link MAX_HELD_OUT_EXEMPLARS})
 *   or `size` (an integer ≥ {@link MIN_STYLE_IMAGE_SIDE}) out of range.
 */
export function resolveHeldOutOptions(
  opts: HeldOutOptions,
  fn = 'stylizeHeldOut',
): { images: number; size: number; exemplars: number; seed: number } {
  const images = opts.images ?? 8;
  const size = opts.size ?? 96;
  const exemplars = opts.exemplars ?? 4;
  const count = (name: string, v: number, max: number) => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new ValueError(fn, `${name} an integer in [1, ${max}]`, String(v));
  };
  count('images', images, Infinity);
  count('exemplars', exemplars, MAX_HELD_OUT_EXEMPLARS);
  if (!Number.isInteger(size) || size < MIN_STYLE_IMAGE_SIDE)
    throw new ValueError(fn, `size an integer >= ${MIN_STYLE_IMAGE_SIDE}`, String(size));
  return { images, size, exemplars, seed: opts.seed ?? HELD_OUT_SEED };
}

/** One held-out stylization of {@link stylizeHeldOut}: images `[size, size, 3]` in `[-1, 1]`. */
export interface HeldOutItem extends StylizationTriple {
  /** The held-out class of `style`. */
  styleClass: string;
}

/**
 * Stylizes photo i (i < `images`) with painting i of each held-out class, plus the pool's other
 * exemplars ({@link heldOutExemplars}). Yields to the event loop between items.
 * @returns the items, held-out classes in order; the caller owns (and disposes) their tensors.
 * @throws ValueError as {@link resolveHeldOutOptions}.
 */
export async function stylizeHeldOut(model: TpfrModel, opts: HeldOutOptions = {}): Promise<HeldOutItem[]> {
  const { images, size, exemplars, seed } = resolveHeldOutOptions(opts);
  const held = createSyntheticDataset({ size, seed, classes: [...HELD_OUT_STYLE_CLASSES] });
  const total = images * HELD_OUT_STYLE_CLASSES.length;
  const items: HeldOutItem[] = [];
  try {
    for (const styleClass of HELD_OUT_STYLE_CLASSES) {
      for (let i = 0; i < images; i++) {
        const content = held.photo(i);
        const pool = heldOutExemplars(i, exemplars).map((j) => held.painting(styleClass, j));
        try {
          const result = stylize(model, content, pool, { stages: opts.stages, k: opts.k }) as tf.Tensor3D;
          items.push({ content, style: pool[0], result, styleClass });
        } catch (e) {
          tf.dispose([content, pool[0]]);
          throw e;
        } finally {
          tf.dispose(pool.slice(1));
        }
        opts.onItem?.(items.length, total, styleClass);
        await new Promise((r) => setImmediate(r));
      }
    }
    return items;
  } catch (e) {
    disposeHeldOut(items);
    throw e;
  }
}

/** Disposes the tensors of {@link stylizeHeldOut}'s items. */
export function disposeHeldOut(items: readonly HeldOutItem[]): void {
  tf.dispose(items.flatMap((t) => [t.content, t.style, t.result]));
}

/**
 * {@link stylizeHeldOut}, then scores every result against its content photo and its painting i:
 * style distance reduction and edge correlation, as {@link evaluateStylization}. Creates no
 * tensors that outlive it.
 * @throws ValueError as {@link stylizeHeldOut}.
 */
export async function evaluateHeldOut(model: TpfrModel, opts: HeldOutOptions = {}): Promise<HeldOutReport> {
  const items = await stylizeHeldOut(model, opts);
  try {
    return { ...evaluateStylization(items), styleClasses: items.map((t) => t.styleClass) };
  } finally {
    disposeHeldOut(items);
  }
}
