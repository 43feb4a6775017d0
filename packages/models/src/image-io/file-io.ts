/**
 * Reading and writing image files in Node (node:fs). The format follows the file extension.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { TpfrError } from '@tpfr/core';
import { decodeImage, encodeImage, type EncodeImageOptions } from './codec.js';
import { ImageIoError } from './errors.js';
import { formatFromPath } from './format.js';

/**
 * Reads a `.png`, `.jpg` or `.jpeg` file into an int32 tensor `[H, W, 3]` with values in
 * `[0, 255]` (see `decodeImage`).
 * @throws ImageIoError for a missing file, a directory, an unsupported extension or corrupt data.
 */
export function readImage(path: string): tf.Tensor3D {
  formatFromPath(path, 'readImage');
  if (!existsSync(path)) throw new ImageIoError('readImage', `no such file: ${path}`);
  if (!statSync(path).isFile()) throw new ImageIoError('readImage', `expected a file, received a directory: ${path}`);
  const bytes = readFileSync(path);
  try {
    return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if (e instanceof TpfrError) throw new ImageIoError('readImage', `${path}: ${e.message}`);
    throw e;
  }
}

/**
 * Writes an image tensor `[H, W, 3]` on the 0–255 scale (see `encodeImage`) to `path`, as PNG or
 * JPEG according to its extension, creating missing parent folders.
 * @throws ImageIoError for an unsupported extension; ShapeError for a bad tensor.
 */
export function writeImage(path: string, image: tf.Tensor3D, options: EncodeImageOptions = {}): void {
  const format = formatFromPath(path, 'writeImage');
  const bytes = encodeImage(image, format, options);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}
