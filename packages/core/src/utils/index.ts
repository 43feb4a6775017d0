/**
 * @tpfr/core/utils: the building blocks @tpfr's own packages share, for those who write their own
 * layers or losses on top of @tpfr: input checks (`assertRank`, `assertInteger`, …, and
 * `formatShape`, `formatMiB` for messages), the one seeded generator (`createRng`, `hashSeed`, `hashString`),
 * pixel rows of feature maps and peer pools, row gathers and top-k, named timings of a
 * computation's parts (`timed`, `collectTimings`), and the registration of
 * gradients and wasm kernels (which importing `@tpfr/core` already does).
 * @module
 */
export { registerAllGradients } from '../register-gradients.js';
export { registerWasmKernels } from '../wasm-kernels.js';
export { setWasmWinograd } from '../wasm-winograd.js';
export { formatMiB, formatShape } from '../errors.js';
export { assertRank, assertFloat, assertFinite, assertInteger } from '../checks.js';
export { createRng, hashSeed, hashString } from '../random.js';
export type { Rng } from '../random.js';
export { l2NormalizeRows } from '../distances.js';
export { detach } from '../detach.js';
export { gatherRows, pickColumns } from '../gather-rows.js';
export { topkRows, TOPK_GROUP } from '../top-k-rows.js';
export { applyAttentionActivation } from '../attention.js';
export { foldExemplarConstantChannels } from '../exemplar-constant-channels.js';
export { canReadSync, hostBacked } from '../sync-read.js';
export { timed, collectTimings } from '../timing.js';
export { featureMapToRows, rowsToFeatureMap, queryRows, peerPoolRows } from '../pixels.js';
export type { PeerPooling } from '../pixels.js';
