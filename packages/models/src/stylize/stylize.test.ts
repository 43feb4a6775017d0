import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectNoLeaks } from '@tpfr/testing';
import { initBackend, ValueError } from '@tpfr/core';
import { TpfrModel } from '../model/model.js';
import { centerCrop, cropBorder, minMaxStretch, reflectPad, resizeShorterSide } from '../pipeline/index.js';
import { stylize } from './stylize.js';

let model: TpfrModel;

beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrModel.create({ preset: 'tiny', ngf: 4 });
});
afterAll(() => model.dispose());

/** A seeded 8-bit image (int32 levels) with some structure, so that resizing matters. */
function image(shape: number[], seed: number): tf.Tensor {
  return tf.tidy(() => {
    const noise = tf.randomUniform(shape, 0, 255, 'float32', seed);
    return tf.cast(tf.round(noise), 'int32');
  });
}

/** torchvision's ToTensor + Normalize(0.5, 0.5) of 8-bit levels. */
const normalize = (levels: tf.Tensor) => tf.div(tf.sub(tf.div(tf.cast(levels, 'float32'), 255), 0.5), 0.5);

/** The authors' input step, composed by hand: resize the shorter side, centre crop, normalize. */
function prepareByHand<T extends tf.Tensor3D | tf.Tensor4D>(levels: T, size: number, crop: number | [number, number] = size): T {
  return tf.tidy(() => normalize(centerCrop(resizeShorterSide(levels, size), crop)) as T);
}

it("equals the authors' steps composed by hand: resize + crop, content pad, network, crop back, stretch", async () => {
  const content = image([70, 53, 3], 1) as tf.Tensor3D;
  const styles = [image([45, 60, 3], 2) as tf.Tensor3D, image([64, 48, 3], 3) as tf.Tensor3D];
  const S = 40;
  const pad = 4;
  const want = tf.tidy(() => {
    const input = reflectPad(prepareByHand(content, S), pad);
    const raw = stylize(
      model,
      input,
      styles.map((s) => prepareByHand(s, S)),
      { range: '-1-1' },
    ) as tf.Tensor3D;
    return tf.cast(minMaxStretch(cropBorder(raw, pad), { unitInterval: 'imageio' }), 'float32');
  });
  const before = tf.memory().numTensors;
  const got = stylize(model, content, styles, { pipeline: { size: S, pad } });
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(got.shape).toEqual([S, S, 3]);
  expect(got.dtype).toBe('float32');
  const v = Array.from(got.dataSync());
  expect(v).toEqual(Array.from(want.dataSync()));
  // Whole levels, the image's extremes at 0 and 255.
  expect(v.every((x) => Number.isInteger(x))).toBe(true);
  expect([Math.min(...v), Math.max(...v)]).toEqual([0, 255]);
  await expectNoLeaks(() => stylize(model, content, styles, { pipeline: { size: S, pad } }), 'stylize with a pipeline');
  // The same content in −1…1 gives the same levels, as level / 127.5 − 1.
  const unit = tf.tidy(() => tf.sub(tf.div(tf.cast(content, 'float32'), 127.5), 1) as tf.Tensor3D);
  const inUnit = stylize(model, unit, styles, { pipeline: { size: S, pad } });
  const back = tf.tidy(() => tf.round(tf.mul(tf.add(inUnit, 1), 127.5)));
  expect(Array.from(back.dataSync())).toEqual(v);
  tf.dispose([content, ...styles, want, got, unit, inUnit, back]);
});

it("at S = 256 (test.py's smallest pad) pads the authors' 8·⌊S/256⌋ by default", async () => {
  const content = image([300, 256, 3], 4) as tf.Tensor3D;
  const style = image([256, 320, 3], 5) as tf.Tensor3D;
  const want = tf.tidy(() => {
    const raw = stylize(model, reflectPad(prepareByHand(content, 256), 8), prepareByHand(style, 256), { range: '-1-1' }) as tf.Tensor3D;
    return tf.cast(minMaxStretch(cropBorder(raw, 8), { unitInterval: 'imageio' }), 'float32');
  });
  const got = stylize(model, content, style, { pipeline: { size: 256 } });
  expect(got.shape).toEqual([256, 256, 3]);
  expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
  tf.dispose([content, style, want, got]);
});

it('runs batches, other crops, no stretch, and a pad without resize', async () => {
  const batch = image([2, 50, 61, 3], 6) as tf.Tensor4D;
  const style = image([2, 47, 47, 3], 7) as tf.Tensor4D;
  // Crop [36, 44] of the batch resized to shorter side 44, no stretch: the plain 0–255 mapping.
  const want = tf.tidy(() => {
    const raw = stylize(model, reflectPad(prepareByHand(batch, 44, [36, 44]), 2), prepareByHand(style, 44, [36, 44]), {
      range: '-1-1',
    }) as tf.Tensor4D;
    return tf.clipByValue(tf.mul(tf.add(cropBorder(raw, 2), 1), 127.5), 0, 255);
  });
  const got = stylize(model, batch, style, { pipeline: { size: 44, crop: [36, 44], pad: 2, stretch: false } });
  expect(got.shape).toEqual([2, 36, 44, 3]);
  expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
  // No crop: the shorter side only (50×61 → 44×53).
  const whole = stylize(model, batch, style, { pipeline: { size: 44, crop: false, pad: 0 } });
  expect(whole.shape).toEqual([2, 44, 53, 3]);
  // Every image of the batch is stretched on its own.
  const w = whole.dataSync();
  const per = 44 * 53 * 3;
  for (const n of [0, 1]) {
    const part = Array.from(w.subarray(n * per, (n + 1) * per));
    expect([Math.min(...part), Math.max(...part)]).toEqual([0, 255]);
  }
  // A pad without a size: no resize, the pad cropped off, the stretch.
  const padOnly = stylize(model, batch, style, { pipeline: { pad: 3 } });
  const wantPadOnly = tf.tidy(() => {
    const raw = stylize(model, reflectPad(normalize(batch) as tf.Tensor4D, 3), normalize(style) as tf.Tensor4D, {
      range: '-1-1',
    }) as tf.Tensor4D;
    return tf.cast(minMaxStretch(cropBorder(raw, 3), { unitInterval: 'imageio' }), 'float32');
  });
  expect(padOnly.shape).toEqual([2, 50, 61, 3]);
  expect(Array.from(padOnly.dataSync())).toEqual(Array.from(wantPadOnly.dataSync()));
  tf.dispose([batch, style, want, got, whole, padOnly, wantPadOnly]);
});

it('rejects bad pipeline options and leaves no tensors behind on errors', async () => {
  const content = image([40, 40, 3], 8) as tf.Tensor3D;
  const style = image([40, 40, 3], 9) as tf.Tensor3D;
  const bad: Array<[object, RegExp]> = [
    [{ size: 0 }, /stylize: expected pipeline.size a positive integer, received 0/],
    [{ size: 40.5 }, /pipeline.size a positive integer/],
    [{ size: 40, pad: -1 }, /stylize: expected pipeline.pad 'authors' or an integer >= 0, received -1/],
    [{ pad: 'authors' }, /stylize: expected pipeline.pad 'authors' only with pipeline.size/],
    [{ crop: true }, /stylize: expected pipeline.crop true only with pipeline.size/],
    [{ size: 40, crop: [3] }, /stylize: expected pipeline.crop a boolean, a positive integer or \[height, width\], received \[3\]/],
    [{ size: 40, stretch: 'yes' }, /stylize: expected pipeline.stretch a boolean, received yes/],
  ];
  for (const [pipeline, message] of bad) {
    expect(() => stylize(model, content, style, { pipeline })).toThrow(ValueError);
    expect(() => stylize(model, content, style, { pipeline })).toThrow(message);
  }
  // Errors of the steps name the step; nothing is kept.
  await expectNoLeaks(() => {
    expect(() => stylize(model, content, style, { pipeline: { size: 40, crop: 41 } })).toThrow(
      /centerCrop: expected a crop no larger than the image \(40×40\), received 41×41/,
    );
    expect(() => stylize(model, content, style, { pipeline: { size: 40, pad: 40 } })).toThrow(/reflectPad: expected pad <= 39/);
    expect(() => stylize(model, content, style, { pipeline: { size: 16 } })).toThrow(/stylize: expected images of at least 32×32 pixels/);
  }, 'stylize errors');
  tf.dispose([content, style]);
});
