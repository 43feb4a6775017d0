/**
 * PNG and JPEG decoding and encoding in pure JS (pngjs, jpeg-js: optional peer dependencies of
 * @tpfr/models, loaded on first use, so that only those who read or write image files install
 * them). No file-system access: these functions work on bytes. Decoding reads the image size from
 * the header first and refuses images above a pixel limit (`MAX_IMAGE_PIXELS`, or `maxPixels`)
 * before allocating; interlaced PNGs, whose data pngjs inflates without a bound, are inflated
 * once more here with the bound their header gives.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as JpegJs from 'jpeg-js';
import { createRequire } from 'node:module';
import type * as PngJs from 'pngjs';
import { inflateSync } from 'node:zlib';
import { ShapeError, ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import { ImageIoError } from './errors.js';
import { describeBytes, MAX_IMAGE_PIXELS, readImageHeader, type ImageFormat, type ImageHeader } from './format.js';

/** The codec packages, by format. */
interface Codecs {
  png: typeof PngJs;
  jpeg: typeof JpegJs;
}

const CODEC_PACKAGES = { png: 'pngjs', jpeg: 'jpeg-js' } as const;
const loaded: Partial<Codecs> = {};
// Resolved from this file, so from wherever @tpfr/models is installed (ESM and CJS builds alike).
const requireHere = createRequire(import.meta.url);

/**
 * The codec package of `format` (`pngjs` or `jpeg-js`), loaded on first use.
 * @throws ImageIoError naming `fn` and the install command when the package is not installed.
 */
function codec<F extends ImageFormat>(fn: string, format: F): Codecs[F] {
  const name = CODEC_PACKAGES[format];
  if (loaded[format] === undefined) {
    try {
      loaded[format] = requireHere(name) as Codecs[F];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
      throw new ImageIoError(
        fn,
        `expected the package '${name}' for ${format.toUpperCase()} images, an optional peer dependency of @tpfr/models that is not installed: npm i pngjs jpeg-js`,
      );
    }
  }
  return loaded[format] as Codecs[F];
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decoded RGBA pixels. */
interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /**
   * The most pixels (width × height) to decode (default {@link MAX_IMAGE_PIXELS}, 8192 × 8192).
   * A header claiming more is refused before any pixel buffer is allocated.
   */
  maxPixels?: number;
}

/** Refuses a header whose size is empty or above `maxPixels`, before decoding allocates. */
function checkHeader(fn: string, header: ImageHeader, maxPixels: number, bytes: Uint8Array): void {
  const { width, height, format } = header;
  const name = format.toUpperCase();
  if (width === null || height === null) return; // no JPEG frame header found: jpeg-js's own limits apply
  if (width < 1 || height < 1) {
    throw new ImageIoError(
      fn,
      `expected a ${name} header with width and height >= 1, received ${width} × ${height} (${describeBytes(bytes)})`,
    );
  }
  if (width * height > maxPixels) {
    throw new ImageIoError(
      fn,
      `expected an image of at most ${maxPixels} pixels (maxPixels), received a ${name} header claiming ${width} × ${height} = ${width * height} pixels`,
    );
  }
  if (header.interlaced) {
    // pngjs inflates interlaced data without a bound: inflate it here first, bounded by the
    // size the header allows (each of the 7 passes adds at most a filter byte and a partial byte per row).
    const limit = header.rowBytes + 7 * 2 * (height + 1);
    try {
      inflateSync(pngImageData(bytes), { maxOutputLength: limit });
    } catch (e) {
      throw new ImageIoError(
        fn,
        `expected interlaced PNG data of at most ${limit} bytes once inflated (${width} × ${height}), received data that does not inflate within it: ${(e as Error).message}`,
      );
    }
  }
}

/** The concatenated IDAT chunks of a PNG (walked by their lengths; a truncated chunk ends the walk). */
function pngImageData(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3];
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IDAT') parts.push(bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length)));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return Buffer.concat(parts);
}

function decodeRgba(bytes: Uint8Array, format: ImageFormat, maxPixels: number): Rgba {
  // Loaded before the decoding's try: a missing package is not corrupt data.
  const png = format === 'png' ? codec('decodeImage', 'png') : undefined;
  const jpeg = format === 'jpeg' ? codec('decodeImage', 'jpeg') : undefined;
  try {
    if (png) {
      const img = png.PNG.sync.read(asBuffer(bytes));
      return { width: img.width, height: img.height, data: img.data };
    }
    // jpeg-js checks the same limit at the frame header, and bounds its own buffers (about 16
    // bytes per pixel at most).
    const maxMemoryUsageInMB = Math.max(64, Math.ceil((maxPixels * 16) / 2 ** 20));
    return jpeg!.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB });
  } catch (e) {
    throw new ImageIoError(
      'decodeImage',
      `expected a valid ${format.toUpperCase()} image, received corrupt data (${describeBytes(bytes)}): ${(e as Error).message}`,
    );
  }
}

/**
 * Decodes PNG or JPEG bytes (detected by their magic bytes) into an int32 tensor `[H, W, 3]` with
 * values in `[0, 255]`. Alpha is dropped; grayscale images are expanded to RGB; 16-bit PNGs are
 * rescaled to 8 bits. The size is read from the header first (PNG IHDR, JPEG SOF): an image of
 * more than `maxPixels` pixels is refused before decoding allocates anything for it.
 * @throws ImageIoError for bytes that are neither PNG nor JPEG, a header claiming an empty image
 * or more than `maxPixels` pixels, or corrupt data; ValueError for a bad `maxPixels`.
 */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): tf.Tensor3D {
  const fn = 'decodeImage';
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  if (!Number.isInteger(maxPixels) || maxPixels < 1) throw new ValueError(fn, 'maxPixels an integer >= 1', String(maxPixels));
  const header = readImageHeader(bytes, fn);
  if (!header) throw new ImageIoError(fn, `expected a PNG or JPEG image, received ${describeBytes(bytes)}`);
  const { format } = header;
  checkHeader(fn, header, maxPixels, bytes);
  const { width, height, data } = decodeRgba(bytes, format, maxPixels);
  if (width < 1 || height < 1 || data.length < width * height * 4) {
    throw new ImageIoError(
      fn,
      `expected a non-empty ${format.toUpperCase()} image, received ${width}x${height} with ${data.length} bytes of pixels`,
    );
  }
  const rgb = new Int32Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = data[j];
    rgb[i + 1] = data[j + 1];
    rgb[i + 2] = data[j + 2];
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
    const out = codec('encodeImage', 'jpeg').encode({ data: rgba, width, height }, quality).data;
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  const { PNG } = codec('encodeImage', 'png');
  const png = new PNG({ width, height });
  png.data = rgba;
  const out = PNG.sync.write(png, { colorType: 2 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
