import type * as tf from '@tensorflow/tfjs-core';

/** Floats of one 36-position stack of a chunk of tiles (tiles are processed in chunks so the stacks stay near 32 MB). */
const CHUNK_FLOATS = 8 * 2 ** 20;

/** How a planned convolution is cut into 4×4 output tiles, and the tiles into chunks. */
export interface Tiling {
  /** Tiles over the batch. */
  tiles: number;
  /** Tile rows and columns per image (the output's sides over 4, rounded up). */
  th: number;
  tw: number;
  /** Tiles per chunk: a chunk's 36-position stack of the wider channel count stays near `CHUNK_FLOATS`. */
  chunk: number;
  /** Tile t's image and the output row and column of its top-left pixel. */
  origin: (t: number) => readonly [number, number, number];
}

/**
 * The {@link Tiling} of the convolution `info` plans (the same for it and both its gradients, and
 * for the composed and the SIMD tile transforms).
 */
export function tilingOf(info: tf.backend_util.Conv2DInfo): Tiling {
  const th = Math.ceil(info.outHeight / 4);
  const tw = Math.ceil(info.outWidth / 4);
  const tiles = info.batchSize * th * tw;
  return {
    tiles,
    th,
    tw,
    chunk: Math.max(1, Math.min(tiles, Math.floor(CHUNK_FLOATS / (36 * Math.max(info.inChannels, info.outChannels))))),
    origin: (t) => [Math.floor(t / (th * tw)), 4 * (Math.floor(t / tw) % th), 4 * (t % tw)] as const,
  };
}
