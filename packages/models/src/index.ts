/**
 * @tpfr/models: the TPFR model and `stylize`, for Node and browsers alike (nothing here imports
 * Node). The networks' builders, the config presets, the import of the authors' PyTorch
 * generator, and the one conversion between image bytes and the networks' range.
 *
 * The rest lives in subpaths: `@tpfr/models/pipeline` (the authors' test-time steps one by one),
 * `@tpfr/models/torch` (the authors' keys, synthetic state_dicts), `@tpfr/models/train` (the
 * trainer), `@tpfr/models/data` (datasets), `@tpfr/models/eval` (evaluation),
 * `@tpfr/models/node` (model folders and image files). Importing it registers @tpfr/layers' classes.
 * @module
 */
export { TpfrModel } from './model/model.js';
export type {
  Latent,
  PeerCodes,
  RecombineOptions,
  Recombined,
  NeighbourGraph,
  EncodeOptions,
  DecodeOptions,
  ModelPart,
} from './model/model.js';
export type { InferenceOptions, InferencePlan } from './inference/plan.js';
export type { TpfrModelManifest } from './model/artifacts.js';
export { stylize } from './stylize/stylize.js';
export { createStylizer } from './stylize/stylizer.js';
export type { Stylizer, StylizerOptions, StylizerGraph, CoherenceOptions, StylizeFrameOptions } from './stylize/stylizer.js';
export { encodeExemplars } from './stylize/exemplar-set.js';
export type { EncodedExemplars, EncodeExemplarsOptions, PoolCodes } from './stylize/exemplar-set.js';
export type { StylizeOptions, ColorPreservation } from './stylize/options.js';
export type { StylizePipelineOptions } from './stylize/pipeline.js';
export type { StyleImages, StylesInput } from './stylize/styles.js';
export { estimateStylizeMemory, MemoryBudgetError } from './model/memory-estimate.js';
export type { StylizeMemoryEstimate, ExemplarSizes, MemoryEstimateOptions } from './model/memory-estimate.js';
export { PRESETS, resolveConfig, latentWidths } from './model/config.js';
export type { TpfrModelConfig, ModelConfigInput, LatentWidths } from './model/config.js';
export { createEncoder } from './model/encoder.js';
export { createDecoder } from './model/decoder.js';
export { createDiscriminator } from './model/discriminator.js';
export { toModelRange, fromModelRange } from './model/pixel-range.js';
export type { PixelRange } from './model/images.js';
export { importTorchGenerator, TorchStateDictError } from './torch-import/index.js';
export type { ImportTorchOptions, TorchImportReport, TorchImportResult, TorchStateDictInput } from './torch-import/index.js';
