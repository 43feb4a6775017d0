import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { stackPeers } from '@tpfr/layers';
import { stylize } from '@tpfr/models';
import { TpfrTrainer } from '@tpfr/models/train';
import { MICRO_MODEL } from '@tpfr/testing';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

it('stylize of odd sizes equals the network on the image reflect-padded at the bottom and right, cropped back', async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 5);
  const content = tf.randomUniform([1, 37, 45, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const styles = [tf.randomUniform([33, 41, 3], -1, 1, 'float32', 2), tf.randomUniform([33, 41, 3], -1, 1, 'float32', 3)] as tf.Tensor3D[];
  const got = stylize(model, content, styles, { range: '-1-1' });
  const want = tf.tidy(() => {
    // By hand: pad 37×45 to 40×48 and each 33×41 exemplar to 36×44, mirrored at the bottom and right.
    const pad = (x: tf.Tensor4D, h: number, w: number) =>
      tf.mirrorPad(
        x,
        [
          [0, 0],
          [0, h],
          [0, w],
          [0, 0],
        ],
        'reflect',
      ) as tf.Tensor4D;
    const z = model.encode(pad(content, 3, 3));
    const e = model.encode(pad(tf.stack(styles) as tf.Tensor4D, 3, 3));
    const r = model.recombine(z, { content: stackPeers(e.content, 1), style: stackPeers(e.style, 1) });
    const image = model.decode(r);
    return tf.clipByValue(tf.slice(image, [0, 0, 0, 0], [1, 37, 45, 3]), -1, 1);
  });
  expect(got.shape).toEqual([1, 37, 45, 3]);
  expect(maxDiff(got, want)).toBeLessThan(1e-5);
  // Padding at the top and left instead is measurably something else.
  const wrongSide = tf.tidy(() => {
    const z = model.encode(
      tf.mirrorPad(
        content,
        [
          [0, 0],
          [3, 0],
          [3, 0],
          [0, 0],
        ],
        'reflect',
      ) as tf.Tensor4D,
    );
    const e = model.encode(
      tf.mirrorPad(
        tf.stack(styles) as tf.Tensor4D,
        [
          [0, 0],
          [0, 3],
          [0, 3],
          [0, 0],
        ],
        'reflect',
      ) as tf.Tensor4D,
    );
    const image = model.decode(model.recombine(z, { content: stackPeers(e.content, 1), style: stackPeers(e.style, 1) }));
    return tf.clipByValue(tf.slice(image, [0, 3, 3, 0], [1, 37, 45, 3]), -1, 1);
  });
  expect(maxDiff(got, wrongSide)).toBeGreaterThan(1e-3);
  tf.dispose([content, ...styles, got, want, wrongSide]);
  model.dispose();
});

it('a batch of two with two exemplars equals each sample stylized alone (the pool repeated per sample)', async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 6);
  const batch = tf.randomUniform([2, 36, 40, 3], 0, 255, 'float32', 4) as tf.Tensor4D;
  const styles = [
    tf.randomUniform([32, 32, 3], 0, 255, 'float32', 5),
    tf.randomUniform([32, 32, 3], 0, 255, 'float32', 6),
  ] as tf.Tensor3D[];
  const both = stylize(model, batch, styles);
  for (let i = 0; i < 2; i++) {
    const one = tf.tidy(() => stylize(model, tf.squeeze(tf.slice(batch, [i], [1]), [0]) as tf.Tensor3D, styles));
    const fromBatch = tf.tidy(() => tf.squeeze(tf.slice(both, [i], [1]), [0]));
    expect(maxDiff(one, fromBatch), `sample ${i}`).toBeLessThan(1e-3); // 0–255 scale
    tf.dispose([one, fromBatch]);
  }
  // And the two exemplars both count: with the second alone the result differs.
  const firstOnly = stylize(model, batch, styles[0]);
  expect(maxDiff(both, firstOnly)).toBeGreaterThan(0.5);
  tf.dispose([batch, ...styles, both, firstOnly]);
  model.dispose();
});
