/**
 * Reading and writing image files in Node (node:fs). The format follows the file extension.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { TpfrError } from '@tpfr/core';
import { decodeImage, encodeImage, type DecodeImageOptions, type EncodeImageOptions } from './codec.js';
import { ImageIoError } from './errors.js';
import { formatFromPath } from './format.js';
import { writeFileAtomicallySync } from '../node/atomic-file.js';

/**
 * Reads a `.png`, `.jpg` or `.jpeg` file into an int32 tensor `[H, W, 3]` with values in
 * `[0, 255]` (see `decodeImage`, whose `maxPixels` limit applies: `MAX_IMAGE_PIXELS` by default).
 * @throws ImageIoError for a missing file (a broken symbolic link included), a directory, an
 * unreadable file, an unsupported extension, an image above `maxPixels` or corrupt data.
 */
export function readImage(path: string, options: DecodeImageOptions = {}): tf.Tensor3D {
  formatFromPath(path, 'readImage');
  if (!existsSync(path)) throw new ImageIoError('readImage', `no such file: ${path}`);
  if (!statSync(path).isFile()) throw new ImageIoError('readImage', `expected a file, received a directory: ${path}`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ImageIoError('readImage', `expected a readable file, could not read ${path}: ${(e as Error).message}`);
  }
  try {
    return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
  } catch (e) {
    if (e instanceof TpfrError) throw new ImageIoError('readImage', `${path}: ${e.message}`);
    throw e;
  }
}

/**
 * Writes an image tensor `[H, W, 3]` on the 0–255 scale (see `encodeImage`) to `path`, as PNG or
 * JPEG according to its extension, creating missing parent folders; atomically (a temporary
 * sibling renamed over `path`).
 * @throws ImageIoError for an unsupported extension; ShapeError for a bad tensor.
 */
export function writeImage(path: string, image: tf.Tensor3D, options: EncodeImageOptions = {}): void {
  const format = formatFromPath(path, 'writeImage');
  const bytes = encodeImage(image, format, options);
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicallySync(path, bytes); // a crash never leaves a half-written image
}
