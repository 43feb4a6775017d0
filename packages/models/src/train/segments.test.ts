import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { MICRO_MODEL } from '@tpfr/testing';
import { TpfrModel } from '../model/model.js';
import { applyInSegments, segmentsOf } from './segments.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const weightsOf = (net: { trainableWeights: { read(): tf.Tensor }[] }) => net.trainableWeights.map((w) => w.read() as tf.Variable);

describe('applyInSegments (a network recomputed block by block)', () => {
  it('cuts after every activation and residual block, each layer in one segment, in order', () => {
    const model = TpfrModel.create(MICRO_MODEL);
    for (const net of [model.encoder, model.mainDecoder, model.discriminator]) {
      const segments = segmentsOf(net);
      const layers = net.layers.filter((l) => l.getClassName() !== 'InputLayer');
      expect(segments.flat()).toEqual(layers);
      for (const seg of segments.slice(0, -1))
        expect(['ReLU', 'LeakyReLU', 'TpfrResidualBlock']).toContain(seg[seg.length - 1].getClassName());
      expect(segments.length).toBeGreaterThan(3);
    }
    model.dispose();
  });

  it("gives the plain call's outputs and gradients, bit for bit on cpu, and leaves no tensor behind (seeded)", () => {
    const model = TpfrModel.create(MICRO_MODEL);
    const nets = [
      { name: 'encoder', net: model.encoder, inputs: (s: number, b: number) => [tf.randomUniform([b, s, s, 3], -1, 1, 'float32', 1)] },
      {
        name: 'decoder',
        net: model.mainDecoder,
        inputs: (s: number, b: number) => [
          tf.randomNormal([b, s / 4, s / 4, model.mainDecoder.inputs[0].shape[3] as number], 0, 1, 'float32', 2),
        ],
      },
      {
        name: 'discriminator',
        net: model.discriminator,
        inputs: (s: number, b: number) => [
          tf.randomUniform([b, s, s, 3], -1, 1, 'float32', 3),
          tf.randomUniform([b, s, s, 3], -1, 1, 'float32', 4),
        ],
      },
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: nets.length - 1 }),
        fc.constantFrom(16, 24),
        fc.integer({ min: 1, max: 2 }),
        fc.boolean(),
        fc.boolean(),
        (which, size, batch, wantsInput, trainWeights) => {
          fc.pre(wantsInput || trainWeights); // something to differentiate
          const n = nets[which];
          const xs = n.inputs(size, batch);
          const trained = trainWeights ? weightsOf(n.net) : [];
          const wants = xs.map((_, i) => i === 0 && wantsInput);
          const grad = (f: (inputs: tf.Tensor[]) => tf.Tensor[]) => {
            const ts = tf.tidy(() => {
              const wrt = [...xs.filter((_, i) => wants[i]), ...trained];
              const { value, grads } = tf
                .engine()
                .gradients(() => tf.addN(f(xs).map((o, i) => tf.sum(tf.mul(o, i + 1)))) as tf.Scalar, wrt, undefined, true);
              return [value, ...grads.map((g) => g ?? tf.zeros([0]))];
            });
            const vals = ts.map((t) => Array.from(t.dataSync()));
            tf.dispose(ts);
            return { value: vals[0][0], grads: vals.slice(1) };
          };
          const plain = grad((inputs) => {
            const out = n.net.apply(inputs.length === 1 ? inputs[0] : inputs, { training: true });
            return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
          });
          const before = tf.memory().numTensors;
          const segmented = grad((inputs) => applyInSegments(n.net, inputs, { training: true, wantsInput: wants, trained }));
          expect(tf.memory().numTensors).toBe(before);
          const label = `${n.name}, ${size}², batch ${batch}, wantsInput ${wantsInput}, weights ${trainWeights}`;
          expect(segmented.value, label).toBe(plain.value);
          for (const [i, g] of plain.grads.entries()) expect(segmented.grads[i], `${label}: gradient ${i}`).toEqual(g);
          tf.dispose(xs);
        },
      ),
      { seed: 91, numRuns: 12 },
    );
    model.dispose();
  }, 120_000);

  it('holds less at its peak than the plain call (the encoder, 64², batch 2)', async () => {
    const model = TpfrModel.create(MICRO_MODEL);
    const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 5);
    const trained = weightsOf(model.encoder);
    const peak = async (f: () => tf.Tensor[]) =>
      (
        await tf.profile(() => {
          const { value, grads } = tf.variableGrads(() => tf.addN(f().map((o) => tf.sum(o))) as tf.Scalar, trained);
          tf.dispose([value, ...Object.values(grads)]);
        })
      ).peakBytes;
    const plain = await peak(() => model.encoder.apply(x, { training: true }) as tf.Tensor[]);
    const segmented = await peak(() => applyInSegments(model.encoder, [x], { training: true, wantsInput: [false], trained }));
    expect(segmented).toBeLessThan(0.6 * plain);
    x.dispose();
    model.dispose();
  });
});
