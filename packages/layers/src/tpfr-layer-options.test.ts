import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_KNN_MEMORY_BUDGET, initBackend, knn } from '@tpfr/core';
import { expectNoLeaks, symbolicPeerInputs, seededTpfrLayer } from '@tpfr/testing';
import { PeerRecombination, peerRecombination, type PeerRecombinationArgs } from './tpfr-layer.js';

// Options, defaults, initial weights and errors of the TPFR layer (the properties and the
// tf.model contract are in tpfr-layer.test.ts).
const CC = 6;
const CS = 12;
const SYMBOLIC: tfl.Shape[] = symbolicPeerInputs(CC, CS);

const r = (s: number[], seed: number) => tf.randomNormal(s, 0, 1, 'float32', seed);
/** content `[B, H, W, Cc]`, style, peer content `[B, P, h, w, Cc]`, peer style. */
function inputs(b: number, h: number, w: number, p: number, ph: number, pw: number, seed = 1, cc = CC, cs = CS): tf.Tensor[] {
  return [r([b, h, w, cc], seed), r([b, h, w, cs], seed + 1), r([b, p, ph, pw, cc], seed + 2), r([b, p, ph, pw, cs], seed + 3)];
}
const zeros = (shapes: number[][]) => shapes.map((s) => tf.zeros(s));
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
/** The weight's name below the layer's: `content_attention/dense1/kernel`, ... */
const key = (v: tfl.LayerVariable) => /(content|style)_attention\/.*$/.exec(v.originalName)![0];

/** A built layer with seeded random weights (moving statistics included). */
function randomLayer(args: PeerRecombinationArgs, seed = 3): PeerRecombination {
  return seededTpfrLayer(args, seed, CC, CS);
}

describe('PeerRecombination options and errors', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('has the documented defaults, and writes ties and the transform widths to the config only when set', () => {
    const layer = peerRecombination({ name: 'tpfr_defaults' });
    const config = layer.getConfig();
    expect(config).toMatchObject({
      name: 'tpfr_defaults',
      k: 5,
      metric: 'euclidean',
      stages: 'two-stage',
      activation: 'softplus',
      attentionDropout: 0.2,
      knnMemoryBudgetBytes: DEFAULT_KNN_MEMORY_BUDGET,
      valueMemoryBudgetBytes: 64 * 1024 * 1024,
      peerPooling: 'per-sample',
      returnAttention: false,
      batchNormEpsilon: 1e-5,
      batchNormMomentum: 0.9,
    });
    expect(Object.keys(config)).not.toContain('ties');
    expect(Object.keys(config)).not.toContain('contentTransformUnits');
    expect(Object.keys(config)).not.toContain('styleTransformUnits');
    expect(layer.ties).toBe('exactly-k');
    expect(layer.supportsMasking).toBe(false);
  });

  it('round-trips every option through the config (widths copied), and the copy builds the same weights', () => {
    const units: [number, number] = [4, 2];
    const args: PeerRecombinationArgs = {
      k: 2,
      metric: 'cosine',
      ties: 'include',
      stages: 'two-stage',
      contentTransformUnits: units,
      styleTransformUnits: [5, 3],
      activation: 'elu',
      attentionDropout: 0.5,
      knnMemoryBudgetBytes: 1024,
      valueMemoryBudgetBytes: 2048,
      peerPooling: 'shared',
      returnAttention: true,
      batchNormEpsilon: 1e-3,
      batchNormMomentum: 0.5,
    };
    const layer = peerRecombination(args);
    const config = layer.getConfig();
    const { name: _name, ...rest } = args as PeerRecombinationArgs & { name?: string };
    expect(config).toMatchObject(rest as tf.serialization.ConfigDict);
    // The config holds copies of the widths: changing them changes nothing in the layer.
    (config.contentTransformUnits as number[])[0] = 99;
    (config.styleTransformUnits as number[])[1] = 98;
    expect(layer.getConfig()).toMatchObject({ contentTransformUnits: [4, 2], styleTransformUnits: [5, 3] });
    config.contentTransformUnits = [4, 2];
    config.styleTransformUnits = [5, 3];
    const copy = new PeerRecombination(JSON.parse(JSON.stringify(config)) as PeerRecombinationArgs);
    expect(copy.getConfig()).toEqual(config);
    layer.build(SYMBOLIC);
    copy.build(SYMBOLIC);
    const shapes = (l: PeerRecombination) => l.weights.map((v) => `${key(v)} ${v.shape.join('x')}`);
    expect(shapes(copy)).toEqual(shapes(layer));
    expect(shapes(layer)).toContain('content_attention/dense1/kernel 6x4');
    expect(shapes(layer)).toContain('content_attention/dense2/kernel 4x2');
    expect(shapes(layer)).toContain('style_attention/dense1/kernel 12x5');
    expect(shapes(layer)).toContain('style_attention/peer_score/kernel 3x1');
  });

  it('initialises the transforms: widths [⌊d/2⌋, ⌊d/4⌋] (at least 1), Glorot-uniform kernels, BatchNorm γ = 1, β = 0, moving mean 0, variance 1, zero biases', () => {
    const layer = new PeerRecombination({});
    // Cc = 6: [3, 1]; Cs = 3: [1, 0 → 1].
    layer.build([
      [null, null, null, 6],
      [null, null, null, 3],
      [null, null, null, null, 6],
      [null, null, null, null, 3],
    ]);
    const byKey = new Map(layer.weights.map((v) => [key(v), v]));
    const expectedShapes: Record<string, number[]> = {
      'content_attention/dense1/kernel': [6, 3],
      'content_attention/dense2/kernel': [3, 1],
      'content_attention/query_score/kernel': [1, 1],
      'content_attention/bn1/gamma': [3],
      'content_attention/bn2/moving_variance': [1],
      'style_attention/dense1/kernel': [3, 1],
      'style_attention/dense2/kernel': [1, 1],
      'style_attention/peer_score/kernel': [1, 1],
    };
    for (const [k, shape] of Object.entries(expectedShapes)) expect(byKey.get(k)?.shape, k).toEqual(shape);
    for (const v of layer.weights) {
      const name = key(v);
      const x = Array.from(v.read().dataSync());
      if (/gamma|moving_variance/.test(name))
        expect(
          x.every((e) => e === 1),
          name,
        ).toBe(true);
      else if (/beta|moving_mean|bias/.test(name))
        expect(
          x.every((e) => e === 0),
          name,
        ).toBe(true);
      else {
        expect(name).toMatch(/kernel$/);
        const [fanIn, fanOut] = v.shape as number[];
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        expect(
          x.every((e) => Math.abs(e) <= limit + 1e-7),
          name,
        ).toBe(true);
        expect(
          x.some((e) => e !== 0),
          name,
        ).toBe(true);
      }
      expect(v.trainable, name).toBe(!/moving_/.test(name));
      expect(v.dtype, name).toBe('float32');
    }
    // A style-only layer has no stage-2 weights.
    const one = new PeerRecombination({ stages: 'style-only' });
    one.build(SYMBOLIC);
    expect(one.styleAttention).toBeNull();
    expect(one.weights.every((v) => key(v).startsWith('content_attention/'))).toBe(true);
    expect(one.weights.length).toBe(16);
  });

  it.each([
    [{ k: 0 }, /TpfrPeerRecombination: expected k to be an integer >= 1, received 0/],
    [{ k: -2 }, /expected k to be an integer >= 1, received -2/],
    [{ k: 2.5 }, /expected k to be an integer >= 1, received 2\.5/],
    [{ metric: 'manhattan' }, /TpfrPeerRecombination: expected metric 'euclidean' or 'cosine', received manhattan/],
    [{ ties: 'all' }, /TpfrPeerRecombination: expected ties 'exactly-k' or 'include', received all/],
    [{ stages: 'three' }, /TpfrPeerRecombination: expected stages 'two-stage' or 'style-only', received three/],
    [{ attentionDropout: -0.1 }, /TpfrPeerRecombination: expected attentionDropout in \[0, 1\), received -0\.1/],
    [{ attentionDropout: 1 }, /expected attentionDropout in \[0, 1\), received 1/],
    [{ attentionDropout: Number.NaN }, /expected attentionDropout in \[0, 1\), received NaN/],
    [{ peerPooling: 'global' }, /TpfrPeerRecombination: expected peerPooling 'per-sample' or 'shared', received global/],
  ] as [Record<string, unknown>, RegExp][])('rejects the option %o', (args, message) => {
    expect(() => peerRecombination(args as PeerRecombinationArgs)).toThrow(message);
  });

  it('accepts every valid value of each option', () => {
    const valid: PeerRecombinationArgs[] = [
      { k: 1 },
      { metric: 'euclidean' },
      { metric: 'cosine' },
      { ties: 'exactly-k' },
      { ties: 'include' },
      { stages: 'two-stage' },
      { stages: 'style-only' },
      { attentionDropout: 0 },
      { attentionDropout: 0.999 },
      { peerPooling: 'per-sample' },
      { peerPooling: 'shared' },
    ];
    for (const args of valid) expect(peerRecombination(args), JSON.stringify(args)).toMatchObject(args);
  });

  it('computes the output shapes per option: content′, style′, then per stage indices and weights [B, H, W, k]', () => {
    const shapes: tfl.Shape[] = [
      [2, 4, 5, CC],
      [2, 4, 5, CS],
      [2, 3, 2, 2, CC],
      [2, 3, 2, 2, CS],
    ];
    const att = [2, 4, 5, 3];
    expect(peerRecombination({ k: 3 }).computeOutputShape(shapes)).toEqual([
      [2, 4, 5, CC],
      [2, 4, 5, CS],
    ]);
    expect(peerRecombination({ k: 3, returnAttention: true }).computeOutputShape(shapes)).toEqual([
      [2, 4, 5, CC],
      [2, 4, 5, CS],
      att,
      att,
      att,
      att,
    ]);
    expect(peerRecombination({ k: 3, returnAttention: true, stages: 'style-only' }).computeOutputShape(shapes)).toEqual([
      [2, 4, 5, CC],
      [2, 4, 5, CS],
      att,
      att,
    ]);
    // The shapes returned are copies: changing them leaves the input shapes as they were.
    const out = peerRecombination({ k: 3, returnAttention: true }).computeOutputShape(shapes) as number[][];
    out[0][0] = 99;
    out[1][0] = 96;
    out[2][0] = 98;
    out[3][1] = 97;
    expect(shapes[0]).toEqual([2, 4, 5, CC]);
    expect(shapes[1]).toEqual([2, 4, 5, CS]);
    expect(out[4]).toEqual(att);
    expect(out[5]).toEqual(att);
    // Symbolic: unknown sizes stay unknown.
    const ins = SYMBOLIC.map((s) => tfl.input({ shape: s.slice(1) as number[] }));
    const sym = peerRecombination({ k: 4, returnAttention: true, stages: 'style-only' }).apply(ins as tfl.SymbolicTensor[]);
    expect(sym.map((t) => t.shape)).toEqual([
      [null, null, null, CC],
      [null, null, null, CS],
      [null, null, null, 4],
      [null, null, null, 4],
    ]);
  });

  it('returns int32 indices and float32 weights per stage; a style-only layer returns stage 1 only', () => {
    const xs = inputs(1, 2, 3, 2, 2, 2, 5);
    const two = randomLayer({ k: 3, returnAttention: true });
    const out = two.apply(xs, { training: false }) as tf.Tensor[];
    expect(out.map((t) => t.dtype)).toEqual(['float32', 'float32', 'int32', 'float32', 'int32', 'float32']);
    expect(out.slice(2).map((t) => t.shape)).toEqual([
      [1, 2, 3, 3],
      [1, 2, 3, 3],
      [1, 2, 3, 3],
      [1, 2, 3, 3],
    ]);
    const one = two.apply(xs, { training: false, stages: 'style-only' }) as tf.Tensor[];
    expect(one.length).toBe(4);
    // Without returnAttention: content′ and style′ only, whatever the stages.
    const plain = randomLayer({ k: 3 });
    for (const stages of ['two-stage', 'style-only'] as const) {
      const outs = plain.apply(xs, { training: false, stages }) as tf.Tensor[];
      expect(
        outs.map((t) => t.shape),
        stages,
      ).toEqual([
        [1, 2, 3, CC],
        [1, 2, 3, CS],
      ]);
      tf.dispose(outs);
    }
    expect(maxAbsDiff(one[0], xs[0])).toBe(0);
    expect(one[0]).not.toBe(xs[0]); // a copy, as every output of the layer
    // The per-call k shapes the attention outputs of the call.
    const k1 = two.apply(xs, { training: false, k: 1 }) as tf.Tensor[];
    expect(k1.slice(2).map((t) => t.shape)).toEqual([
      [1, 2, 3, 1],
      [1, 2, 3, 1],
      [1, 2, 3, 1],
      [1, 2, 3, 1],
    ]);
    expect(Array.from(k1[3].dataSync()).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    tf.dispose([...xs, ...out, ...one, ...k1]);
  });

  it('stage 1 alone makes the new style, stage 2 alone the new content', () => {
    const xs = inputs(1, 2, 2, 1, 3, 2, 7);
    const layer = randomLayer({ k: 2 });
    const before = layer.apply(xs, { training: false }) as tf.Tensor[];
    // Change stage 2's scorer only: the new style stays, the new content changes.
    tf.tidy(() => {
      layer.styleAttention!.queryKernel.write(tf.mul(layer.styleAttention!.queryKernel.read(), -3));
    });
    const after = layer.apply(xs, { training: false }) as tf.Tensor[];
    expect(maxAbsDiff(after[1], before[1])).toBe(0);
    expect(maxAbsDiff(after[0], before[0])).toBeGreaterThan(1e-4);
    tf.dispose([...xs, ...before, ...after]);
  });

  it('attention dropout: seeded training calls repeat, other seeds and unseeded calls differ, rate 0 ignores the seed', async () => {
    const xs = inputs(2, 3, 3, 2, 2, 2, 11);
    const layer = randomLayer({ k: 4, attentionDropout: 0.5, returnAttention: true, valueMemoryBudgetBytes: 4 * 4 * CS * 3 });
    const call = () => layer.apply(xs, { training: true }) as tf.Tensor[];
    layer.setDropoutSeed(3);
    const a = call();
    const b = call();
    a.forEach((t, i) => expect(maxAbsDiff(t, b[i]), `output ${i}`).toBe(0));
    layer.setDropoutSeed(4);
    const c = call();
    expect(maxAbsDiff(c[3], a[3])).toBeGreaterThan(1e-3); // stage 1 weights
    expect(maxAbsDiff(c[5], a[5])).toBeGreaterThan(1e-3); // stage 2 weights
    layer.setDropoutSeed(null);
    const d = call();
    const e = call();
    expect(maxAbsDiff(d[3], e[3])).toBeGreaterThan(1e-3);
    // Dropout in training only: inference repeats, seeded or not.
    const i1 = layer.apply(xs, { training: false }) as tf.Tensor[];
    const i2 = layer.apply(xs) as tf.Tensor[];
    i1.forEach((t, i) => expect(maxAbsDiff(t, i2[i])).toBe(0));
    // Rate 0: training calls are deterministic without a seed.
    const none = randomLayer({ k: 4, attentionDropout: 0, returnAttention: true });
    const n1 = none.apply(xs, { training: true }) as tf.Tensor[];
    const n2 = none.apply(xs, { training: true }) as tf.Tensor[];
    n1.forEach((t, i) => expect(maxAbsDiff(t, n2[i])).toBe(0));
    await expectNoLeaks(() => {
      layer.setDropoutSeed(9);
      return call();
    }, 'seeded training call');
    tf.dispose([...xs, ...a, ...b, ...c, ...d, ...e, ...i1, ...i2, ...n1, ...n2]);
  });

  it("searches neighbours with the layer's metric, also when channels are constant over each exemplar (a global style code)", () => {
    // Peer content whose first 4 channels are constant over each exemplar's pixels.
    const [b, p, ph, pw, h, w] = [1, 3, 2, 2, 2, 3];
    const local = r([b, p, ph, pw, CC - 4], 21);
    const global = tf.tile(r([b, p, 1, 1, 4], 22), [1, 1, ph, pw, 1]);
    const pc = tf.concat([global, local], 4);
    const ps = r([b, p, ph, pw, CS], 23);
    const content = r([b, h, w, CC], 24);
    const style = r([b, h, w, CS], 25);
    for (const metric of ['euclidean', 'cosine'] as const) {
      const layer = randomLayer({ k: 3, metric, returnAttention: true, stages: 'style-only' });
      const out = layer.apply([content, style, pc, ps], { training: false }) as tf.Tensor[];
      tf.tidy(() => {
        const ref = knn(tf.reshape(content, [-1, CC]) as tf.Tensor2D, tf.reshape(pc, [-1, CC]) as tf.Tensor2D, 3, { metric });
        expect(Array.from(out[2].dataSync()), metric).toEqual(Array.from(ref.indices.dataSync()));
      });
      tf.dispose(out);
    }
    tf.dispose([local, global, pc, ps, content, style]);
  });

  it("ties 'include' on twin exemplars leaks nothing, in inference and training, in one chunk or many", async () => {
    const [c, s, pc0, ps0] = inputs(2, 2, 3, 1, 2, 2, 31);
    const [pc, ps] = [tf.concat([pc0, pc0], 1), tf.concat([ps0, ps0], 1)];
    for (const valueMemoryBudgetBytes of [64 * 1024 * 1024, 4 * 3 * CS * 2]) {
      const layer = randomLayer({ k: 3, ties: 'include', returnAttention: true, valueMemoryBudgetBytes });
      layer.setDropoutSeed(1);
      tf.dispose(layer.apply([c, s, pc, ps]) as tf.Tensor[]);
      await expectNoLeaks(() => layer.apply([c, s, pc, ps], { training: false }), 'ties include, inference');
      await expectNoLeaks(() => layer.apply([c, s, pc, ps], { training: true }), 'ties include, training');
      // k = 3 on twins: the 3rd neighbour's twin ties, so every query keeps 4 peers and its 3 listed weights sum below 1.
      const out = layer.apply([c, s, pc, ps], { training: false }) as tf.Tensor[];
      const sums = tf.tidy(() => Array.from(tf.sum(out[3], -1).dataSync()));
      expect(sums.every((v) => v < 1 - 1e-4)).toBe(true);
      tf.dispose(out);
    }
    tf.dispose([c, s, pc0, ps0, pc, ps]);
  });

  it("ties 'include' without ties equals 'exactly-k'", () => {
    const xs = inputs(2, 2, 2, 2, 2, 2, 41);
    const a = randomLayer({ k: 3, ties: 'include', returnAttention: true }).apply(xs, { training: false }) as tf.Tensor[];
    const b = randomLayer({ k: 3, returnAttention: true }).apply(xs, { training: false }) as tf.Tensor[];
    a.forEach((t, i) => expect(maxAbsDiff(t, b[i]), `output ${i}`).toBe(0));
    tf.dispose([...xs, ...a, ...b]);
  });

  describe('input errors name the layer, the expected and the received', () => {
    const layer = () => peerRecombination({ k: 2 });
    const cases: [string, tfl.Shape | tfl.Shape[], RegExp][] = [
      [
        'one shape',
        [1, 2, 2, CC],
        /TpfrPeerRecombination: expected four inputs: content \[B, H, W, Cc\], style \[B, H, W, Cs\], peer content \[B, P, h, w, Cc\], peer style \[B, P, h, w, Cs\], received \[1,2,2,6\]/,
      ],
      [
        'three shapes',
        [
          [1, 2, 2, CC],
          [1, 2, 2, CS],
          [1, 1, 2, 2, CC],
        ],
        /expected four inputs: .*, received \[\[1,2,2,6\],\[1,2,2,12\],\[1,1,2,2,6\]\]/,
      ],
      [
        'content of rank 3',
        [
          [2, 2, CC],
          [1, 2, 2, CS],
          [1, 1, 2, 2, CC],
          [1, 1, 2, 2, CS],
        ],
        /TpfrPeerRecombination: expected content \[B, H, W, Cc\] of rank 4, received shape \[2,2,6\]/,
      ],
      [
        'style of rank 5',
        [
          [1, 2, 2, CC],
          [1, 1, 2, 2, CS],
          [1, 1, 2, 2, CC],
          [1, 1, 2, 2, CS],
        ],
        /expected style \[B, H, W, Cs\] of rank 4, received shape \[1,1,2,2,12\]/,
      ],
      [
        'peer content of rank 6',
        [
          [1, 2, 2, CC],
          [1, 2, 2, CS],
          [1, 1, 1, 2, 2, CC],
          [1, 1, 2, 2, CS],
        ],
        /expected peer content \[B, P, h, w, Cc\] of rank 5, received shape \[1,1,1,2,2,6\]/,
      ],
      [
        'peer style of rank 4',
        [
          [1, 2, 2, CC],
          [1, 2, 2, CS],
          [1, 1, 2, 2, CC],
          [2, 2, 2, CS],
        ],
        /expected peer style \[B, P, h, w, Cs\] of rank 5, received shape \[2,2,2,12\]/,
      ],
      [
        'unknown Cc',
        [
          [null, 2, 2, null],
          [null, 2, 2, CS],
          [null, 1, 2, 2, null],
          [null, 1, 2, 2, CS],
        ],
        /TpfrPeerRecombination: expected known channel counts Cc and Cs, received shapes \[\?,2,2,\?\] and \[\?,2,2,12\]/,
      ],
      [
        'unknown Cs',
        [
          [null, 2, 2, CC],
          [null, 2, 2, null],
          [null, 1, 2, 2, CC],
          [null, 1, 2, 2, null],
        ],
        /expected known channel counts Cc and Cs, received shapes \[\?,2,2,6\] and \[\?,2,2,\?\]/,
      ],
      [
        'peer style of another Cs',
        [
          [1, 2, 2, CC],
          [1, 2, 2, CS],
          [1, 1, 2, 2, CC],
          [1, 1, 2, 2, CS - 1],
        ],
        /TpfrPeerRecombination: expected peer style \[B, P, h, w, Cs\] with Cs = 12, received shape \[1,1,2,2,11\]/,
      ],
      [
        'style of another B',
        [
          [2, 2, 2, CC],
          [1, 2, 2, CS],
          [2, 1, 2, 2, CC],
          [2, 1, 2, 2, CS],
        ],
        /TpfrPeerRecombination: expected style \[B, H, W, Cs\] with B = 2 as content, received shape \[1,2,2,12\]/,
      ],
      [
        'peer style of another B',
        [
          [2, 2, 2, CC],
          [2, 2, 2, CS],
          [2, 1, 2, 2, CC],
          [3, 1, 2, 2, CS],
        ],
        /expected peer style \[B, P, h, w, Cs\] with B = 2 as content, received shape \[3,1,2,2,12\]/,
      ],
    ];
    it.each(cases)('%s', (_, shapes, message) => {
      expect(() => layer().computeOutputShape(shapes)).toThrow(message);
      expect(() => layer().build(shapes)).toThrow(message);
    });

    it('accepts an unknown batch size on either side', () => {
      expect(
        layer().computeOutputShape([
          [null, 2, 2, CC],
          [3, 2, 2, CS],
          [3, 1, 2, 2, CC],
          [null, 1, 2, 2, CS],
        ]),
      ).toEqual([
        [null, 2, 2, CC],
        [3, 2, 2, CS],
      ]);
      expect(
        layer().computeOutputShape([
          [3, 2, 2, CC],
          [null, 2, 2, CS],
          [3, 1, 2, 2, CC],
          [null, 1, 2, 2, CS],
        ]),
      ).toEqual([
        [3, 2, 2, CC],
        [null, 2, 2, CS],
      ]);
    });

    it('rejects calls on tensors of mismatched sizes', () => {
      const l = layer();
      l.build(SYMBOLIC);
      const calls: [number[][], RegExp][] = [
        [
          [
            [1, 2, 2, CC],
            [1, 3, 2, CS],
            [1, 1, 2, 2, CC],
            [1, 1, 2, 2, CS],
          ],
          /TpfrPeerRecombination: expected style \[B, H, W, Cs\] with H, W = 2, 2 as content, received shape \[1,3,2,12\]/,
        ],
        [
          [
            [1, 2, 2, CC],
            [1, 2, 3, CS],
            [1, 1, 2, 2, CC],
            [1, 1, 2, 2, CS],
          ],
          /expected style \[B, H, W, Cs\] with H, W = 2, 2 as content, received shape \[1,2,3,12\]/,
        ],
        [
          [
            [1, 2, 2, CC],
            [1, 2, 2, CS],
            [1, 2, 2, 3, CC],
            [1, 1, 2, 3, CS],
          ],
          /TpfrPeerRecombination: expected peer style \[B, P, h, w, Cs\] with P, h, w = 2, 2, 3 as peer content, received shape \[1,1,2,3,12\]/,
        ],
        [
          [
            [1, 2, 2, CC],
            [1, 2, 2, CS],
            [1, 2, 2, 3, CC],
            [1, 2, 3, 3, CS],
          ],
          /with P, h, w = 2, 2, 3 as peer content, received shape \[1,2,3,3,12\]/,
        ],
        [
          [
            [1, 2, 2, CC],
            [1, 2, 2, CS],
            [1, 2, 2, 3, CC],
            [1, 2, 2, 2, CS],
          ],
          /with P, h, w = 2, 2, 3 as peer content, received shape \[1,2,2,2,12\]/,
        ],
        [
          [
            [1, 2, 2, CC + 1],
            [1, 2, 2, CS],
            [1, 1, 2, 2, CC + 1],
            [1, 1, 2, 2, CS],
          ],
          /TpfrPeerRecombination: expected Cc = 6 and Cs = 12 as built, received Cc = 7, Cs = 12/,
        ],
        [
          [
            [1, 2, 2, CC],
            [1, 2, 2, CS + 1],
            [1, 1, 2, 2, CC],
            [1, 1, 2, 2, CS + 1],
          ],
          /expected Cc = 6 and Cs = 12 as built, received Cc = 6, Cs = 13/,
        ],
        [
          [
            [0, 2, 2, CC],
            [0, 2, 2, CS],
            [0, 1, 2, 2, CC],
            [0, 1, 2, 2, CS],
          ],
          /TpfrPeerRecombination: expected a batch of at least one sample, received content \[0,2,2,6\]/,
        ],
      ];
      for (const [shapes, message] of calls) {
        const xs = zeros(shapes);
        expect(() => l.apply(xs)).toThrow(message);
        tf.dispose(xs);
      }
      const xs = zeros([
        [1, 2, 2, CC],
        [1, 2, 2, CS],
        [1, 1, 2, 2, CC],
      ]);
      expect(() => l.call(xs, {})).toThrow(
        /TpfrPeerRecombination: expected four inputs \[content, style, peerContent, peerStyle\], received 3 inputs/,
      );
      expect(() => l.call(xs[0], {})).toThrow(
        /TpfrPeerRecombination: expected four inputs \[content, style, peerContent, peerStyle\], received one tensor \[1,2,2,6\]/,
      );
      tf.dispose(xs);
    });

    it('rejects per-call options out of range, and too few peer pixels per pool', () => {
      const xs = zeros([
        [2, 2, 2, CC],
        [2, 2, 2, CS],
        [2, 1, 1, 2, CC],
        [2, 1, 1, 2, CS],
      ]);
      const two = layer();
      expect(() => two.apply(xs, { k: 1.5 })).toThrow(
        /TpfrPeerRecombination: expected call argument k to be an integer >= 1, received 1\.5/,
      );
      expect(() => two.apply(xs, { k: -1 })).toThrow(/expected call argument k to be an integer >= 1, received -1/);
      expect(() => two.apply(xs, { stages: 'both' as never })).toThrow(
        /TpfrPeerRecombination: expected call argument stages 'two-stage' or 'style-only', received both/,
      );
      // k = 2 = the pool: fine; k = 3 is one too many for a per-sample pool of 1·1·2, not for a shared pool of 2·1·1·2.
      tf.dispose(two.apply(xs, { k: 2 }));
      expect(() => two.apply(xs, { k: 3 })).toThrow(
        /TpfrPeerRecombination: expected at least k = 3 peer pixels per pool, received 2 \(peer maps \[2,1,1,2,6\], 'per-sample' pooling\)/,
      );
      const shared = peerRecombination({ k: 4, peerPooling: 'shared' });
      tf.dispose(shared.apply(xs));
      expect(() => shared.apply(xs, { k: 5 })).toThrow(
        /expected at least k = 5 peer pixels per pool, received 4 \(peer maps \[2,1,1,2,6\], 'shared' pooling\)/,
      );
      const one = peerRecombination({ k: 2, stages: 'style-only' });
      tf.dispose(one.apply(xs, { stages: 'style-only' }));
      expect(() => one.apply(xs, { stages: 'two-stage' })).toThrow(
        /TpfrPeerRecombination: expected stages 'style-only' for a layer built 'style-only' \(it has no stage-2 weights\), received 'two-stage'/,
      );
      tf.dispose(xs);
    });
  });
});
