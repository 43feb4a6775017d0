/**
 * Image decoding and encoding (PNG, JPEG) in pure JS, file reading and writing (Node), range
 * conversions and grid tiling.
 * @module
 */
export { ImageIoError } from './errors.js';
export { detectImageFormat, formatFromPath, extensionOf, IMAGE_EXTENSIONS } from './format.js';
export type { ImageFormat } from './format.js';
export { decodeImage, encodeImage } from './codec.js';
export type { EncodeImageOptions } from './codec.js';
export { readImage, writeImage } from './file-io.js';
export { toModelRange, fromModelRange } from './range.js';
export { makeGrid } from './grid.js';
export type { GridOptions } from './grid.js';
