import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, ShapeError, ValueError } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { makeGrid } from './grid.js';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('makeGrid', () => {
  it('tiles rows of images into cells with padding', () => {
    const a = tf.fill([4, 4, 3], 1) as tf.Tensor3D;
    const b = tf.fill([8, 8, 3], 0.5) as tf.Tensor3D;
    const c = tf.fill([4, 8, 3], -1) as tf.Tensor3D;
    const g = makeGrid([[a, b, c], [b]], { padding: 1, background: 0 });
    // cell 4x4 (first image): 2 rows, 3 columns.
    expect(g.shape).toEqual([2 * 5 + 1, 3 * 5 + 1, 3]);
    const at = (y: number, x: number) => tf.tidy(() => tf.slice(g, [y, x, 0], [1, 1, 1]).dataSync()[0]);
    expect(at(0, 0)).toBe(0); // padding
    expect(at(1, 1)).toBe(1); // a
    expect(at(2, 7)).toBeCloseTo(0.5); // b resized
    expect(at(1, 11)).toBe(0); // c letterboxed: 2 rows of background above
    expect(at(2, 11)).toBe(-1);
    expect(at(7, 11)).toBe(0); // missing cell of row 2
    tf.dispose([a, b, c, g]);
  });

  it('honours cellSize and rejects bad input', async () => {
    const a = tf.zeros([6, 6, 3]) as tf.Tensor3D;
    const g = makeGrid([[a, a]], { cellSize: [3, 5], padding: 0 });
    expect(g.shape).toEqual([3, 10, 3]);
    g.dispose();
    expect(() => makeGrid([])).toThrow(ValueError);
    expect(() => makeGrid([[]])).toThrow(/makeGrid: expected at least one image/);
    const bad = tf.zeros([6, 6, 1]) as tf.Tensor3D;
    expect(() => makeGrid([[a], [bad]])).toThrow(ShapeError);
    expect(() => makeGrid([[a], [bad]])).toThrow(/makeGrid: expected image \[1\]\[0\] of shape \[H, W, 3\], received \[6,6,1\]/);
    await expectNoLeaks(() => makeGrid([[a, a], [a]], { cellSize: 4 }), 'makeGrid');
    tf.dispose([a, bad]);
  });
});
