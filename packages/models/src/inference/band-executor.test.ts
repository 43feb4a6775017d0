import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { TpfrModel, type ModelConfigInput } from '@tpfr/models';
import { toHostMap } from './host-map.js';
import { planInference } from './plan.js';
import { decodeByPlan, encodeByPlan } from './run.js';

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

const configs: [string, ModelConfigInput][] = [
  ['tiny', { preset: 'tiny', ngf: 4 }],
  ['nearest upsampling', { preset: 'tiny', ngf: 4, upsampling: 'nearest' }],
  ["the authors' padding and two stages of instance norm", { preset: 'tiny', ngf: 4, downsamplePadding: 'symmetric' }],
  ['no norm, three downsamplings', { preset: 'tiny', ngf: 4, norm: 'none', downsamplings: 3, globalStyle: false }],
];

for (const [label, cfg] of configs) {
  it(`band-wise encode and decode equal the whole-image networks (${label}), with no tensor left behind`, async () => {
    await initBackend('cpu');
    const model = TpfrModel.create(cfg);
    // Small bands (of odd and even rows) so that every halo and border case occurs.
    // Without bandRows the residual blocks of these small maps run whole, as the layers compute them.
    for (const [h, w, bandRows] of [
      [72, 40, 6],
      [48, 88, 5],
      [40, 40, 1],
      [36, 44, 64],
      [44, 40, undefined],
    ] as [number, number, number | undefined][]) {
      const x = tf.randomUniform([2, h, w, 3], -1, 1, 'float32', h) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const whole = model.encode(x, { bands: 'never' });
      const banded = model.encode(x, { bands: 'always', bandRows });
      for (const key of ['content', 'style', 'middle'] as const)
        expect(maxAbsDiff(whole[key], banded[key]), `${key} ${h}×${w}, bands of ${bandRows}`).toBeLessThan(2e-5);
      // codes(): the same content and style, without assembling the middle map.
      const codes = model.codes(x, { bands: 'always', bandRows });
      expect(maxAbsDiff(whole.content, codes.content)).toBeLessThan(2e-5);
      expect(maxAbsDiff(whole.style, codes.style)).toBeLessThan(2e-5);
      tf.dispose([codes.content, codes.style]);
      // The plan of very large images: the codes in JS memory, decoded from there (stylize at 2048²).
      const plan = { ...planInference('test', model.config, [2, h, w], { bands: 'always', bandRows }), codes: 'host' as const };
      const host = encodeByPlan(model.encoder, x, plan, { middle: false });
      for (const key of ['content', 'style'] as const) {
        const m = host[key];
        expect(m).not.toBeInstanceOf(tf.Tensor);
        const t = tf.tensor(m.data as Float32Array, m.shape);
        expect(maxAbsDiff(whole[key], t), `host ${key} ${h}×${w}`).toBeLessThan(2e-5);
        t.dispose();
      }
      const imgHost = decodeByPlan(model.mainDecoder, { content: toHostMap(whole.content), style: toHostMap(whole.style) }, plan);
      const imgWhole = model.decode(whole, { bands: 'never' });
      const imgBanded = model.decode(whole, { bands: 'always', bandRows });
      expect(imgBanded.shape).toEqual(imgWhole.shape);
      expect(maxAbsDiff(imgWhole, imgBanded)).toBeLessThan(2e-5);
      expect(maxAbsDiff(imgWhole, imgHost)).toBeLessThan(2e-5);
      imgHost.dispose();
      const aux = [
        model.decode(whole, { decoder: 'aux', bands: 'never' }),
        model.decode(whole, { decoder: 'aux', bands: 'always', bandRows }),
      ];
      expect(maxAbsDiff(aux[0], aux[1])).toBeLessThan(2e-5);
      tf.dispose([...Object.values(whole), ...Object.values(banded), imgWhole, imgBanded, ...aux]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    }
    const weights = tf.memory().numTensors;
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThan(weights);
  });
}

it("recombining bands of latent rows gives the whole call's result (what stylize does for large latents), ties included", async () => {
  await initBackend('cpu');
  const { stackPeers } = await import('@tpfr/layers');
  for (const ties of ['exactly-k', 'include'] as const) {
    const model = TpfrModel.create({ preset: 'tiny', ngf: 4, ties });
    const x = tf.randomUniform([1, 56, 40, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const s = tf.randomUniform([1, 40, 40, 3], -1, 1, 'float32', 6) as tf.Tensor4D;
    const z = model.codes(x);
    const zs = model.codes(s);
    // The exemplar twice: every peer has a twin, so ties occur (with 'include' they matter).
    const two = (t: tf.Tensor4D) => stackPeers(tf.concat([t, t], 0) as tf.Tensor4D, 1);
    const peers = { content: two(zs.content), style: two(zs.style) };
    const whole = model.recombine(z, peers);
    const h = z.content.shape[1];
    const parts = [];
    for (let r0 = 0; r0 < h; r0 += 3) {
      const rows = Math.min(3, h - r0);
      const sl = (t: tf.Tensor4D) => tf.slice(t, [0, r0, 0, 0], [1, rows, t.shape[2], t.shape[3]]);
      parts.push(model.recombine({ content: sl(z.content), style: sl(z.style) }, peers));
    }
    for (const key of ['content', 'style'] as const) {
      const joined = tf.concat(
        parts.map((p) => p[key]),
        1,
      );
      expect(maxAbsDiff(joined, whole[key]), `${ties} ${key}`).toBeLessThan(1e-5);
    }
    model.dispose();
  }
});
