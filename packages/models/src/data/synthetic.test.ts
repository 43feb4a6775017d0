import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, ShapeError, ValueError } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { createSyntheticDataset, renderPhoto, paintWithClass } from './synthetic.js';
import { HELD_OUT_STYLE_CLASSES, SYNTHETIC_STYLE_CLASSES, TRAIN_STYLE_CLASSES } from './style-classes.js';
import { renderScenePixels } from './scene.js';
import { paintPixels } from './paint.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const same = (a: tf.Tensor, b: tf.Tensor) => {
  const eq = tf.tidy(() => tf.all(tf.equal(a, b)).dataSync()[0]);
  return eq === 1;
};

function inRange(t: tf.Tensor, lo: number, hi: number): boolean {
  const d = t.dataSync();
  return d.every((v) => Number.isFinite(v) && v >= lo && v <= hi);
}

describe('style classes', () => {
  it('has at least 8 stable classes and 2 held out', () => {
    expect(SYNTHETIC_STYLE_CLASSES.length).toBeGreaterThanOrEqual(8);
    expect(new Set(SYNTHETIC_STYLE_CLASSES).size).toBe(SYNTHETIC_STYLE_CLASSES.length);
    expect(HELD_OUT_STYLE_CLASSES.length).toBeGreaterThanOrEqual(2);
    expect(TRAIN_STYLE_CLASSES.length).toBeGreaterThanOrEqual(8);
    expect(TRAIN_STYLE_CLASSES.some((c) => HELD_OUT_STYLE_CLASSES.includes(c))).toBe(false);
    expect([...TRAIN_STYLE_CLASSES, ...HELD_OUT_STYLE_CLASSES].sort()).toEqual([...SYNTHETIC_STYLE_CLASSES].sort());
    expect(SYNTHETIC_STYLE_CLASSES).toContain('hatch-sepia');
  });

  it('paintPixels works on non-square images and rejects bad input', () => {
    const px = new Float32Array(12 * 20 * 3).fill(0.5);
    for (const c of SYNTHETIC_STYLE_CLASSES) {
      const out = paintPixels(px, 12, 20, c, 1);
      expect(out.length).toBe(px.length);
      expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    expect(() => paintPixels(px, 12, 20, 'nope', 1)).toThrow(/paintPixels: expected a synthetic style class/);
    expect(() => paintPixels(px, 10, 20, 'hatch-sepia', 1)).toThrow(ValueError);
  });
});

describe('synthetic dataset', () => {
  test.prop([fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(...SYNTHETIC_STYLE_CLASSES)], {
    seed: 42,
    numRuns: 10,
  })('photos and paintings are deterministic, [size, size, 3] and in [-1, 1]', (seed, index, cls) => {
    const a = createSyntheticDataset({ size: 24, seed });
    const b = createSyntheticDataset({ size: 24, seed });
    const [p1, p2, q1, q2] = [a.photo(index), b.photo(index), a.painting(cls, index), b.painting(cls, index)];
    expect(p1.shape).toEqual([24, 24, 3]);
    expect(q1.shape).toEqual([24, 24, 3]);
    expect(p1.dtype).toBe('float32');
    expect(same(p1, p2) && same(q1, q2)).toBe(true);
    expect(inRange(p1, -1, 1) && inRange(q1, -1, 1)).toBe(true);
    tf.dispose([p1, p2, q1, q2]);
  });

  test.prop([fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 })], { seed: 42, numRuns: 10 })(
    'different seeds or indices give different images',
    (seed, index) => {
      const a = createSyntheticDataset({ size: 24, seed });
      const b = createSyntheticDataset({ size: 24, seed: seed + 1 });
      const imgs = [a.photo(index), b.photo(index), a.photo(index + 1), a.painting('hatch-sepia', index), b.painting('hatch-sepia', index)];
      expect(same(imgs[0], imgs[1])).toBe(false);
      expect(same(imgs[0], imgs[2])).toBe(false);
      expect(same(imgs[3], imgs[4])).toBe(false);
      tf.dispose(imgs);
    },
  );

  it('photos have clear luminance edges and varied colours', () => {
    const px = renderScenePixels(7, 64);
    let maxJump = 0;
    for (let y = 0; y < 63; y++) {
      for (let x = 0; x < 64; x++) {
        const o = (y * 64 + x) * 3,
          d = ((y + 1) * 64 + x) * 3;
        const l = (i: number) => 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
        maxJump = Math.max(maxJump, Math.abs(l(o) - l(d)));
      }
    }
    expect(maxJump).toBeGreaterThan(0.15);
  });

  test.prop([fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 3 })], {
    seed: 42,
    numRuns: 10,
  })('sampleBatch is deterministic, pairs B with B2 of one class and A with a different A2', (seed, step, batch) => {
    const ds = createSyntheticDataset({ size: 16, seed });
    const x = ds.sampleBatch(step, batch);
    const y = ds.sampleBatch(step, batch);
    for (const k of ['photoA', 'paintingB', 'photoA2', 'paintingB2'] as const) {
      expect(x[k].shape).toEqual([batch, 16, 16, 3]);
      expect(same(x[k], y[k])).toBe(true);
      expect(inRange(x[k], -1, 1)).toBe(true);
    }
    expect(x.styleClass).toEqual(y.styleClass);
    expect(x.styleClass).toHaveLength(batch);
    expect(x.styleClass.every((c) => TRAIN_STYLE_CLASSES.includes(c))).toBe(true);
    for (let i = 0; i < batch; i++) {
      const [a, a2, b, b2] = [x.photoA, x.photoA2, x.paintingB, x.paintingB2].map((t) => tf.slice(t, [i], [1]));
      expect(same(a, a2)).toBe(false);
      expect(same(b, b2)).toBe(false);
      tf.dispose([a, a2, b, b2]);
    }
    tf.dispose([x.photoA, x.paintingB, x.photoA2, x.paintingB2, y.photoA, y.paintingB, y.photoA2, y.paintingB2]);
  });

  /** Whether `crop` `[S, S, 3]` equals some S × S window of `full` `[R, R, 3]`. */
  function isWindowOf(crop: tf.Tensor3D, full: tf.Tensor3D): boolean {
    const [r, s] = [full.shape[0], crop.shape[0]];
    const c = crop.dataSync();
    const f = full.dataSync();
    for (let y0 = 0; y0 <= r - s; y0++) {
      for (let x0 = 0; x0 <= r - s; x0++) {
        let ok = true;
        for (let y = 0; y < s && ok; y++) for (let i = 0; i < s * 3 && ok; i++) ok = c[y * s * 3 + i] === f[((y0 + y) * r + x0) * 3 + i];
        if (ok) return true;
      }
    }
    return false;
  }

  test.prop(
    [fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 8, max: 12 }), fc.integer({ min: 0, max: 8 })],
    { seed: 42, numRuns: 6 },
  )('with renderSize > size, batch images are size x size windows of the whole renders', (seed, step, size, extra) => {
    const renderSize = size + extra;
    // Two photos and two paintings per class, so every batch image comes from index 0 or 1.
    const ds = createSyntheticDataset({ size, renderSize, seed, numPhotos: 2, numPaintings: 2, classes: ['stripes-pop'] });
    expect(ds.renderSize).toBe(renderSize);
    const b = ds.sampleBatch(step, 2);
    expect(b.photoA.shape).toEqual([2, size, size, 3]);
    const whole = [ds.photo(0), ds.photo(1), ds.painting('stripes-pop', 0), ds.painting('stripes-pop', 1)];
    expect(whole[0].shape).toEqual([renderSize, renderSize, 3]);
    const photos = tf.unstack(tf.concat([b.photoA, b.photoA2])) as tf.Tensor3D[];
    const paintings = tf.unstack(tf.concat([b.paintingB, b.paintingB2])) as tf.Tensor3D[];
    for (const p of photos) expect(isWindowOf(p, whole[0]) || isWindowOf(p, whole[1])).toBe(true);
    for (const p of paintings) expect(isWindowOf(p, whole[2]) || isWindowOf(p, whole[3])).toBe(true);
    tf.dispose([b.photoA, b.paintingB, b.photoA2, b.paintingB2, ...whole, ...photos, ...paintings]);
  });

  it('renderSize = size gives the batches of a dataset without crops', () => {
    const a = createSyntheticDataset({ size: 16, seed: 3 }).sampleBatch(5, 2);
    const b = createSyntheticDataset({ size: 16, renderSize: 16, seed: 3 }).sampleBatch(5, 2);
    expect(
      same(a.photoA, b.photoA) && same(a.paintingB, b.paintingB) && same(a.photoA2, b.photoA2) && same(a.paintingB2, b.paintingB2),
    ).toBe(true);
    tf.dispose([a.photoA, a.paintingB, a.photoA2, a.paintingB2, b.photoA, b.paintingB, b.photoA2, b.paintingB2]);
  });

  it('draws every configured class and varies between steps', () => {
    const ds = createSyntheticDataset({ size: 8, classes: HELD_OUT_STYLE_CLASSES });
    expect(ds.styleClasses).toEqual(HELD_OUT_STYLE_CLASSES);
    const seen = new Set<string>();
    for (let s = 0; s < 20; s++) {
      const b = ds.sampleBatch(s, 1);
      seen.add(b.styleClass[0]);
      tf.dispose([b.photoA, b.paintingB, b.photoA2, b.paintingB2]);
    }
    expect([...seen].sort()).toEqual([...HELD_OUT_STYLE_CLASSES].sort());
  });

  it('generates a 2 x 64 x 64 batch in a few ms', () => {
    const ds = createSyntheticDataset();
    const b0 = ds.sampleBatch(0, 2);
    tf.dispose([b0.photoA, b0.paintingB, b0.photoA2, b0.paintingB2]);
    const t0 = performance.now();
    for (let s = 1; s <= 10; s++) {
      const b = ds.sampleBatch(s, 2);
      tf.dispose([b.photoA, b.paintingB, b.photoA2, b.paintingB2]);
    }
    const ms = (performance.now() - t0) / 10;
    expect(ms).toBeLessThan(50); // about 3-5 ms here; generous for slow CI
  });

  it('paintWithClass maps a photo to a painting, deterministically', () => {
    const photo = renderPhoto(3, 32);
    const a = paintWithClass(photo, 'wave-sunset', 1);
    const b = paintWithClass(photo, 'wave-sunset', 1);
    const c = paintWithClass(photo, 'rings-neon', 1);
    expect(a.shape).toEqual([32, 32, 3]);
    expect(same(a, b)).toBe(true);
    expect(same(a, c)).toBe(false);
    expect(inRange(a, -1, 1)).toBe(true);
    tf.dispose([photo, a, b, c]);
  });

  it('leaks no tensors', async () => {
    const ds = createSyntheticDataset({ size: 16 });
    await expectNoLeaks(() => ds.photo(1), 'photo');
    await expectNoLeaks(() => ds.painting('mosaic-jewel', 1), 'painting');
    await expectNoLeaks(() => ds.sampleBatch(3, 2), 'sampleBatch');
    await expectNoLeaks(() => createSyntheticDataset({ size: 8, renderSize: 16 }).sampleBatch(3, 2), 'sampleBatch with crops');
    await expectNoLeaks(() => renderPhoto(1, 16), 'renderPhoto');
    const photo = renderPhoto(2, 16);
    await expectNoLeaks(() => paintWithClass(photo, 'grain-noir', 2), 'paintWithClass');
    photo.dispose();
  });

  it('rejects bad options with named errors', () => {
    expect(() => createSyntheticDataset({ size: 2 })).toThrow(/createSyntheticDataset: expected an integer size >= 4, received 2/);
    expect(() => createSyntheticDataset({ classes: [] })).toThrow(ValueError);
    expect(() => createSyntheticDataset({ size: 16, renderSize: 8 })).toThrow(
      /createSyntheticDataset: expected an integer renderSize >= size \(16\), received 8/,
    );
    expect(() => createSyntheticDataset({ classes: ['van-gogh'] })).toThrow(/createSyntheticDataset: expected a synthetic style class/);
    const ds = createSyntheticDataset({ size: 8 });
    expect(() => ds.photo(-1)).toThrow(/photo: expected index an integer >= 0/);
    expect(() => ds.painting('nope', 0)).toThrow(/painting: expected a synthetic style class/);
    expect(() => ds.sampleBatch(0, 0)).toThrow(/sampleBatch: expected batchSize an integer >= 1, received 0/);
    const bad = tf.zeros([4, 4, 1]) as tf.Tensor3D;
    expect(() => paintWithClass(bad, 'hatch-sepia')).toThrow(ShapeError);
    bad.dispose();
  });
});
