import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectNoLeaks, MICRO_MODEL } from '@tpfr/testing';
import { initBackend, ValueError } from '@tpfr/core';
import { stackPeers } from '@tpfr/layers';
import { TpfrModel } from '../model/model.js';
import { centerCrop, cropBorder, minMaxStretch, reflectPad, resizeShorterSide } from '../pipeline/index.js';
import type { StylizeOptions } from './options.js';
import { stylize } from './stylize.js';

let model: TpfrModel;

beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrModel.create(MICRO_MODEL);
});
afterAll(() => model.dispose());

/** A seeded 8-bit image (int32 levels). */
const image = (shape: number[], seed: number) =>
  tf.tidy(() => tf.cast(tf.round(tf.randomUniform(shape, 0, 255, 'float32', seed)), 'int32'));
/** torchvision's ToTensor + Normalize(0.5, 0.5) of 8-bit levels. */
const normalize = (levels: tf.Tensor) => tf.div(tf.sub(tf.div(tf.cast(levels, 'float32'), 255), 0.5), 0.5);
const prepareByHand = <T extends tf.Tensor3D | tf.Tensor4D>(levels: T, size: number, crop: number | [number, number] | false = size): T =>
  tf.tidy(() => {
    const resized = resizeShorterSide(levels, size);
    return normalize(crop === false ? resized : centerCrop(resized, crop)) as T;
  });
const stretched = (raw: tf.Tensor3D | tf.Tensor4D, pad: number) =>
  tf.tidy(() => tf.cast(minMaxStretch(cropBorder(raw, pad), { unitInterval: 'imageio' }), 'float32'));
const values = (t: tf.Tensor) => Array.from(t.dataSync());
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** The network by hand on model-range images whose sides are multiples of 4: encode, recombine with the whole pool, decode, clip. */
function networkByHand(
  content: tf.Tensor4D,
  pool: tf.Tensor4D,
  opts: { stages?: 'two-stage' | 'style-only'; k?: number } = {},
): tf.Tensor4D {
  return tf.tidy(() => {
    const z = model.encode(content);
    const e = model.encode(pool);
    const b = content.shape[0];
    const r = model.recombine(z, { content: stackPeers(e.content, b), style: stackPeers(e.style, b) }, opts);
    return tf.clipByValue(model.decode(r), -1, 1) as tf.Tensor4D;
  });
}

it('rejects every malformed pipeline option with the option, what it must be and what it got', () => {
  const content = image([40, 40, 3], 1) as tf.Tensor3D;
  const style = image([40, 40, 3], 2) as tf.Tensor3D;
  const bad: Array<[unknown, RegExp]> = [
    [null, /stylize: expected pipeline an object \{ size\?, crop\?, pad\?, stretch\? \}, received null/],
    [7, /stylize: expected pipeline an object \{ size\?, crop\?, pad\?, stretch\? \}, received 7/],
    [{ size: '40' }, /stylize: expected pipeline.size a positive integer, received 40/],
    [{ size: -3 }, /stylize: expected pipeline.size a positive integer, received -3/],
    [{ size: 40, crop: 0 }, /stylize: expected pipeline.crop a boolean, a positive integer or \[height, width\], received 0/],
    [{ size: 40, crop: 2.5 }, /pipeline.crop a boolean, a positive integer or \[height, width\], received 2.5/],
    [{ size: 40, crop: [0, 5] }, /pipeline.crop a boolean, a positive integer or \[height, width\], received \[0,5\]/],
    [{ size: 40, crop: [5, 1.5] }, /received \[5,1.5\]/],
    [{ size: 40, crop: [5, 5, 5] }, /received \[5,5,5\]/],
    [{ crop: 'middle' }, /pipeline.crop a boolean, a positive integer or \[height, width\], received "middle"/],
    [{ crop: {} }, /pipeline.crop a boolean, a positive integer or \[height, width\], received \{\}/],
    [{ crop: 'hw' }, /pipeline.crop a boolean, a positive integer or \[height, width\], received "hw"/],
    [
      { crop: { 0: 4, 1: 4, length: 2 } },
      /pipeline.crop a boolean, a positive integer or \[height, width\], received \{"0":4,"1":4,"length":2\}/,
    ],
    [{ size: 40, pad: 1.5 }, /stylize: expected pipeline.pad 'authors' or an integer >= 0, received 1.5/],
    [{ pad: 'none' }, /stylize: expected pipeline.pad 'authors' or an integer >= 0, received "none"/],
    [{ pad: 'authors' }, /stylize: expected pipeline.pad 'authors' only with pipeline.size, received 'authors' without a size/],
    [{ crop: true }, /stylize: expected pipeline.crop true only with pipeline.size \(or a crop size\), received no size/],
    [{ size: 40, stretch: 1 }, /stylize: expected pipeline.stretch a boolean, received 1/],
    [{ size: 40, styleSize: 0 }, /stylize: expected pipeline.styleSize a positive integer, with pipeline.size, received 0/],
    [{ size: 40, styleSize: 32.5 }, /pipeline.styleSize a positive integer, with pipeline.size, received 32.5/],
    [{ pad: 2, styleSize: 32 }, /pipeline.styleSize a positive integer, with pipeline.size, received 32/],
  ];
  for (const [pipeline, message] of bad) {
    const run = () => stylize(model, content, style, { pipeline } as StylizeOptions);
    expect(run, JSON.stringify(pipeline)).toThrow(ValueError);
    expect(run, JSON.stringify(pipeline)).toThrow(message);
  }
  // Sizes of 1 are valid options; the network then refuses the 1-pixel images (content, then exemplars).
  const tooSmall: Array<[object, RegExp]> = [
    [{ size: 1 }, /stylize: expected images of at least 32×32 pixels for this network, received 1×1/],
    [{ size: 40, crop: 1 }, /received 1×1/],
    [{ size: 40, crop: [1, 40] }, /received 1×40/],
    [{ size: 40, crop: [40, 1] }, /received 40×1/],
    [{ size: 40, styleSize: 1 }, /stylize: expected images of at least 32×32 pixels for this network, received 1×1/],
  ];
  for (const [pipeline, message] of tooSmall)
    expect(() => stylize(model, content, style, { pipeline }), JSON.stringify(pipeline)).toThrow(message);
  tf.dispose([content, style]);
});

it('styleSize resizes and crops the exemplars to their own size; an explicit crop applies to both, crop false to neither', async () => {
  const content = image([50, 44, 3], 3) as tf.Tensor3D;
  const style = image([45, 60, 3], 4) as tf.Tensor3D;
  const S = 36;
  // Default crop: content S × S, exemplars styleSize × styleSize.
  const want = tf.tidy(() =>
    stretched(stylize(model, reflectPad(prepareByHand(content, S), 2), prepareByHand(style, 32), { range: '-1-1' }), 2),
  );
  const got = stylize(model, content, style, { pipeline: { size: S, pad: 2, styleSize: 32 } });
  expect(got.shape).toEqual([S, S, 3]);
  expect(values(got)).toEqual(values(want));
  // An explicit crop equal to S is the default one.
  const same = stylize(model, content, style, { pipeline: { size: S, crop: S, pad: 2, styleSize: 32 } });
  expect(values(same)).toEqual(values(want));
  // Without styleSize the exemplars go to S: another result.
  const atS = stylize(model, content, style, { pipeline: { size: S, pad: 2 } });
  expect(maxDiff(atS, got)).toBeGreaterThan(0.5);
  // A crop [h, w] crops the exemplars too, after their own resize (shorter side 40: 40×53).
  const wantRect = tf.tidy(() =>
    stretched(stylize(model, reflectPad(prepareByHand(content, S, [32, 36]), 2), prepareByHand(style, 40, [32, 36]), { range: '-1-1' }), 2),
  );
  const rect = stylize(model, content, style, { pipeline: { size: S, crop: [32, 36], pad: 2, styleSize: 40 } });
  expect(rect.shape).toEqual([32, 36, 3]);
  expect(values(rect)).toEqual(values(wantRect));
  // crop false: both only resized (content 40×36, exemplar 33×44).
  const wantWhole = tf.tidy(() =>
    stretched(stylize(model, prepareByHand(content, S, false), prepareByHand(style, 33, false), { range: '-1-1' }), 0),
  );
  const whole = stylize(model, content, style, { pipeline: { size: S, crop: false, pad: 0, styleSize: 33 } });
  expect(whole.shape).toEqual([40, 36, 3]);
  expect(values(whole)).toEqual(values(wantWhole));
  await expectNoLeaks(() => stylize(model, content, style, { pipeline: { size: S, styleSize: 32 } }), 'stylize with styleSize');
  tf.dispose([content, style, want, got, same, atS, wantRect, rect, wantWhole, whole]);
});

it('a crop without a size centre-crops content and exemplars as they are (no 8-bit rounding), no pad by default', () => {
  // Non-integer 0–255 values: a resize step would round them to levels first.
  const content = tf.randomUniform([1, 41, 47, 3], 0, 255, 'float32', 5) as tf.Tensor4D;
  const style = tf.randomUniform([38, 45, 3], 0, 255, 'float32', 6) as tf.Tensor3D;
  const toUnit = (x: tf.Tensor) => tf.sub(tf.div(x, 127.5), 1);
  const want = tf.tidy(() => {
    const raw = stylize(model, centerCrop(toUnit(content) as tf.Tensor4D, [36, 40]), centerCrop(toUnit(style) as tf.Tensor3D, [36, 40]), {
      range: '-1-1',
    });
    return stretched(raw, 0);
  });
  const got = stylize(model, content, style, { pipeline: { crop: [36, 40] } });
  expect(got.shape).toEqual([1, 36, 40, 3]);
  expect(values(got)).toEqual(values(want));
  // No stretch, content in −1…1: the clipped network output, same rank as the content.
  const unit = tf.tidy(() => toUnit(tf.squeeze(content, [0])) as tf.Tensor3D);
  const plain = stylize(model, unit, style, { pipeline: { crop: 36, stretch: false } });
  const wantPlain = tf.tidy(() => stylize(model, centerCrop(unit, 36), centerCrop(toUnit(style) as tf.Tensor3D, 36), { range: '-1-1' }));
  expect(plain.shape).toEqual([36, 36, 3]);
  expect(values(plain)).toEqual(values(wantPlain));
  expect(Math.min(...values(plain))).toBeGreaterThanOrEqual(-1);
  tf.dispose([content, style, want, got, unit, plain, wantPlain]);
});

it('exemplars of other sizes are resized (bilinear, corners aligned) to the first one; stages and k reach the recombination', () => {
  const content = tf.randomUniform([1, 32, 36, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const a = tf.randomUniform([32, 40, 3], -1, 1, 'float32', 8) as tf.Tensor3D;
  const taller = tf.randomUniform([44, 40, 3], -1, 1, 'float32', 9) as tf.Tensor3D;
  const wider = tf.randomUniform([32, 52, 3], -1, 1, 'float32', 10) as tf.Tensor3D;
  const pool = (...xs: tf.Tensor3D[]) =>
    tf.stack(xs.map((x) => (x.shape[0] === 32 && x.shape[1] === 40 ? x : tf.image.resizeBilinear(x, [32, 40], true)))) as tf.Tensor4D;
  for (const [name, other] of [
    ['taller', taller],
    ['wider', wider],
  ] as const) {
    const got = stylize(model, content, [a, other], { range: '-1-1' });
    const want = networkByHand(content, pool(a, other));
    expect(got.shape, name).toEqual([1, 32, 36, 3]);
    expect(maxDiff(got, want), name).toBeLessThan(1e-5);
    // Without aligned corners the pool, and the result, differ.
    const unaligned = tf.tidy(() => networkByHand(content, tf.stack([a, tf.image.resizeBilinear(other, [32, 40], false)]) as tf.Tensor4D));
    expect(maxDiff(want, unaligned), name).toBeGreaterThan(1e-3);
    tf.dispose([got, want, unaligned]);
  }
  // A stacked pool [P, h, w, 3] is the same as the list.
  const stacked = tf.stack([a, a]) as tf.Tensor4D;
  const fromStack = stylize(model, content, stacked, { range: '-1-1' });
  const twice = networkByHand(content, stacked);
  expect(maxDiff(fromStack, twice)).toBeLessThan(1e-5);
  // k and stages go to the recombination.
  for (const opts of [{ k: 1 }, { stages: 'style-only' as const }, { stages: 'style-only' as const, k: 2 }]) {
    const got = stylize(model, content, [a, wider], { range: '-1-1', ...opts });
    const want = networkByHand(content, pool(a, wider), opts);
    const byDefault = networkByHand(content, pool(a, wider));
    expect(maxDiff(got, want), JSON.stringify(opts)).toBeLessThan(1e-5);
    expect(maxDiff(got, byDefault), JSON.stringify(opts)).toBeGreaterThan(1e-3);
    tf.dispose([got, want, byDefault]);
  }
  tf.dispose([content, a, taller, wider, stacked, fromStack, twice]);
});

it("an explicit range applies to content and exemplars alike, even where 'auto' would guess the other", () => {
  // A dark exemplar on the 0–255 scale (all values ≤ 1) and a content image of 0–255 levels.
  const content = tf.randomUniform([32, 32, 3], 0, 255, 'float32', 11) as tf.Tensor3D;
  const dark = tf.randomUniform([32, 32, 3], 0, 1, 'float32', 12) as tf.Tensor3D;
  const toUnit = (x: tf.Tensor) => tf.sub(tf.div(x, 127.5), 1) as tf.Tensor3D;
  const got = stylize(model, content, dark, { range: '0-255' });
  const want = tf.tidy(() =>
    tf.clipByValue(tf.mul(tf.add(stylize(model, toUnit(content), toUnit(dark), { range: '-1-1' }), 1), 127.5), 0, 255),
  );
  expect(maxDiff(got, want)).toBeLessThan(1e-3);
  // 'auto' takes the dark exemplar as −1…1: another pool, another image.
  const guessed = stylize(model, content, dark);
  expect(maxDiff(got, guessed)).toBeGreaterThan(0.5);
  // The dark image as content: the result comes back on the 0–255 scale, not clipped to [−1, 1].
  const darkContent = stylize(model, dark, content, { range: '0-255' });
  const wantDark = tf.tidy(() =>
    tf.clipByValue(tf.mul(tf.add(stylize(model, toUnit(dark), toUnit(content), { range: '-1-1' }), 1), 127.5), 0, 255),
  );
  expect(maxDiff(darkContent, wantDark)).toBeLessThan(1e-3);
  expect(Math.max(...values(darkContent))).toBeGreaterThan(1);
  tf.dispose([content, dark, got, want, guessed, darkContent, wantDark]);
});
