/**
 * PNG and JPEG decoding and encoding in pure JS (pngjs, jpeg-js). No file-system access: these
 * functions work on bytes, in Node and in browsers (with a `Buffer` polyfill, which pngjs needs).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ShapeError, ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import { ImageIoError } from './errors.js';
import { describeBytes, detectImageFormat, type ImageFormat } from './format.js';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decoded RGBA pixels. */
interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

function decodeRgba(bytes: Uint8Array, format: ImageFormat): Rgba {
  try {
    if (format === 'png') {
      const png = PNG.sync.read(asBuffer(bytes));
      return { width: png.width, height: png.height, data: png.data };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return img;
  } catch (e) {
    throw new ImageIoError('decodeImage', `expected a valid ${format.toUpperCase()} image, received corrupt data (${describeBytes(bytes)}): ${(e as Error).message}`);
  }
}

/**
 * Decodes PNG or JPEG bytes (detected by their magic bytes) into an int32 tensor `[H, W, 3]` with
 * values in `[0, 255]`. Alpha is dropped; grayscale images are expanded to RGB; 16-bit PNGs are
 * rescaled to 8 bits.
 * @throws ImageIoError for bytes that are neither PNG nor JPEG, or corrupt data.
 */
export function decodeImage(bytes: Uint8Array): tf.Tensor3D {
  const format = detectImageFormat(bytes);
  if (!format) throw new ImageIoError('decodeImage', `expected a PNG or JPEG image, received ${describeBytes(bytes)}`);
  const { width, height, data } = decodeRgba(bytes, format);
  if (width < 1 || height < 1 || data.length < width * height * 4) {
    throw new ImageIoError('decodeImage', `expected a non-empty ${format.toUpperCase()} image, received ${width}x${height} with ${data.length} bytes of pixels`);
  }
  const rgb = new Int32Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = data[j]; rgb[i + 1] = data[j + 1]; rgb[i + 2] = data[j + 2];
  }
  return tf.tensor3d(rgb, [height, width, 3], 'int32');
}

/** Options of {@link encodeImage}. */
export interface EncodeImageOptions {
  /** JPEG quality in `[1, 100]` (default 92). Ignored for PNG. */
  quality?: number;
}

/**
 * Encodes an image tensor `[H, W, 3]` (or `[H, W, 1]`, written as gray RGB) with values on the
 * 0–255 scale (int32 or float; rounded and clipped to `[0, 255]`) as PNG (lossless) or JPEG.
 * To write an image in the model's `[-1, 1]` range, pass it through `fromModelRange` first.
 * @throws ShapeError for another shape; ValueError for an unknown format or bad quality.
 */
export function encodeImage(image: tf.Tensor3D, format: ImageFormat = 'png', options: EncodeImageOptions = {}): Uint8Array {
  if (image.rank !== 3 || (image.shape[2] !== 3 && image.shape[2] !== 1) || image.shape[0] < 1 || image.shape[1] < 1) {
    throw new ShapeError('encodeImage', 'an image of shape [H, W, 3] or [H, W, 1]', formatShape(image.shape));
  }
  if (format !== 'png' && format !== 'jpeg') throw new ValueError('encodeImage', "format 'png' or 'jpeg'", JSON.stringify(format));
  const quality = options.quality ?? 92;
  if (!(quality >= 1 && quality <= 100)) throw new ValueError('encodeImage', 'quality in [1, 100]', String(quality));
  const [height, width, channels] = image.shape;
  const values = image.dataSync();
  const rgba = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const v = values[p * channels + (channels === 1 ? 0 : c)];
      rgba[p * 4 + c] = Number.isNaN(v) ? 0 : Math.max(0, Math.min(255, Math.round(v)));
    }
    rgba[p * 4 + 3] = 255;
  }
  if (format === 'jpeg') {
    const out = jpeg.encode({ data: rgba, width, height }, quality).data;
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  const png = new PNG({ width, height });
  png.data = rgba;
  const out = PNG.sync.write(png, { colorType: 2 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
