import { ValueError } from '@tpfr/core';
import { formatMiB } from '@tpfr/core/utils';
import { DEFAULT_MAP_BUDGET_BYTES, describePlan, type InferenceOptions, type InferencePlan } from '../inference/plan.js';
import { estimateStylizeMemory, MemoryBudgetError, type ExemplarSizes } from '../model/memory-estimate.js';
import type { TpfrModel } from '../model/model.js';
import { inferenceOptions } from './exemplar-set.js';
import type { StylizeOptions } from './options.js';

/**
 * The plan of a call over content `[B, H, W]` (the size the encoder sees, before its multiple's
 * pad) and its memory estimate, given to `opts.onMemoryEstimate`. With `memoryBudgetBytes`, the
 * first plan whose estimated peak fits it, halving the map budget (smaller maps on the backend,
 * more of them in bands) from the call's own down to bands of one row; throws a
 * {@link MemoryBudgetError} when none fits. Nothing is allocated.
 * @returns the plan, and the inference options that give it (the exemplars are encoded with them).
 */
export function planCall(
  fn: string,
  model: TpfrModel,
  content: [number, number, number],
  sizes: ExemplarSizes,
  opts: Pick<StylizeOptions, 'memoryBudgetBytes' | 'onMemoryEstimate' | 'k' | 'mapBudgetBytes' | 'bands' | 'bandRows'>,
): { plan: InferencePlan; inference: InferenceOptions } {
  const budget = opts.memoryBudgetBytes;
  if (budget !== undefined && !(budget > 0)) throw new ValueError(fn, 'memoryBudgetBytes > 0', String(budget));
  const [b, h, w] = content;
  let inference = inferenceOptions(opts);
  let e = estimateStylizeMemory(model, [h, w], sizes, { ...inference, k: opts.k, batch: b });
  if (budget !== undefined && inference.bands !== 'never') {
    let mapBudget = inference.mapBudgetBytes ?? DEFAULT_MAP_BUDGET_BYTES;
    // Down to bands of one row of a full-resolution map.
    const smallest = 8 * 4 * b * w * model.config.ngf;
    while (e.peakBytes > budget && mapBudget / 2 >= smallest) {
      mapBudget /= 2;
      const tighter = { ...inference, mapBudgetBytes: mapBudget };
      const next = estimateStylizeMemory(model, [h, w], sizes, { ...tighter, k: opts.k, batch: b });
      if (next.peakBytes < e.peakBytes) [e, inference] = [next, tighter];
    }
  }
  opts.onMemoryEstimate?.(e);
  if (budget !== undefined && e.peakBytes > budget) {
    const exemplars =
      'images' in sizes
        ? `${sizes.images.length} exemplar(s) of ${sizes.images[0][1]}×${sizes.images[0][0]}`
        : 'styles' in sizes
          ? `${sizes.styles.length} styles of ${sizes.styles.reduce((n, s) => n + s.length, 0)} exemplar(s)`
          : 'encoded exemplars';
    throw new MemoryBudgetError(
      fn,
      `a call within memoryBudgetBytes = ${formatMiB(budget)}`,
      `an estimated peak of ${formatMiB(e.peakBytes)} (in ${e.peakPhase}, ${describePlan(e.plan)}) for ${b > 1 ? `${b} contents` : 'a content'} of ${w}×${h} and ${exemplars}; use a smaller size or fewer exemplars`,
      e,
      budget,
    );
  }
  return { plan: e.plan, inference };
}
