/**
 * Tiling images into one grid image (e.g. `grid.png`, rows of content | style | result).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';

/** Options of {@link makeGrid}. */
export interface GridOptions {
  /**
   * Cell size `[height, width]` (or one number for square cells). Default: the size of the first
   * image. Each image is resized to fit its cell, keeping its aspect ratio, and centred.
   */
  cellSize?: number | [number, number];
  /** Pixels of background between cells and around the grid (default 2). */
  padding?: number;
  /**
   * Background value of padding and empty cells, in the images' own range (default 0: mid grey for
   * `[-1, 1]` images, black for 0–255 ones).
   */
  background?: number;
}

/**
 * Tiles `rows` of images (each `[H, W, 3]`, any sizes, all in the same value range) into one
 * float32 image `[R * (ch + p) + p, C * (cw + p) + p, 3]`, where R is the number of rows, C the
 * longest row, `[ch, cw]` the cell size and p the padding. Shorter rows are filled with background.
 * @throws ValueError for no images or bad options; ShapeError for an image not `[H, W, 3]`.
 */
export function makeGrid(rows: tf.Tensor3D[][], options: GridOptions = {}): tf.Tensor3D {
  const fn = 'makeGrid';
  const cols = Math.max(0, ...rows.map((r) => r.length));
  if (rows.length === 0 || cols === 0) throw new ValueError(fn, 'at least one image', `${rows.length} row(s) and no image`);
  rows.forEach((row, i) =>
    row.forEach((img, j) => {
      if (img.rank !== 3 || img.shape[2] !== 3) throw new ShapeError(fn, `image [${i}][${j}] of shape [H, W, 3]`, formatShape(img.shape));
    }),
  );
  const first = rows.find((r) => r.length > 0)![0];
  const cell = options.cellSize ?? [first.shape[0], first.shape[1]];
  const [ch, cw] = typeof cell === 'number' ? [cell, cell] : cell;
  const pad = options.padding ?? 2;
  const bg = options.background ?? 0;
  if (!(Number.isInteger(ch) && Number.isInteger(cw) && ch >= 1 && cw >= 1))
    throw new ValueError(fn, 'cellSize positive integers', `[${ch}, ${cw}]`);
  if (!(Number.isInteger(pad) && pad >= 0)) throw new ValueError(fn, 'padding an integer >= 0', String(pad));
  return tf.tidy(() => {
    const fit = (img: tf.Tensor3D | undefined): tf.Tensor3D => {
      if (!img) return tf.fill([ch, cw, 3], bg, 'float32') as tf.Tensor3D;
      const [h, w] = img.shape;
      const s = Math.min(ch / h, cw / w);
      const nh = Math.max(1, Math.min(ch, Math.round(h * s)));
      const nw = Math.max(1, Math.min(cw, Math.round(w * s)));
      const f = tf.cast(img, 'float32');
      const resized = nh === h && nw === w ? f : tf.image.resizeBilinear(f, [nh, nw], false, true);
      const top = Math.floor((ch - nh) / 2);
      const left = Math.floor((cw - nw) / 2);
      return tf.pad(
        resized,
        [
          [top, ch - nh - top],
          [left, cw - nw - left],
          [0, 0],
        ],
        bg,
      );
    };
    const rowImages = rows.map((row) => {
      const cells = Array.from({ length: cols }, (_, j) =>
        tf.pad(
          fit(row[j]),
          [
            [pad, 0],
            [pad, 0],
            [0, 0],
          ],
          bg,
        ),
      );
      return tf.concat(cells, 1);
    });
    return tf.pad(
      tf.concat(rowImages, 0),
      [
        [0, pad],
        [0, pad],
        [0, 0],
      ],
      bg,
    ) as tf.Tensor3D;
  });
}
