/**
 * A training dataset over real images in the authors' folder layout (Node only): random square
 * crops of photos and paintings, resized to the training size.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { readImage } from '../image-io/file-io.js';
import { toModelRange } from '../model/pixel-range.js';
import { DatasetError } from './errors.js';
import { scanImageFolders, type ScanOptions } from './folder-layout.js';
import { createRng, hashSeed, type Rng } from '@tpfr/core/utils';
import type { StyleBatch, StyleDataset } from './types.js';

/** Options of {@link createImageFolderDataset}. */
export interface ImageFolderDatasetOptions extends ScanOptions {
  /** Side of the square training crops in pixels (default 256). */
  size?: number;
  /** Seed of the sampling and crops (default 0). */
  seed?: number;
  /** Range of the crop side as a fraction of the image's shorter side (default `[0.5, 1]`). */
  cropScale?: [number, number];
  /** Randomly mirror crops left–right (default true). */
  flip?: boolean;
  /** Decoded images kept in memory (as plain arrays, not tensors; default 64). */
  cacheSize?: number;
}

/** An image-folder dataset: a {@link StyleDataset} plus its file lists. */
export interface ImageFolderDataset extends StyleDataset {
  /** Dataset root folder. */
  readonly root: string;
  /** Paths of the photos. */
  readonly photos: readonly string[];
  /** Paths of the paintings of each style class. */
  readonly paintings: ReadonlyMap<string, readonly string[]>;
}

interface Decoded {
  height: number;
  width: number;
  data: Int32Array;
}

/**
 * Opens an image-folder dataset at `root`: `root/photo/` (or `photoFolder`) with the content
 * photos and one folder per style class with its paintings (.jpg, .jpeg, .png). Files are listed
 * now and decoded lazily when a batch needs them. Batches are deterministic from (seed, step).
 * When a folder has a single image, the two images of a sample drawn from it are the same file
 * (with different crops).
 * @throws DatasetError for a missing root, no photo folder, no style class folder, an empty folder
 * or an unsupported file; ValueError for bad options.
 */
export function createImageFolderDataset(root: string, options: ImageFolderDatasetOptions = {}): ImageFolderDataset {
  const fn = 'createImageFolderDataset';
  const size = options.size ?? 256;
  const seed = options.seed ?? 0;
  const [lo, hi] = options.cropScale ?? [0.5, 1];
  const flip = options.flip ?? true;
  const cacheSize = options.cacheSize ?? 64;
  if (!Number.isInteger(size) || size < 1) throw new ValueError(fn, 'size an integer >= 1', String(size));
  if (!Number.isInteger(seed)) throw new ValueError(fn, 'an integer seed', String(seed));
  if (!(lo > 0 && lo <= hi && hi <= 1)) throw new ValueError(fn, 'cropScale [lo, hi] with 0 < lo <= hi <= 1', `[${lo}, ${hi}]`);
  if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new ValueError(fn, 'cacheSize an integer >= 0', String(cacheSize));
  const { photos, styles } = scanImageFolders(root, options, fn);
  const classes = [...styles.keys()];
  const cache = new Map<string, Decoded>();

  const load = (path: string): Decoded => {
    const hit = cache.get(path);
    if (hit) {
      cache.delete(path);
      cache.set(path, hit);
      return hit;
    }
    const t = readImage(path);
    const d: Decoded = { height: t.shape[0], width: t.shape[1], data: t.dataSync() as Int32Array };
    t.dispose();
    if (cacheSize > 0) {
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(path, d);
    }
    return d;
  };

  /** A random crop of `path`, `[size, size, 3]` in [-1, 1]. Call inside tf.tidy. */
  const crop = (path: string, rng: Rng): tf.Tensor3D => {
    const img = load(path);
    const side = Math.max(1, Math.round(Math.min(img.height, img.width) * rng.uniform(lo, hi)));
    const y0 = rng.int(0, img.height - side);
    const x0 = rng.int(0, img.width - side);
    const mirror = flip && rng.next() < 0.5;
    const full = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    const patch = tf.slice(tf.cast(full, 'float32'), [y0, x0, 0], [side, side, 3]) as tf.Tensor3D;
    let out = tf.image.resizeBilinear(patch, [size, size], false, true);
    if (mirror) out = tf.reverse(out, 1);
    return tf.clipByValue(toModelRange(out), -1, 1) as tf.Tensor3D;
  };

  const pickTwo = (rng: Rng, n: number): [number, number] => {
    const a = rng.int(0, n - 1);
    return n < 2 ? [a, a] : [a, (a + rng.int(1, n - 1)) % n];
  };

  return {
    root,
    size,
    styleClasses: classes,
    source: { kind: 'folders', root, seed, size, photos: photos.length, paintings: [...styles.values()].reduce((n, l) => n + l.length, 0) },
    photos,
    paintings: styles,
    sampleBatch(step: number, batchSize: number): StyleBatch {
      if (!Number.isInteger(step) || step < 0) throw new ValueError('sampleBatch', 'step an integer >= 0', String(step));
      if (!Number.isInteger(batchSize) || batchSize < 1)
        throw new ValueError('sampleBatch', 'batchSize an integer >= 1', String(batchSize));
      const styleClass: string[] = [];
      const files: string[][] = [[], [], [], []];
      const rngs: Rng[] = [];
      for (let i = 0; i < batchSize; i++) {
        const rng = createRng(hashSeed(seed, step, i));
        const [a, a2] = pickTwo(rng, photos.length);
        const cls = rng.pick(classes);
        const paintings = styles.get(cls)!;
        const [b, b2] = pickTwo(rng, paintings.length);
        styleClass.push(cls);
        files[0].push(photos[a]);
        files[1].push(paintings[b]);
        files[2].push(photos[a2]);
        files[3].push(paintings[b2]);
        rngs.push(rng);
      }
      let tensors: tf.Tensor4D[];
      try {
        tensors = tf.tidy(() => files.map((list) => tf.stack(list.map((p, i) => crop(p, rngs[i]))) as tf.Tensor4D));
      } catch (e) {
        if (e instanceof DatasetError) throw e;
        throw new DatasetError('sampleBatch', `expected readable images in ${root}, received an error: ${(e as Error).message}`);
      }
      const [photoA, paintingB, photoA2, paintingB2] = tensors;
      return { photoA, paintingB, photoA2, paintingB2, styleClass };
    },
  };
}
