/**
 * Import of the authors' PyTorch checkpoints (nnaisense/conditional-style-transfer) into a
 * {@link TpfrModel}: {@link importTorchGenerator}, and the authors' key layout
 * ({@link authorsGeneratorKeys}) for validation, tests and benchmarks.
 * @module
 */
export { importTorchGenerator } from './import-generator.js';
export type { ImportTorchOptions, TorchImportReport, TorchImportResult, TorchDiscriminatorReport } from './import-generator.js';
export {
  authorsGeneratorKeys, authorsDiscriminatorKeys, authorsParameterCount, syntheticAuthorsStateDict, shapeSize, AUTHORS_DOWNSAMPLINGS,
} from './authors-keys.js';
export type { AuthorsKey, AuthorsGeneratorSize } from './authors-keys.js';
export { TorchStateDictError, normalizeStateDict, checkStateDict, describeProblems } from './state-dict.js';
export type { TorchStateDictInput, NormalizedStateDict, StateDictProblems, MisShapedKey } from './state-dict.js';
export { generatorWeightSpecs, discriminatorWeightSpecs } from './mapping.js';
