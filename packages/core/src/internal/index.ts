/**
 * What @tpfr's own packages share and nobody else should call: `@tpfr/core/internal`. It is no
 * published entry point (not in core's `exports`): tsconfig `paths` and vitest's aliases resolve
 * it to this file, and tsup bundles it into each package that imports it (see tsup.shared.ts).
 * So only pure modules belong here: they import nothing but `@tensorflow/tfjs-core`, hold no
 * state and define no classes (a bundled copy of an error class would break `instanceof`).
 * @module
 */
export { canReadSync } from '../sync-read.js';
export { PICKLE_OP } from '../torch/pickle-opcodes.js';
export type { PickleOpName } from '../torch/pickle-opcodes.js';
