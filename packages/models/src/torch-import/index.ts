/**
 * @tpfr/models/torch: the authors' PyTorch generator in @tpfr. `importTorchGenerator` turns the
 * state_dict of their `200_net_G.pth` (read with `readTorchCheckpoint` of `@tpfr/core/torch`) into a
 * `TpfrModel`; the key lists and a synthetic state_dict serve tests and benchmarks.
 * @module
 */
export { importTorchGenerator } from './import-generator.js';
export type { ImportTorchOptions, TorchImportReport, TorchImportResult, TorchDiscriminatorReport } from './import-generator.js';
export { authorsGeneratorKeys, authorsDiscriminatorKeys, authorsParameterCount, syntheticAuthorsStateDict } from './authors-keys.js';
export type { AuthorsKey, AuthorsGeneratorSize } from './authors-keys.js';
export { TorchStateDictError } from './state-dict.js';
export type { TorchStateDictInput, StateDictProblems, MisShapedKey } from './state-dict.js';
