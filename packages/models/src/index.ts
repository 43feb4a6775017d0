/**
 * @tpfr/models: the TPFR networks (encoder, decoders, conditional discriminator), the model that
 * holds them, `stylize`, the trainer, datasets (synthetic and image folders), image I/O and the
 * evaluation. Importing it registers @tpfr/layers' classes.
 * @module
 */
export { PRESETS, resolveConfig, latentWidths } from './config.js';
export type { TpfrModelConfig, ModelConfigInput, LatentWidths } from './config.js';
export { createEncoder, convNormRelu } from './encoder.js';
export { createDecoder } from './decoder.js';
export { createDiscriminator } from './discriminator.js';
export { TpfrModel, MODEL_MANIFEST, replaceDir } from './model.js';
export type { Latent, PeerCodes, RecombineOptions, InferenceOptions, ModelPart } from './model.js';
export { stylize } from './stylize.js';
export type { StylizeOptions, StylizePipelineOptions } from './stylize.js';
export { resizeBicubicPil, resizeShorterSide, shorterSideSize, centerCrop, centerCropOffsets, authorsContentPad, reflectPad, cropBorder, minMaxStretch } from './pipeline/index.js';
export type { MinMaxStretchOptions } from './pipeline/index.js';
export { toModelBatch, toPixelRange, padToMultiple } from './images.js';
export type { PixelRange } from './images.js';
export { importTorchGenerator, authorsGeneratorKeys, authorsDiscriminatorKeys, authorsParameterCount, syntheticAuthorsStateDict, TorchStateDictError } from './torch-import/index.js';
export type { ImportTorchOptions, TorchImportReport, TorchImportResult, TorchDiscriminatorReport, TorchStateDictInput, AuthorsKey } from './torch-import/index.js';
export { TpfrTrainer } from './trainer.js';
export type { TrainerOptions, StepInfo } from './trainer.js';
export { seedKernels } from './seeded-init.js';

export {
  DatasetError, createRng, hashSeed, hashString, SYNTHETIC_STYLE_CLASSES, TRAIN_STYLE_CLASSES, HELD_OUT_STYLE_CLASSES,
  STYLE_CLASS_SPECS, renderScenePixels, stylizePixels, styleClassSpec, createSyntheticDataset, renderPhoto, stylizeWithClass,
  scanImageFolders, createImageFolderDataset,
} from './data/index.js';
export type {
  StyleBatch, StyleDataset, Rng, StyleClassSpec, StylePattern, EdgeTreatment, SyntheticDataset, SyntheticDatasetOptions,
  FolderLayout, ScanOptions, ImageFolderDataset, ImageFolderDatasetOptions,
} from './data/index.js';
export {
  ImageIoError, detectImageFormat, formatFromPath, extensionOf, IMAGE_EXTENSIONS, decodeImage, encodeImage, readImage, writeImage,
  toModelRange, fromModelRange, makeGrid,
} from './image-io/index.js';
export type { ImageFormat, EncodeImageOptions, GridOptions } from './image-io/index.js';
export {
  styleStatistics, styleDistance, styleDistanceOfStatistics, disposeStyleStatistics, STYLE_SCALES, MIN_STYLE_IMAGE_SIDE,
  edgeCorrelation, styleDistanceReduction, evaluateStylization,
  stylizeHeldOut, evaluateHeldOut, disposeHeldOut, heldOutExemplars, resolveHeldOutOptions, HELD_OUT_SEED, MAX_HELD_OUT_EXEMPLARS,
} from './eval/index.js';
export type { StyleStatistics, StylizationTriple, StylizationScores, StylizationReport, HeldOutOptions, HeldOutItem, HeldOutReport } from './eval/index.js';
