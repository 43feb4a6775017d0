/**
 * @tpfr/core/utils: building blocks for those who write their own layers or losses on top of
 * @tpfr: input checks (`assertRank`, `assertFloat`, `assertFinite`, `assertInteger`, and
 * `formatShape`, `formatMiB` for messages), the one seeded generator (`createRng`, `hashSeed`,
 * `hashString`), pixel rows of feature maps (`featureMapToRows`, `rowsToFeatureMap`), row
 * gathers (`gatherRows`), named timings of a computation's parts (`timed`, `collectTimings`), and
 * the wasm convolutions' transformed filters kept across the frames of a video (`holdWinogradFilters`).
 * @module
 */
export { formatMiB, formatShape } from '../errors.js';
export { assertRank, assertFloat, assertFinite, assertInteger } from '../checks.js';
export { createRng, hashSeed, hashString } from '../random.js';
export type { Rng } from '../random.js';
export { gatherRows } from '../gather-rows.js';
export { timed, collectTimings } from '../timing.js';
export { holdWinogradFilters } from '../wasm-winograd.js';
export { featureMapToRows, rowsToFeatureMap } from '../pixels.js';
export type { PeerPooling } from '../pixels.js';
