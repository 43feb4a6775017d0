/**
 * Evaluation of stylisations: style statistics and distance, style distance reduction (style
 * score), edge correlation (content score), a report over many triples, and the zero-shot
 * protocol on the held-out synthetic classes.
 * @module
 */
export {
  styleStatistics,
  styleDistance,
  styleDistanceOfStatistics,
  disposeStyleStatistics,
  STYLE_SCALES,
  MIN_STYLE_IMAGE_SIDE,
} from './style-statistics.js';
export type { StyleStatistics } from './style-statistics.js';
export { edgeCorrelation } from './edge-correlation.js';
export { styleDistanceReduction, evaluateStylization } from './evaluate.js';
export type { StylizationTriple, StylizationScores, StylizationReport } from './evaluate.js';
export {
  stylizeHeldOut,
  evaluateHeldOut,
  disposeHeldOut,
  heldOutExemplars,
  resolveHeldOutOptions,
  HELD_OUT_SEED,
  MAX_HELD_OUT_EXEMPLARS,
} from './held-out.js';
export type { HeldOutOptions, HeldOutItem, HeldOutReport } from './held-out.js';
