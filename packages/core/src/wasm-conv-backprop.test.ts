import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import {
  PAPER,
  conv2dTransposeAt,
  convGeometry,
  filterGradAt,
  probeIndices,
  roundoffs,
  seededValues,
  type ConvGeometry,
  type RefValue,
} from '@tpfr/testing/kernel-references';
import { phases, takesProduct } from './wasm-backprop-input.js';
import { takesSpreadDy } from './wasm-backprop-filter-spread.js';

/**
 * wasm's Conv2DBackpropInput (`wasm-backprop-input.ts`: XNNPACK convolutions, one per output
 * phase) and Conv2DBackpropFilter (`wasm-backprop-filter.ts`: matrix products of patches and dy, in blocks) against float64
 * index arithmetic (`@tpfr/testing/kernel-references`): every value of small cases, and every
 * residue of rows and columns mod the stride and mod 4, at both ends, of the paper's shapes.
 * A float32 sum of n terms is within n unit roundoffs of Σ|terms| (first order, whatever the
 * order of the sum); an index error is off by about a whole term, ~Σ|terms|/√n.
 */

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
type Shape4 = [number, number, number, number];

beforeAll(async () => {
  await initBackend('wasm');
});

/** `conv2dTranspose(dy, w)` = Conv2DBackpropInput into `xShape`, its values. */
function backpropInput(
  dyv: Float32Array,
  dyShape: Shape4,
  wv: Float32Array,
  wShape: Shape4,
  xShape: Shape4,
  strides: [number, number],
  pad: Pad,
): Float32Array {
  return values(tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(dyv, dyShape), tf.tensor4d(wv, wShape), xShape, strides, pad as 'same')));
}

/** The values of `t`, which is disposed (read outside a tidy: tidy walks a returned typed array value by value). */
function values(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

/** Conv2DBackpropFilter of x and dy, `[kh, kw, Ci, Co]`, its values. */
function backpropFilter(
  xv: Float32Array,
  xShape: Shape4,
  dyv: Float32Array,
  dyShape: Shape4,
  filterShape: Shape4,
  strides: [number, number],
  pad: Pad,
): Float32Array {
  return values(
    tf.tidy(() => {
      const x = tf.tensor4d(xv, xShape);
      const dy = tf.tensor4d(dyv, dyShape);
      return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
        strides,
        pad,
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
        filterShape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    }),
  );
}

/** Checks dx (all of it, or the probed pixels) against the index arithmetic; returns the worst roundoffs. */
function checkInput(
  what: string,
  got: Float32Array,
  dyv: Float32Array,
  dyShape: Shape4,
  wv: Float32Array,
  wShape: Shape4,
  xShape: Shape4,
  g: ConvGeometry,
  all: boolean,
): number {
  const [b, h, w, ci] = xShape;
  const rows = all ? Array.from({ length: h }, (_, i) => i) : probeIndices(h);
  const cols = all ? Array.from({ length: w }, (_, i) => i) : probeIndices(w);
  const refs: { at: number; ref: RefValue }[] = [];
  for (let n = 0; n < b; n++)
    for (const r of rows)
      for (const c of cols) {
        conv2dTransposeAt(dyv, dyShape, wv, wShape, g, n, r, c).forEach((ref, k) => refs.push({ at: ((n * h + r) * w + c) * ci + k, ref }));
      }
  const terms = wShape[0] * wShape[1] * wShape[3];
  const { worst, at } = roundoffs((i) => got[i], refs);
  expect(worst, `${what}: dx ${worst.toFixed(1)} unit roundoffs of Σ|terms| at ${at} (n = ${terms})`).toBeLessThan(terms);
  return worst;
}

/** Channels worth checking: both ends and the middle. */
const channelProbes = (n: number) => [...new Set([0, 1, n >> 1, n - 2, n - 1].filter((i) => i >= 0 && i < n))];

/** Checks dW (all of it, or every tap × probed channels) against the index arithmetic. */
function checkFilter(
  what: string,
  got: Float32Array,
  xv: Float32Array,
  xShape: Shape4,
  dyv: Float32Array,
  dyShape: Shape4,
  wShape: Shape4,
  g: ConvGeometry,
  all: boolean,
): number {
  const [kh, kw, ci, co] = wShape;
  const cis = all ? Array.from({ length: ci }, (_, i) => i) : channelProbes(ci);
  const cos = all ? Array.from({ length: co }, (_, i) => i) : channelProbes(co);
  const refs: { at: number; ref: RefValue }[] = [];
  for (let ky = 0; ky < kh; ky++)
    for (let kx = 0; kx < kw; kx++)
      for (const c of cis)
        for (const o of cos) {
          refs.push({ at: ((ky * kw + kx) * ci + c) * co + o, ref: filterGradAt(xv, xShape, dyv, dyShape, g, ky, kx, c, o) });
        }
  const terms = dyShape[0] * dyShape[1] * dyShape[2];
  const { worst, at } = roundoffs((i) => got[i], refs);
  expect(worst, `${what}: dW ${worst.toFixed(1)} unit roundoffs of Σ|terms| at ${at} (n = ${terms})`).toBeLessThan(terms);
  return worst;
}

/** One axis of a drawn case: kernel, stride, input size, explicit padding before and after. */
interface AxisCase {
  k: number;
  s: number;
  n: number;
  before: number;
  after: number;
}
interface DrawnCase {
  b: number;
  ci: number;
  co: number;
  rows: AxisCase;
  cols: AxisCase;
  mode: 'explicit' | 'same' | 'valid';
}

/** Cases of kernels 1–5 and strides 1–3 per axis, input sides and output channels in the ranges given. */
function caseArb(o: { sides: [number, number]; beforeAtLeastOne: boolean; channelsOut: [number, number] }): fc.Arbitrary<DrawnCase> {
  const axis = fc
    .record({ k: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: o.sides[0], max: o.sides[1] }) })
    .chain((a) =>
      fc.record({
        k: fc.constant(a.k),
        s: fc.constant(a.s),
        n: fc.constant(a.n),
        before: fc.integer({ min: o.beforeAtLeastOne ? Math.min(1, a.k - 1) : 0, max: a.k - 1 }),
        after: fc.integer({ min: 0, max: a.k - 1 }),
      }),
    );
  return fc.record({
    b: fc.integer({ min: 1, max: 2 }),
    ci: fc.integer({ min: 1, max: 4 }),
    co: fc.integer({ min: o.channelsOut[0], max: o.channelsOut[1] }),
    rows: axis,
    cols: axis,
    mode: fc.constantFrom<DrawnCase['mode']>('explicit', 'explicit', 'same', 'valid'),
  });
}

/** A drawn case's padding, shapes and geometry. */
function caseGeometry(c: DrawnCase) {
  const pad: Pad =
    c.mode === 'explicit'
      ? [
          [0, 0],
          [c.rows.before, c.rows.after],
          [c.cols.before, c.cols.after],
          [0, 0],
        ]
      : c.mode;
  const xShape: Shape4 = [c.b, c.rows.n, c.cols.n, c.ci];
  const wShape: Shape4 = [c.rows.k, c.cols.k, c.ci, c.co];
  const strides: [number, number] = [c.rows.s, c.cols.s];
  const info = tf.backend_util.computeConv2DInfo(xShape, wShape, strides, 1, pad);
  const g: ConvGeometry = { strides, top: info.padInfo.top, left: info.padInfo.left, outHeight: info.outHeight, outWidth: info.outWidth };
  const dyShape: Shape4 = [c.b, g.outHeight, g.outWidth, c.co];
  return { pad, xShape, wShape, strides, g, dyShape };
}

describe('wasm Conv2DBackpropInput and Conv2DBackpropFilter', () => {
  it('equal the index arithmetic for strides 1–3 on each axis, kernels 1–5 and padding before the first row and column (seeded)', () => {
    // Explicit padding of at least 1 before (so phases start past the first row and column) and
    // 0 or more after, 'same' and 'valid': both axes drawn apart.
    const arb = caseArb({ sides: [5, 13], beforeAtLeastOne: true, channelsOut: [1, 4] });
    let ours = 0;
    let laterPhases = 0;
    fc.assert(
      fc.property(arb, fc.nat(), (c, seed) => {
        const { pad, xShape, wShape, strides, g, dyShape } = caseGeometry(c);
        // Whether our phases take it (else wasm's own kernel or the product runs), and whether a phase past the first does.
        const ph = [phases(c.rows.k, c.rows.s, g.top, xShape[1], g.outHeight), phases(c.cols.k, c.cols.s, g.left, xShape[2], g.outWidth)];
        if (ph[0] && ph[1] && !takesProduct(wShape, c.b * g.outHeight * g.outWidth)) {
          ours++;
          if (ph.some((p) => p!.some((q) => q.a > 0 && q.taps > 0))) laterPhases++;
        }
        const [xv, wv, dyv] = [xShape, wShape, dyShape].map((shape, i) =>
          seededValues(
            shape.reduce((p, q) => p * q, 1),
            seed + i,
          ),
        );
        const what = JSON.stringify(c);
        checkInput(what, backpropInput(dyv, dyShape, wv, wShape, xShape, strides, pad), dyv, dyShape, wv, wShape, xShape, g, true);
        checkFilter(what, backpropFilter(xv, xShape, dyv, dyShape, wShape, strides, pad), xv, xShape, dyv, dyShape, wShape, g, true);
      }),
      { seed: 57, numRuns: 150 },
    );
    // The domain reached: most cases through our phases, many with a phase past the first.
    expect(ours).toBeGreaterThan(100);
    expect(laterPhases).toBeGreaterThan(50);
  });

  it('the filter gradient equals the index arithmetic where few output channels spread dy over the input (seeded)', () => {
    // Stride 1, kernels 1–5 (7 on one axis now and then), 6–24 input and 1–3 output channels,
    // inputs of 5–40 rows and columns, every padding (blocks of input rows: the decoder's case in
    // the paper's filter gradients below takes three).
    const arb = fc
      .record({
        b: fc.integer({ min: 1, max: 2 }),
        ci: fc.integer({ min: 6, max: 24 }),
        co: fc.integer({ min: 1, max: 3 }),
        kh: fc.constantFrom(1, 2, 3, 4, 5, 7),
        kw: fc.integer({ min: 1, max: 5 }),
        h: fc.integer({ min: 5, max: 40 }),
        w: fc.integer({ min: 5, max: 40 }),
        mode: fc.constantFrom<DrawnCase['mode']>('explicit', 'same', 'valid'),
      })
      .chain((c) =>
        fc.record({
          c: fc.constant(c),
          pad: fc.tuple(
            fc.integer({ min: 0, max: c.kh - 1 }),
            fc.integer({ min: 0, max: c.kh - 1 }),
            fc.integer({ min: 0, max: c.kw - 1 }),
            fc.integer({ min: 0, max: c.kw - 1 }),
          ),
        }),
      );
    let spread = 0;
    fc.assert(
      fc.property(arb, fc.nat(), ({ c, pad: [t, bt, l, r] }, seed) => {
        const pad: Pad =
          c.mode === 'explicit'
            ? [
                [0, 0],
                [t, bt],
                [l, r],
                [0, 0],
              ]
            : c.mode;
        const xShape: Shape4 = [c.b, c.h, c.w, c.ci];
        const wShape: Shape4 = [c.kh, c.kw, c.ci, c.co];
        const info = tf.backend_util.computeConv2DInfo(xShape, wShape, 1, 1, pad);
        if (info.outHeight < 1 || info.outWidth < 1) return;
        if (takesSpreadDy(info)) spread++;
        const g: ConvGeometry = {
          strides: [1, 1],
          top: info.padInfo.top,
          left: info.padInfo.left,
          outHeight: info.outHeight,
          outWidth: info.outWidth,
        };
        const dyShape: Shape4 = [c.b, info.outHeight, info.outWidth, c.co];
        const [xv, dyv] = [xShape, dyShape].map((shape, i) =>
          seededValues(
            shape.reduce((p, q) => p * q, 1),
            seed + i,
          ),
        );
        checkFilter(
          JSON.stringify({ c, pad }),
          backpropFilter(xv, xShape, dyv, dyShape, wShape, [1, 1], pad),
          xv,
          xShape,
          dyv,
          dyShape,
          wShape,
          g,
          true,
        );
      }),
      { seed: 59, numRuns: 120 },
    );
    // The domain reached: most cases spread dy (a 'valid' 7×7 on a small map may not).
    expect(spread).toBeGreaterThan(90);
  });

  it('the filter gradient by spread dy keeps no tensors, in the engine or in the wasm heap', async () => {
    const x = tf.randomNormal([2, 134, 134, 64], 0, 1, 'float32', 1);
    const dy = tf.randomNormal([2, 128, 128, 3], 0, 1, 'float32', 2);
    const ids = tf.engine().backend.numDataIds();
    await expectNoLeaks(
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          strides: [1, 1],
          pad: 'valid',
          dataFormat: 'NHWC',
          filterShape: [7, 7, 64, 3],
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
    );
    expect(tf.engine().backend.numDataIds()).toBe(ids);
    tf.dispose([x, dy]);
  });

  it('equal the index arithmetic on small maps, where dx is one matrix product with the filter (seeded)', () => {
    const arb = caseArb({ sides: [2, 6], beforeAtLeastOne: false, channelsOut: [32, 48] });
    let product = 0;
    fc.assert(
      fc.property(arb, fc.nat(), (c, seed) => {
        const { pad, xShape, wShape, strides, g, dyShape } = caseGeometry(c);
        if (g.outHeight < 1 || g.outWidth < 1) return;
        if (takesProduct(wShape, c.b * g.outHeight * g.outWidth)) product++;
        const [wv, dyv] = [wShape, dyShape].map((shape, i) =>
          seededValues(
            shape.reduce((p, q) => p * q, 1),
            seed + 1 + i,
          ),
        );
        const what = JSON.stringify(c);
        checkInput(what, backpropInput(dyv, dyShape, wv, wShape, xShape, strides, pad), dyv, dyShape, wv, wShape, xShape, g, true);
      }),
      { seed: 58, numRuns: 150 },
    );
    // The domain reached: most cases through the product (1×1 kernels and larger maps are not).
    expect(product).toBeGreaterThan(100);
  });

  it("the decoder's transposed convolutions (4×4 stride 2, 256 → 128 → 64 channels) at the paper's sizes, in bands, and whole at a smaller size", () => {
    for (const [i, u] of PAPER.upsampling.entries()) {
      const xShape = u.out;
      const g = convGeometry(xShape, u.filter, 2, 'same');
      expect([g.outHeight, g.outWidth]).toEqual([u.dy[1], u.dy[2]]);
      const wv = seededValues(
        u.filter.reduce((p, q) => p * q, 1),
        10 + i,
      ).map((v) => v / Math.sqrt(4 * u.dy[3]));
      const dyv = seededValues(
        u.dy.reduce((p, q) => p * q, 1),
        20 + i,
      );
      checkInput(
        `up${i + 1} ${JSON.stringify(u.dy)} → ${JSON.stringify(xShape)}`,
        backpropInput(dyv, u.dy, wv, u.filter, xShape, [2, 2], 'same'),
        dyv,
        u.dy,
        wv,
        u.filter,
        xShape,
        g,
        false,
      );
      // banded.ts upsampleRows: a band of 10 input rows, 'valid', two more rows and columns than it keeps.
      const band: Shape4 = [1, 10, u.dy[2], u.dy[3]];
      const bandOut: Shape4 = [1, 2 * 10 + 2, 2 * u.dy[2] + 2, u.out[3]];
      const gb = convGeometry(bandOut, u.filter, 2, 'valid');
      const bandv = dyv.subarray(
        0,
        band.reduce((p, q) => p * q, 1),
      );
      checkInput(
        `up${i + 1} band`,
        backpropInput(bandv, band, wv, u.filter, bandOut, [2, 2], 'valid'),
        bandv,
        band,
        wv,
        u.filter,
        bandOut,
        gb,
        false,
      );
      // Every value, on a 8×8 input of the same channels.
      const small: Shape4 = [1, 8, 8, u.dy[3]];
      const smallOut: Shape4 = [1, 16, 16, u.out[3]];
      const gs = convGeometry(smallOut, u.filter, 2, 'same');
      const sv = dyv.subarray(
        0,
        small.reduce((p, q) => p * q, 1),
      );
      checkInput(
        `up${i + 1} 8×8`,
        backpropInput(sv, small, wv, u.filter, smallOut, [2, 2], 'same'),
        sv,
        small,
        wv,
        u.filter,
        smallOut,
        gs,
        true,
      );
    }
  });

  it("the input gradients of the paper's convolutions: residual (3×3, 256, through Winograd), downsampling and global style (3×3 stride 2)", () => {
    const cases: { what: string; x: Shape4; w: Shape4; s: number; pad: Pad }[] = [
      { what: 'residual block convolution', x: PAPER.residualConv.x, w: PAPER.residualConv.filter, s: 1, pad: 'valid' },
      { what: 'down1', x: PAPER.downsampling[0].x, w: PAPER.downsampling[0].filter, s: 2, pad: 'same' },
      { what: "down1, the authors' zero pad 1 and valid", x: [1, 258, 258, 64], w: PAPER.downsampling[0].filter, s: 2, pad: 'valid' },
      { what: 'down2', x: PAPER.downsampling[1].x, w: PAPER.downsampling[1].filter, s: 2, pad: 'same' },
      { what: 'global style, first convolution', x: [1, 66, 66, 256], w: [3, 3, 256, 256], s: 2, pad: 'valid' },
    ];
    for (const [i, c] of cases.entries()) {
      const g = convGeometry(c.x, c.w, c.s, c.pad);
      const dyShape: Shape4 = [c.x[0], g.outHeight, g.outWidth, c.w[3]];
      const wv = seededValues(
        c.w.reduce((p, q) => p * q, 1),
        30 + i,
      ).map((v) => v / Math.sqrt(9 * c.w[2]));
      const dyv = seededValues(
        dyShape.reduce((p, q) => p * q, 1),
        40 + i,
      );
      checkInput(c.what, backpropInput(dyv, dyShape, wv, c.w, c.x, [c.s, c.s], c.pad), dyv, dyShape, wv, c.w, c.x, g, false);
    }
  });

  it("the filter gradients of the paper's convolutions: residual (through Winograd), downsampling and the decoder's transposed ones", () => {
    const cases: { what: string; x: Shape4; w: Shape4; s: number; pad: Pad }[] = [
      { what: 'residual block convolution', x: PAPER.residualConv.x, w: PAPER.residualConv.filter, s: 1, pad: 'valid' },
      { what: 'down1', x: PAPER.downsampling[0].x, w: PAPER.downsampling[0].filter, s: 2, pad: 'same' },
      { what: 'down2', x: PAPER.downsampling[1].x, w: PAPER.downsampling[1].filter, s: 2, pad: 'same' },
      // A transposed convolution's filter gradient: x is the gradient of its output, dy its input.
      ...PAPER.upsampling.map((u, i) => ({ what: `up${i + 1} (transposed)`, x: u.out, w: u.filter, s: 2, pad: 'same' as Pad })),
      // Few output channels (dy spread over the input): the decoder's last convolution to RGB on its
      // reflection-padded 128² map, and the discriminator's last to one channel.
      { what: 'decoder to RGB (spread dy)', x: [2, 134, 134, 64], w: [7, 7, 64, 3], s: 1, pad: 'valid' },
      { what: 'discriminator to one channel (spread dy)', x: [1, 32, 32, 512], w: [4, 4, 512, 1], s: 1, pad: 'same' },
    ];
    for (const [i, c] of cases.entries()) {
      const g = convGeometry(c.x, c.w, c.s, c.pad);
      const dyShape: Shape4 = [c.x[0], g.outHeight, g.outWidth, c.w[3]];
      const xv = seededValues(
        c.x.reduce((p, q) => p * q, 1),
        50 + i,
      );
      const dyv = seededValues(
        dyShape.reduce((p, q) => p * q, 1),
        60 + i,
      );
      const info = tf.backend_util.computeConv2DInfo(c.x, c.w, c.s, 1, c.pad);
      expect(takesSpreadDy(info), c.what).toBe(c.what.includes('spread'));
      checkFilter(c.what, backpropFilter(xv, c.x, dyv, dyShape, c.w, [c.s, c.s], c.pad), xv, c.x, dyv, dyShape, c.w, g, false);
    }
    // Every value, on a 10×10 map of the residual block's channels.
    const x: Shape4 = [1, 10, 10, 256];
    const w: Shape4 = [3, 3, 256, 256];
    const g = convGeometry(x, w, 1, 'valid');
    const dyShape: Shape4 = [1, g.outHeight, g.outWidth, 256];
    const xv = seededValues(
      x.reduce((p, q) => p * q, 1),
      70,
    );
    const dyv = seededValues(
      dyShape.reduce((p, q) => p * q, 1),
      71,
    );
    checkFilter('residual, 10×10', backpropFilter(xv, x, dyv, dyShape, w, [1, 1], 'valid'), xv, x, dyv, dyShape, w, g, true);
  });
});
