import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { toHostMap } from '../inference/host-map.js';
import { codesAtStrength, mixCodes } from './mix.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const codes = (seed: number) => ({
  content: tf.randomNormal([2, 6, 5, 4], 0, 1, 'float32', seed) as tf.Tensor4D,
  style: tf.randomNormal([2, 6, 5, 8], 0, 1, 'float32', seed + 1) as tf.Tensor4D,
});
const host = (z: { content: tf.Tensor4D; style: tf.Tensor4D }) => ({ content: toHostMap(z.content), style: toHostMap(z.style) });
const same = (a: tf.Tensor, b: tf.Tensor) => Array.from(a.dataSync()).every((v, i) => v === b.dataSync()[i]);

it('mixing by one weight of 1 gives that set exactly, per set or per pixel, on the backend or in JS memory', () => {
  tf.tidy(() => {
    const [a, b] = [codes(1), codes(3)];
    const one = mixCodes([a, b], [0, 1], 6);
    expect(same(one.content as tf.Tensor, b.content) && same(one.style as tf.Tensor, b.style)).toBe(true);
    const perPixel = tf.stack([tf.zeros([6, 5, 1]), tf.ones([6, 5, 1])]) as tf.Tensor4D;
    const fromHost = mixCodes([host(a), host(b)], perPixel, 2);
    const t = tf.tensor(fromHost.content.data as Float32Array, fromHost.content.shape);
    expect(same(t, b.content)).toBe(true);
  });
});

it('mixes linearly, band by band as whole', () => {
  tf.tidy(() => {
    const [a, b] = [codes(5), codes(7)];
    const whole = mixCodes([a, b], [0.25, 0.75], 6);
    const banded = mixCodes([host(a), host(b)], [0.25, 0.75], 4);
    const want = tf.add(tf.mul(a.style, 0.25), tf.mul(b.style, 0.75));
    expect(tf.max(tf.abs(tf.sub(whole.style as tf.Tensor, want))).dataSync()[0]).toBeLessThan(1e-6);
    expect(same(tf.tensor(banded.style.data as Float32Array, banded.style.shape), whole.style as tf.Tensor)).toBe(true);
  });
});

it('strength 0 gives the own codes, strength 1 the recombined ones, and moves monotonically between', () => {
  tf.tidy(() => {
    const [own, rec] = [codes(9), codes(11)];
    expect(same(codesAtStrength(own, rec, 0, 6).content as tf.Tensor, own.content)).toBe(true);
    let last = -1;
    for (const s of [0.1, 0.3, 0.5, 0.9, 1]) {
      const z = codesAtStrength(own, rec, s, 6).style as tf.Tensor;
      const d = tf.norm(tf.sub(z, own.style)).dataSync()[0];
      expect(d).toBeGreaterThan(last);
      last = d;
    }
    expect(tf.max(tf.abs(tf.sub(codesAtStrength(own, rec, 1, 6).style as tf.Tensor, rec.style))).dataSync()[0]).toBeLessThan(1e-6);
  });
});
