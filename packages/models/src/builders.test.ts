import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { expectNoLeaks } from '@tpfr/core/testing';
import { initBackend } from '@tpfr/core';
import { createDecoder, createDiscriminator, createEncoder, latentWidths, PRESETS, resolveConfig, TpfrModel } from '@tpfr/models';

it('resolves presets and partial configurations, and rejects bad ones', () => {
  expect(resolveConfig('paper')).toEqual(PRESETS.paper);
  expect(resolveConfig({ preset: 'tiny', ngf: 4 }).ngf).toBe(4);
  expect(latentWidths(PRESETS.paper)).toEqual({ content: 256, style: 512, middle: 128, multiple: 4, minSide: 32 });
  expect(() => resolveConfig({ ngf: 0 })).toThrow(/resolveConfig: expected ngf to be a positive integer, received 0/);
  expect(() => resolveConfig('huge' as 'tiny')).toThrow(/resolveConfig: expected a preset/);
  expect(() => resolveConfig({ norm: 'batch' as 'none' })).toThrow(/norm/);
});

it('builds encoder, decoders and discriminator with the documented shapes', async () => {
  await initBackend('cpu');
  const cfg = resolveConfig('tiny');
  const enc = createEncoder(cfg);
  const dec = createDecoder(cfg);
  const disc = createDiscriminator(cfg);
  const x = tf.randomUniform([2, 40, 36, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  await expectNoLeaks(() => {
    const [content, style, middle] = enc.predict(x) as tf.Tensor[];
    expect(content.shape).toEqual([2, 10, 9, 32]);
    expect(style.shape).toEqual([2, 10, 9, 64]);
    expect(middle.shape).toEqual([2, 20, 18, 16]);
    // The global half of the style code is constant over space.
    const spread = tf.tidy(() => {
      const glob = tf.slice(style, [0, 0, 0, 0], [1, -1, -1, 32]);
      return tf.sub(tf.max(glob, [1, 2]), tf.min(glob, [1, 2])).dataSync();
    });
    expect(spread.every((v) => Math.abs(v) < 1e-5)).toBe(true);
    const latent = tf.concat([content, style], -1);
    const image = dec.predict(latent) as tf.Tensor;
    expect(image.shape).toEqual([2, 40, 36, 3]);
    const scores = disc.predict([x, x]) as tf.Tensor;
    expect(scores.shape).toEqual([2, 10, 9, 1]);
    return [content, style, middle, latent, image, scores];
  });
  expect(enc.outputs.map((o) => o.shape)).toEqual([[null, null, null, 32], [null, null, null, 64], [null, null, null, 16]]);
  tf.dispose(x);
  [enc, dec, disc].forEach((m) => m.dispose());
});

it("the 'paper' generator has the authors' 25.5 M parameters (within 1%)", async () => {
  await initBackend('cpu');
  const model = TpfrModel.create('paper');
  const count = model.generatorParameterCount();
  expect(Math.abs(count - 25.5e6) / 25.5e6).toBeLessThan(0.01);
  model.dispose();
});
