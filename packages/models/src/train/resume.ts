import { TpfrError } from '@tpfr/core';
import type { StyleDataset } from '../data/types.js';
import type { ResolvedTrainerOptions, TrainerOptions } from './options.js';

/** What a dataset is, for checkpoints: its `source`, else its size; and its style classes. */
export function describeData(d: StyleDataset): Record<string, unknown> {
  return { ...(d.source ?? { size: d.size }), styleClasses: [...d.styleClasses] };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What a checkpoint says of its run. */
export interface StoredRun {
  step: number;
  options: Partial<ResolvedTrainerOptions>;
  data: Record<string, unknown>;
}

/**
 * The options a resumed run goes on with, and what changed (one note each), from the
 * checkpoint's run, the data given now and the options given now:
 * - data other than the checkpoint's is refused (each difference named) unless `allowDataChange`;
 * - a given option with another value replaces the stored one;
 * - `steps` below the checkpoint's step is refused;
 * - more `steps` (without a new `decayFrom`) keep the learning rate continuous: in the decay it
 *   goes on linearly from the current rate to zero at the new end (`decayFrom` moves, possibly to
 *   a fraction or below 0); a finished run (rate 0) restarts at the base rate and decays to zero
 *   at the new end (`decayFrom` = the step reached).
 */
export function planResume(
  fn: string,
  run: StoredRun,
  data: StyleDataset,
  given: Partial<TrainerOptions>,
  allowDataChange = false,
): { options: TrainerOptions; notes: string[] } {
  const notes: string[] = [];
  const now = describeData(data);
  const diff = Object.keys(run.data).filter((k) => !same(run.data[k], now[k]));
  if (diff.length > 0) {
    const detail = diff.map((k) => `${k}: checkpoint ${JSON.stringify(run.data[k])}, given ${JSON.stringify(now[k])}`).join('; ');
    if (!allowDataChange)
      throw new TpfrError(fn, `expected the checkpoint's data, received other data (${detail}); pass allowDataChange to train on it`);
    notes.push(`data changed: ${detail}`);
  }
  const options = { ...run.options } as Record<string, unknown>;
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined || same(options[k], v)) continue;
    notes.push(`${k}: ${JSON.stringify(options[k])} (checkpoint) → ${JSON.stringify(v)}`);
    options[k] = v;
  }
  const steps = options.steps as number;
  if (!(steps >= run.step)) throw new TpfrError(fn, `expected steps ≥ the checkpoint's step ${run.step}, received ${steps}`);
  const before = run.options as ResolvedTrainerOptions;
  if (steps !== before.steps && given.decayFrom === undefined && run.step >= before.decayFrom) {
    if (run.step >= before.steps) {
      options.decayFrom = run.step;
      notes.push(`the run had finished (rate 0): the rate restarts at ${before.learningRate} and decays to 0 at step ${steps}`);
    } else {
      // The same rate at the current step, falling linearly to 0 at the new end.
      options.decayFrom = steps - ((steps - run.step) * (before.steps - before.decayFrom)) / (before.steps - run.step);
      notes.push(`steps ${before.steps} → ${steps}: the decay goes on from the current rate to 0 at step ${steps}`);
    }
  }
  return { options: options as unknown as TrainerOptions, notes };
}
