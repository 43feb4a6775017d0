/**
 * @tpfr/models/node: what only Node has. Model folders (`saveModel`, `loadModel`), image files
 * (`readImage`, `writeImage`, and the PNG/JPEG codecs they use: the optional peer dependencies
 * `pngjs` and `jpeg-js`), and the atomic writes they rest on, for tools that write beside them
 * (`writeFileAtomicallySync`, `recoverDir`).
 * @module
 */
export { saveModel, loadModel, readModelManifest, MODEL_MANIFEST } from './model-folder.js';
export type { LoadModelOptions } from './model-folder.js';
export { writeFileAtomicallySync } from './atomic-file.js';
export { recoverDir } from './atomic-dir.js';
export { readImage, writeImage } from '../image-io/file-io.js';
export { decodeImage, encodeImage } from '../image-io/codec.js';
export type { DecodeImageOptions, EncodeImageOptions } from '../image-io/codec.js';
export { ImageIoError } from '../image-io/errors.js';
export { detectImageFormat, formatFromPath, IMAGE_EXTENSIONS, MAX_IMAGE_PIXELS, readImageHeader } from '../image-io/format.js';
export type { ImageFormat, ImageHeader } from '../image-io/format.js';
