import { expect, it } from 'vitest';
import { emptyRegions, isPainted, loadLayer, masksOf, paintDisc, paintStroke } from './regions.js';

it('nothing painted gives no masks; a painted style covers its strokes alone and every style keeps the unpainted rest', () => {
  const r = emptyRegions(10, 6, 3);
  expect(isPainted(r)).toBe(false);
  expect(masksOf(r)).toBeNull();
  paintDisc(r, 1, 2, 2, 1);
  expect(isPainted(r)).toBe(true);
  const m = masksOf(r)!;
  expect(m.map((x) => [x.width, x.height, x.data.length])).toEqual([
    [10, 6, 60],
    [10, 6, 60],
    [10, 6, 60],
  ]);
  const at = (x: number, y: number) => m.map((mask) => mask.data[y * 10 + x]);
  expect(at(2, 2)).toEqual([0, 255, 0]); // painted with style 2
  expect(at(9, 5)).toEqual([255, 255, 255]); // unpainted: every style
  // Every pixel has at least one style (the stylizer refuses pixels with none).
  for (let i = 0; i < 60; i++) expect(Math.max(...m.map((mask) => mask.data[i]))).toBe(255);
  // Painting over with another style takes the pixel from the first.
  paintStroke(r, 0, 0, 2, 9, 2, 0.5);
  expect(masksOf(r)!.map((mask) => mask.data[2 * 10 + 2])).toEqual([255, 0, 0]);
  expect(() => paintDisc(r, 3, 0, 0, 1)).toThrow(/paintDisc: expected a style 1–3, received 4/);
});

it('a loaded mask sets its style where it is white, partly where grey, and the rest is shared', () => {
  const r = emptyRegions(4, 1, 2);
  loadLayer(r, 0, { width: 4, height: 1, data: [255, 128, 0, 0] });
  expect(masksOf(r)!.map((m) => Array.from(m.data))).toEqual([
    [255, 128, 255, 255],
    [0, 127, 255, 255],
  ]);
  expect(() => loadLayer(r, 0, { width: 2, height: 2, data: [0, 0, 0, 0] })).toThrow(
    /loadLayer: expected a mask of 4×1 levels, received 2×2 \(4 levels\)/,
  );
});
