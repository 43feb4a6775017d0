import { planInference, type InferenceOptions, type InferencePlan } from './plan.js';
import type { TpfrModelConfig } from '../model/config.js';

/**
 * The plan of one encoder batch holding a one-shot call's content `[B, H, W]` and its pool's
 * exemplars `[P, h, w]` (both as the encoder takes them: padded to the network's multiple), or
 * null when they are encoded apart: the exemplars of another size than the content, or a batch
 * whose plan would not run whole with its codes on the backend.
 *
 * One batch readies each convolution's filter once for both (XNNPACK packs it, Winograd transforms
 * it: about a third of a residual convolution's time at 256²), and its results are those of the
 * separate calls (every layer works per image). `stylize` and its memory estimate both follow this.
 */
export function jointEncodePlan(
  config: TpfrModelConfig,
  content: [number, number, number],
  pool: [number, number, number],
  opts: InferenceOptions,
): InferencePlan | null {
  const [b, H, W] = content;
  const [p, h, w] = pool;
  if (h !== H || w !== W) return null;
  const plan = planInference('stylize', config, [b + p, H, W], opts);
  return plan.encode === 'whole' && plan.codes === 'backend' ? plan : null;
}
