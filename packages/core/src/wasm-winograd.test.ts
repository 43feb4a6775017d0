import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { WINOGRAD_CASES, type WinogradPad as Pad, winogradCaseArb } from '@tpfr/testing/winograd-cases';
import { PAPER, conv2dAt, convGeometry, probeIndices, roundoffs, seededValues } from '@tpfr/testing/kernel-references';
import { WINOGRAD_MIN_CHANNELS, setWasmWinograd, winogradPlan } from './wasm-winograd.js';

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => {
  setWasmWinograd(true);
});

/** conv2d on wasm with the Winograd path on and off, and the largest output magnitude. */
function both(x: tf.Tensor4D, w: tf.Tensor4D, pad: Pad): { fast: tf.Tensor4D; direct: tf.Tensor4D; scale: number } {
  setWasmWinograd(false);
  const direct = tf.conv2d(x, w, 1, pad as 'same');
  setWasmWinograd(true);
  const fast = tf.conv2d(x, w, 1, pad as 'same');
  return { fast, direct, scale: tf.max(tf.abs(direct)).dataSync()[0] };
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

it('F(4×4, 3×3) equals the direct convolution within float32 rounding, for paddings, odd sizes, batches and several chunks', () => {
  const cases = WINOGRAD_CASES;
  for (const c of cases) {
    tf.tidy(() => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 5) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, c.x[3], c.co], 0, Math.sqrt(2 / (9 * c.x[3])), 'float32', 6) as tf.Tensor4D;
      const { fast, direct, scale } = both(x, w, c.pad);
      expect(fast.shape).toEqual(direct.shape);
      const d = maxDiff(fast, direct);
      expect(d, JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      expect(d, `${JSON.stringify(c)}: the Winograd path ran (its rounding differs)`).toBeGreaterThan(0);
    });
  }
});

it('equals the cpu backend on a case small enough for it', async () => {
  const make = () =>
    [tf.randomNormal([1, 32, 32, 160], 0, 1, 'float32', 7), tf.randomNormal([3, 3, 160, 160], 0, 0.04, 'float32', 8)] as [
      tf.Tensor4D,
      tf.Tensor4D,
    ];
  const wasm = tf.tidy(() => {
    const [x, w] = make();
    return tf.conv2d(x, w, 1, 'same').dataSync();
  });
  await initBackend('cpu');
  const cpu = tf.tidy(() => {
    const [x, w] = make();
    return tf.conv2d(x, w, 1, 'same').dataSync();
  });
  await initBackend('wasm');
  let diff = 0;
  let scale = 0;
  cpu.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - wasm[i]));
    scale = Math.max(scale, Math.abs(v));
  });
  expect(diff).toBeLessThan(4e-5 * scale);
});

it('leaves small or strided convolutions to XNNPACK, bit for bit', () => {
  tf.tidy(() => {
    for (const [shape, co, stride] of [
      [[1, 40, 40, 64], 64, 1],
      [[1, 12, 12, 256], 256, 1],
      [[1, 40, 40, 256], 256, 2],
    ] as const) {
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 9) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, shape[3], co], 0, 0.05, 'float32', 10) as tf.Tensor4D;
      setWasmWinograd(false);
      const direct = tf.conv2d(x, w, stride, 'same');
      setWasmWinograd(true);
      expect(maxDiff(tf.conv2d(x, w, stride, 'same'), direct)).toBe(0);
    }
  });
});

it('keeps no tensors, in the engine or in the wasm heap, and says what it was set to', async () => {
  const x = tf.randomNormal([1, 40, 40, 160], 0, 1, 'float32', 11) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 160, 160], 0, 0.04, 'float32', 12) as tf.Tensor4D;
  const backend = tf.engine().backend;
  const ids = backend.numDataIds();
  await expectNoLeaks(() => tf.conv2d(x, w, 1, 'same'));
  expect(backend.numDataIds()).toBe(ids);
  expect(setWasmWinograd(false)).toBe(true);
  expect(setWasmWinograd(true)).toBe(false);
  tf.dispose([x, w]);
});

/** Whether conv2d takes the Winograd path for these shapes and this padding. */
const takesWinograd = (x: number[], w: number[], pad: Pad) =>
  winogradPlan(x, w, { strides: 1, pad: pad as 'same', dataFormat: 'NHWC', dilations: 1 }) !== null;

it('F(4×4, 3×3) equals the direct convolution for padding before every first row and column, odd sizes and batches (seeded)', () => {
  // Channels at and above the threshold, maps of ≥ WINOGRAD_MIN_TILES tiles whose last tiles are partial, and
  // explicit padding of 1–2 before (so tiles start off the input) and 0–2 after, on both axes apart.
  const arb = winogradCaseArb({ minChannels: WINOGRAD_MIN_CHANNELS, padBefore: 1 });
  let apart = 0;
  fc.assert(
    fc.property(arb, (c) => {
      const [, [top, bottom], [left, right]] = c.pad as [[0, 0], [number, number], [number, number], [0, 0]];
      const [b, h, w, ci] = c.x;
      expect(takesWinograd(c.x, [3, 3, ci, c.co], c.pad), JSON.stringify(c)).toBe(true);
      if (top !== left || bottom !== right) apart++;
      tf.tidy(() => {
        const x = tf.randomNormal([b, h, w, ci], 0, 1, 'float32', h * 100 + w) as tf.Tensor4D;
        const f = tf.randomNormal([3, 3, ci, c.co], 0, Math.sqrt(2 / (9 * ci)), 'float32', ci + c.co) as tf.Tensor4D;
        const { fast, direct, scale } = both(x, f, c.pad);
        expect(fast.shape).toEqual(direct.shape);
        expect(maxDiff(fast, direct), JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      });
    }),
    { seed: 31, numRuns: 8 },
  );
  expect(apart, 'cases whose padding differs between rows and columns').toBeGreaterThan(2);
});

it("the paper's residual convolution (reflect-padded [1, 66, 66, 256], 3×3, 256 → 256) and its input gradient's form: the direct convolution and the index arithmetic", () => {
  const [, , ci, co] = PAPER.residualConv.filter;
  const cases: { what: string; x: [number, number, number, number]; pad: Pad }[] = [
    // residual-block.ts: reflection pad 1, then 'valid'.
    { what: 'residual block convolution', x: PAPER.residualConv.x, pad: 'valid' },
    // wasm-backprop-input.ts strideOne: its input gradient, dy [1, 64, 64, 256] padded 2 on every side.
    {
      what: 'its input gradient (Conv2DBackpropInput, stride 1)',
      x: [1, 64, 64, 256],
      pad: [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ],
    },
  ];
  for (const c of cases) {
    const filter: [number, number, number, number] = [3, 3, ci, co];
    expect(takesWinograd(c.x, filter, c.pad), c.what).toBe(true);
    const xv = seededValues(
      c.x.reduce((a, b) => a * b, 1),
      1,
    );
    const wv = seededValues(9 * ci * co, 2).map((v) => v / Math.sqrt(9 * ci));
    tf.tidy(() => {
      const x = tf.tensor4d(xv, c.x);
      const w = tf.tensor4d(wv, filter);
      const { fast, direct, scale } = both(x, w, c.pad);
      expect(maxDiff(fast, direct), c.what).toBeLessThan(4e-5 * scale);
      // Every residue of rows and columns mod 4 (a tile's 4×4 outputs), both ends, all 256 channels.
      const got = fast.dataSync();
      const [, oh, ow] = fast.shape;
      const g = convGeometry(c.x, filter, 1, c.pad as 'same');
      const refs: { at: number; ref: { value: number; absSum: number } }[] = [];
      for (const r of probeIndices(oh))
        for (const q of probeIndices(ow)) {
          conv2dAt(xv, c.x, wv, filter, g, 0, r, q).forEach((ref, o) => refs.push({ at: (r * ow + q) * co + o, ref }));
        }
      const { worst, at } = roundoffs((i) => got[i], refs);
      // A float32 sum of n = 9·256 terms is within n unit roundoffs of Σ|terms| (first order; 31 seen,
      // Winograd's transforms included); an index error is off by about one term, ~Σ|terms|/√n,
      // some 10⁶ unit roundoffs of Σ|terms|.
      expect(worst, `${c.what}: ${worst.toFixed(1)} unit roundoffs of Σ|terms| at ${at}`).toBeLessThan(9 * ci);
    });
  }
});
