import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { expectNoLeaks } from '@tpfr/testing';
import { initBackend } from '@tpfr/core';
import { createDecoder, createDiscriminator, createEncoder, latentWidths, PRESETS, resolveConfig, TpfrModel } from '@tpfr/models';

it('resolves presets and partial configurations, and rejects bad ones', async () => {
  await initBackend('cpu');
  expect(resolveConfig('paper')).toEqual(PRESETS.paper);
  expect(resolveConfig({ preset: 'tiny', ngf: 4 }).ngf).toBe(4);
  expect(latentWidths(PRESETS.paper)).toEqual({ content: 256, style: 512, middle: 128, multiple: 4, minSide: 32 });
  expect(() => resolveConfig({ ngf: 0 })).toThrow(/resolveConfig: expected ngf to be a positive integer, received 0/);
  expect(() => resolveConfig('huge' as 'tiny')).toThrow(/resolveConfig: expected a preset/);
  expect(() => resolveConfig({ norm: 'batch' as 'none' })).toThrow(/norm/);
  expect(resolveConfig('paper').upsampling).toBe('transposed');
  // The decoders' and the global branch's normalization follow `norm` unless given.
  expect(resolveConfig({ norm: 'none' })).toMatchObject({ decoderNorm: 'none', globalStyleNorm: false });
  // Without instance norm the global branch needs no 8×8 latent.
  expect(latentWidths(resolveConfig({ norm: 'none' })).minSide).toBe(4);
  expect(resolveConfig({ norm: 'instance', decoderNorm: 'none', globalStyleNorm: false })).toMatchObject({
    norm: 'instance',
    decoderNorm: 'none',
    globalStyleNorm: false,
  });
  expect(() => resolveConfig({ decoderNorm: 'layer' as 'none' })).toThrow(/decoderNorm/);
  expect(() => resolveConfig({ metric: 'manhattan' as 'cosine' })).toThrow(
    /resolveConfig: expected metric 'euclidean' or 'cosine', received manhattan/,
  );
  const cosine = TpfrModel.create({ preset: 'tiny', metric: 'cosine' });
  expect(cosine.recombinationLayer.metric).toBe('cosine');
  cosine.dispose();
  expect(() => resolveConfig({ upsampling: 'bilinear' as 'nearest' })).toThrow(
    /resolveConfig: expected upsampling 'transposed' or 'nearest', received bilinear/,
  );
});

it("decoders with upsampling: 'nearest' keep the shapes and have no transposed convolution; decoderNorm drops their norms", async () => {
  await initBackend('cpu');
  const cfg = resolveConfig({ preset: 'tiny', upsampling: 'nearest' });
  const dec = createDecoder(cfg);
  expect(dec.layers.some((l) => l.getClassName() === 'Conv2DTranspose')).toBe(false);
  expect(dec.layers.filter((l) => l.getClassName() === 'UpSampling2D')).toHaveLength(cfg.downsamplings);
  const latent = tf.randomNormal([1, 5, 7, 96], 0, 1, 'float32', 2) as tf.Tensor4D;
  await expectNoLeaks(() => {
    const image = dec.predict(latent) as tf.Tensor;
    expect(image.shape).toEqual([1, 20, 28, 3]);
    return [image];
  });
  latent.dispose();
  dec.dispose();
  const isNorm = (l: { getClassName(): string }) => l.getClassName() === 'TpfrInstanceNormalization';
  const plain = createDecoder(resolveConfig({ preset: 'tiny', decoderNorm: 'none' }));
  const normed = createDecoder(resolveConfig('tiny'));
  expect(plain.layers.some(isNorm)).toBe(false);
  expect(normed.layers.filter(isNorm)).toHaveLength(1 + cfg.downsamplings);
  [plain, normed].forEach((m) => m.dispose());
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
  expect(enc.outputs.map((o) => o.shape)).toEqual([
    [null, null, null, 32],
    [null, null, null, 64],
    [null, null, null, 16],
  ]);
  tf.dispose(x);
  [enc, dec, disc].forEach((m) => m.dispose());
});

it("the 'paper' generator has the authors' 25,519,580 parameters (their count: BatchNorm statistics are buffers)", async () => {
  await initBackend('cpu');
  const model = TpfrModel.create('paper');
  expect(model.generatorParameterCount()).toBe(25_519_580);
  model.dispose();
});

it("downsamplePadding 'symmetric' pads the stride-2 convolutions one pixel on every side (PyTorch's padding=1); 'same' stays tfjs' own", async () => {
  await initBackend('cpu');
  const cfg = resolveConfig({ preset: 'tiny', ngf: 2, residualBlocks: 0, norm: 'none', globalStyle: false });
  expect(cfg.downsamplePadding).toBe('same');
  const same = createEncoder(cfg);
  const sym = createEncoder({ ...cfg, downsamplePadding: 'symmetric' });
  // The same weights, by name: the padding adds no weight.
  const names = (m: typeof same) => m.weights.map((w) => w.name.replace(/_\d+$/, ''));
  expect(names(sym)).toEqual(names(same));
  sym.setWeights(same.getWeights());
  const x = tf.randomUniform([1, 12, 10, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  const [, , mSame] = same.predict(x) as tf.Tensor4D[];
  const [, , mSym] = sym.predict(x) as tf.Tensor4D[];
  expect(mSym.shape).toEqual(mSame.shape);
  // Reference: the stem, then conv(zero-pad 1 on every side, valid, stride 2) + ReLU by hand.
  const stem = tf.tidy(() => {
    const inner = tf.relu(
      tf.add(
        tf.conv2d(
          tf.mirrorPad(
            x,
            [
              [0, 0],
              [3, 3],
              [3, 3],
              [0, 0],
            ],
            'reflect',
          ),
          same.getLayer('encoder_stem_conv').getWeights()[0] as tf.Tensor4D,
          1,
          'valid',
        ),
        same.getLayer('encoder_stem_conv').getWeights()[1],
      ),
    );
    const [k, b] = same.getLayer('encoder_down1_conv').getWeights();
    return {
      sym: tf.relu(
        tf.add(
          tf.conv2d(
            tf.pad(inner as tf.Tensor4D, [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ]),
            k as tf.Tensor4D,
            2,
            'valid',
          ),
          b,
        ),
      ),
      same: tf.relu(tf.add(tf.conv2d(inner as tf.Tensor4D, k as tf.Tensor4D, 2, 'same'), b)),
    };
  });
  const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  expect(diff(mSym, stem.sym)).toBeLessThan(1e-5);
  expect(diff(mSame, stem.same)).toBeLessThan(1e-5);
  expect(diff(mSym, mSame)).toBeGreaterThan(1e-3);
  tf.dispose([x, mSame, mSym, stem.sym, stem.same]);
  [same, sym].forEach((m) => m.dispose());
});

it('configurations saved before downsamplePadding and ties resolve to the old behaviour', async () => {
  await initBackend('cpu');
  const { downsamplePadding: _p, ties: _t, ...old } = PRESETS.paper;
  expect(resolveConfig(old)).toMatchObject({ downsamplePadding: 'same', ties: 'exactly-k' });
  expect(() => resolveConfig({ ties: 'all' as 'include' })).toThrow(/resolveConfig: expected ties 'exactly-k' or 'include', received all/);
  expect(() => resolveConfig({ downsamplePadding: 'valid' as 'same' })).toThrow(/downsamplePadding/);
  const m = TpfrModel.create({ preset: 'tiny', ties: 'include' });
  expect(m.recombinationLayer.ties).toBe('include');
  m.dispose();
});
