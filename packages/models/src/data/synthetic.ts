/**
 * The seeded synthetic style-transfer dataset (the built-in default; nothing to download):
 * procedural photos and paintings of {@link SYNTHETIC_STYLE_CLASSES}.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import { createRng, hashSeed, hashString } from '@tpfr/core/utils';
import { renderScenePixels } from './scene.js';
import { styleClassSpec, paintPixels } from './paint.js';
import { TRAIN_STYLE_CLASSES } from './style-classes.js';
import type { StyleBatch, StyleDataset } from './types.js';

/** Options of {@link createSyntheticDataset}. */
export interface SyntheticDatasetOptions {
  /** Side of the square training images in pixels (default 64). */
  size?: number;
  /**
   * Side of the rendered scenes that training images are cut from (default `size`: whole
   * scenes). Larger than `size`, each batch image is a seeded random `size × size` crop of a
   * `renderSize` scene, as the authors train on crops of larger images: textures keep the pixel
   * scale of a `renderSize` image at the cost of a `size` one. `photo` and `painting` return
   * whole `renderSize` images.
   */
  renderSize?: number;
  /** Dataset seed (default 0): every image is a function of (seed, index). */
  seed?: number;
  /** Style classes to draw batches from (default {@link TRAIN_STYLE_CLASSES}). */
  classes?: readonly string[];
  /** Photos batches draw from: indices `[0, numPhotos)` (default 100000). */
  numPhotos?: number;
  /** Paintings per class batches draw from: indices `[0, numPaintings)` (default 100000). */
  numPaintings?: number;
}

/** The synthetic dataset: a {@link StyleDataset} with random access to its photos and paintings. */
export interface SyntheticDataset extends StyleDataset {
  /** Dataset seed. */
  readonly seed: number;
  /** Side of the rendered scenes (`size` unless crops are cut from larger renders). */
  readonly renderSize: number;
  /** Photo number `index` (any integer ≥ 0), `[renderSize, renderSize, 3]` in `[-1, 1]`. */
  photo(index: number): tf.Tensor3D;
  /** Painting number `index` of class `className`, `[renderSize, renderSize, 3]` in `[-1, 1]`. */
  painting(className: string, index: number): tf.Tensor3D;
}

// Domain tags mixed into the seeds, so photos and paintings come from independent scenes.
const PHOTO_TAG = 0x70686f74;
const PAINTING_TAG = 0x7061696e;
const BATCH_TAG = 0x62617463;

/** A `[0, 1]` value as `[-1, 1]`, clamped. */
const modelRange = (v: number): number => Math.max(-1, Math.min(1, v * 2 - 1));

/** Copies `[0, 1]` pixels into `out` at `offset` as `[-1, 1]`. */
function writeModelRange(src: Float32Array, out: Float32Array, offset: number): void {
  for (let i = 0; i < src.length; i++) out[offset + i] = modelRange(src[i]);
}

/** Copies the `size × size` window at (y0, x0) of a `side × side` RGB image `src` (`[0, 1]`) into `out` at `offset` as `[-1, 1]`. */
function writeCrop(src: Float32Array, side: number, y0: number, x0: number, size: number, out: Float32Array, offset: number): void {
  for (let y = 0; y < size; y++) {
    const from = ((y0 + y) * side + x0) * 3;
    for (let i = 0; i < size * 3; i++) out[offset + y * size * 3 + i] = modelRange(src[from + i]);
  }
}

function checkSize(fn: string, size: number): void {
  if (!Number.isInteger(size) || size < 4) throw new ValueError(fn, 'an integer size >= 4', String(size));
}

function checkIndex(fn: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new ValueError(fn, `${name} an integer >= 0`, String(v));
}

function photoPixels(seed: number, index: number, size: number): Float32Array {
  return renderScenePixels(hashSeed(seed, PHOTO_TAG, index), size);
}

function paintingPixels(seed: number, className: string, index: number, size: number): Float32Array {
  const s = hashSeed(seed, PAINTING_TAG, hashString(className), index);
  return paintPixels(renderScenePixels(s, size), size, size, className, s);
}

/**
 * Renders the procedural photo of `seed` as a `[size, size, 3]` float32 tensor in `[-1, 1]`.
 * Deterministic: the same (seed, size) always gives the same image.
 */
export function renderPhoto(seed: number, size = 64): tf.Tensor3D {
  checkSize('renderPhoto', size);
  const out = new Float32Array(size * size * 3);
  writeModelRange(renderScenePixels(seed, size), out, 0);
  return tf.tensor3d(out, [size, size, 3], 'float32');
}

/**
 * Paints a photo `[H, W, 3]` in `[-1, 1]` as a painting of the synthetic class `className`
 * (palette mapping, texture and edge treatment), returning `[H, W, 3]` in `[-1, 1]`. `seed` varies
 * the texture's phase and noise.
 * @throws ShapeError unless `photo` is `[H, W, 3]`; ValueError for an unknown class.
 */
export function paintWithClass(photo: tf.Tensor3D, className: string, seed = 0): tf.Tensor3D {
  styleClassSpec(className, 'paintWithClass');
  if (photo.rank !== 3 || photo.shape[2] !== 3) {
    throw new ShapeError('paintWithClass', 'photo of shape [H, W, 3]', formatShape(photo.shape));
  }
  const [h, w] = photo.shape;
  const data = photo.dataSync();
  const px = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) px[i] = (data[i] + 1) / 2;
  const out = new Float32Array(px.length);
  writeModelRange(paintPixels(px, h, w, className, seed), out, 0);
  return tf.tensor3d(out, [h, w, 3], 'float32');
}

/** Two different integers in `[0, n)` (or equal ones when n = 1). */
function twoDistinct(rng: ReturnType<typeof createRng>, n: number): [number, number] {
  const a = rng.int(0, n - 1);
  if (n < 2) return [a, a];
  const b = (a + rng.int(1, n - 1)) % n;
  return [a, b];
}

/**
 * Creates the seeded synthetic dataset. Photos are procedural scenes (sky and ground gradients,
 * sun, hills, houses, trees, free shapes); a painting of class c is a fresh procedural scene
 * painted with class c. Everything is a pure function of (seed, index) or (seed, step), so runs
 * are reproducible. A 2 × 64 × 64 batch takes a few milliseconds.
 * @throws ValueError for a bad size, an unknown class or an empty class list.
 */
export function createSyntheticDataset(options: SyntheticDatasetOptions = {}): SyntheticDataset {
  const fn = 'createSyntheticDataset';
  const size = options.size ?? 64;
  const seed = options.seed ?? 0;
  const classes = [...(options.classes ?? TRAIN_STYLE_CLASSES)];
  const numPhotos = options.numPhotos ?? 100000;
  const numPaintings = options.numPaintings ?? 100000;
  checkSize(fn, size);
  const renderSize = options.renderSize ?? size;
  if (!Number.isInteger(renderSize) || renderSize < size)
    throw new ValueError(fn, `an integer renderSize >= size (${size})`, String(renderSize));
  if (!Number.isInteger(seed)) throw new ValueError(fn, 'an integer seed', String(seed));
  if (classes.length === 0) throw new ValueError(fn, 'at least 1 style class', 'an empty list');
  for (const c of classes) styleClassSpec(c, fn);
  if (!Number.isInteger(numPhotos) || numPhotos < 2) throw new ValueError(fn, 'numPhotos an integer >= 2', String(numPhotos));
  if (!Number.isInteger(numPaintings) || numPaintings < 2) throw new ValueError(fn, 'numPaintings an integer >= 2', String(numPaintings));
  const plane = size * size * 3;
  const renderPlane = renderSize * renderSize * 3;
  const cropped = renderSize > size;

  return {
    size,
    renderSize,
    seed,
    styleClasses: classes,
    source: { kind: 'synthetic', seed, size, renderSize, photos: numPhotos, paintings: numPaintings },
    photo(index: number): tf.Tensor3D {
      checkIndex('photo', 'index', index);
      const out = new Float32Array(renderPlane);
      writeModelRange(photoPixels(seed, index, renderSize), out, 0);
      return tf.tensor3d(out, [renderSize, renderSize, 3], 'float32');
    },
    painting(className: string, index: number): tf.Tensor3D {
      styleClassSpec(className, 'painting');
      checkIndex('painting', 'index', index);
      const out = new Float32Array(renderPlane);
      writeModelRange(paintingPixels(seed, className, index, renderSize), out, 0);
      return tf.tensor3d(out, [renderSize, renderSize, 3], 'float32');
    },
    sampleBatch(step: number, batchSize: number): StyleBatch {
      checkIndex('sampleBatch', 'step', step);
      if (!Number.isInteger(batchSize) || batchSize < 1)
        throw new ValueError('sampleBatch', 'batchSize an integer >= 1', String(batchSize));
      const bufs = [0, 1, 2, 3].map(() => new Float32Array(batchSize * plane));
      const styleClass: string[] = [];
      for (let i = 0; i < batchSize; i++) {
        const rng = createRng(hashSeed(seed, BATCH_TAG, step, i));
        const [a, a2] = twoDistinct(rng, numPhotos);
        const cls = rng.pick(classes);
        const [b, b2] = twoDistinct(rng, numPaintings);
        styleClass.push(cls);
        const images = [
          photoPixels(seed, a, renderSize),
          paintingPixels(seed, cls, b, renderSize),
          photoPixels(seed, a2, renderSize),
          paintingPixels(seed, cls, b2, renderSize),
        ];
        images.forEach((px, j) => {
          // Whole renders draw no offsets, so their batches match those of a dataset without crops.
          if (!cropped) writeModelRange(px, bufs[j], i * plane);
          else writeCrop(px, renderSize, rng.int(0, renderSize - size), rng.int(0, renderSize - size), size, bufs[j], i * plane);
        });
      }
      const shape: [number, number, number, number] = [batchSize, size, size, 3];
      return {
        photoA: tf.tensor4d(bufs[0], shape, 'float32'),
        paintingB: tf.tensor4d(bufs[1], shape, 'float32'),
        photoA2: tf.tensor4d(bufs[2], shape, 'float32'),
        paintingB2: tf.tensor4d(bufs[3], shape, 'float32'),
        styleClass,
      };
    },
  };
}
