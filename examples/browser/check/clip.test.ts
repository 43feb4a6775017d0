import { expect, it } from 'vitest';
import { syntheticClip, toYuv420, y4m } from './clip.js';

it('the clip is seeded, pans, moves a disc and has noise on every frame', () => {
  const a = syntheticClip({ width: 32, height: 24, frames: 4, seed: 3 });
  const b = syntheticClip({ width: 32, height: 24, frames: 4, seed: 3 });
  expect(a.map((f) => Array.from(f.data))).toEqual(b.map((f) => Array.from(f.data)));
  expect(a.map((f) => [f.width, f.height, f.data.length])).toEqual(Array(4).fill([32, 24, 32 * 24 * 3]));
  // Frame t+1 is frame t moved one pixel left, up to the noise and the disc: row 2 (above the disc) within 12 levels.
  const row = (f: number, x: number) => Array.from(a[f].data.slice((2 * 32 + x) * 3, (2 * 32 + x) * 3 + 3));
  for (let x = 0; x < 31; x++) row(1, x).forEach((v, c) => expect(Math.abs(v - row(0, x + 1)[c])).toBeLessThanOrEqual(12));
  // The disc: reddish at its centre on frame 2, not there on the first.
  const at = (f: number, x: number, y: number) => Array.from(a[f].data.slice((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
  expect(at(2, 25, 14)[0]).toBeGreaterThan(200);
  expect(at(0, 25, 14)[0]).toBeLessThan(200);
  expect(syntheticClip({ width: 32, height: 24, frames: 2, seed: 4 })[0].data).not.toEqual(a[0].data);
  expect(() => syntheticClip({ width: 31, height: 24, frames: 1 })).toThrow(/expected an even width and height, received 31×24/);
});

it('Y4M: the header Chromium reads, then FRAME and the 4:2:0 planes of each frame', () => {
  const frames = syntheticClip({ width: 8, height: 6, frames: 3 });
  const bytes = y4m(frames, 25);
  const text = new TextDecoder('latin1').decode(bytes);
  expect(text.startsWith('YUV4MPEG2 W8 H6 F25:1 Ip A1:1 C420jpeg\nFRAME\n')).toBe(true);
  const header = 'YUV4MPEG2 W8 H6 F25:1 Ip A1:1 C420jpeg\n'.length;
  expect(bytes.length).toBe(header + 3 * (6 + 8 * 6 * 1.5));
  expect(text.split('FRAME\n').length).toBe(4);
  // Grey stays grey: Y = the level, U = V = 128; white and black at the ends.
  const grey = toYuv420({ width: 2, height: 2, data: new Uint8Array(12).fill(77) });
  expect(Array.from(grey)).toEqual([77, 77, 77, 77, 128, 128]);
  const red = toYuv420({ width: 2, height: 2, data: Uint8Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 255 : 0)) });
  expect(Array.from(red)).toEqual([76, 76, 76, 76, 85, 255]);
  expect(() => y4m([])).toThrow(/expected at least one frame/);
});
