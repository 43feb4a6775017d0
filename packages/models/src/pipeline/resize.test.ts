import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks, fixturesPresent } from '@tpfr/testing';
import { initBackend, ShapeError, ValueError } from '@tpfr/core';
import { readImage } from '../image-io/file-io.js';
import { centerCrop } from './geometry.js';
import { resizeBicubicPil, resizeShorterSide, shorterSideSize } from './resize.js';
import { torchFixturesDir } from '@tpfr/testing/torch-fixtures';

beforeAll(async () => {
  await initBackend('cpu');
});

/** The 8-bit image the cases below were made from: glibc's LCG, `(s >> 16) & 255` per value. */
function lcgImage(h: number, w: number, seed: number): Int32Array {
  const out = new Int32Array(h * w * 3);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    out[i] = (s >> 16) & 255;
  }
  return out;
}

function fnv1a(values: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < values.length; i++) h = Math.imul(h ^ values[i], 0x01000193) >>> 0;
  return h;
}

/**
 * A plain float reading of Pillow's algorithm: every input sample weighted by the bicubic kernel
 * (a = −0.5) widened by the downscale factor, weights normalized, horizontal pass then vertical,
 * each pass rounded (half up) and clipped to 0–255. No fixed point, no bounds bookkeeping.
 */
function floatReference(src: ArrayLike<number>, h: number, w: number, outH: number, outW: number): number[] {
  const cubic = (x: number) => {
    const a = -0.5;
    x = Math.abs(x);
    return x < 1 ? (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1 : x < 2 ? a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a : 0;
  };
  const weights = (inSize: number, outSize: number, i: number): number[] => {
    const scale = inSize / outSize;
    const fs = Math.max(scale, 1);
    const center = (i + 0.5) * scale;
    const ws = Array.from({ length: inSize }, (_, j) => cubic((j + 0.5 - center) / fs));
    const sum = ws.reduce((a, b) => a + b, 0);
    return ws.map((v) => v / sum);
  };
  const q = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  // Same size along an axis: Pillow skips that pass.
  let tmp: number[] = Array.from(src);
  if (outW !== w) {
    const wx = Array.from({ length: outW }, (_, i) => weights(w, outW, i));
    tmp = [];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < outW; x++)
        for (let c = 0; c < 3; c++) tmp.push(q(wx[x].reduce((s, k, j) => s + k * src[(y * w + j) * 3 + c], 0)));
  }
  if (outH === h) return tmp;
  const wy = Array.from({ length: outH }, (_, i) => weights(h, outH, i));
  const out: number[] = [];
  for (let y = 0; y < outH; y++)
    for (let x = 0; x < outW; x++)
      for (let c = 0; c < 3; c++) out.push(q(wy[y].reduce((s, k, j) => s + k * tmp[(j * outW + x) * 3 + c], 0)));
  return out;
}

const resize = (values: ArrayLike<number>, from: [number, number], to: [number, number]) =>
  tf.tidy(() => Array.from(resizeBicubicPil(tf.tensor3d(Array.from(values), [from[0], from[1], 3], 'int32'), to).dataSync()));

describe('resizeBicubicPil', () => {
  it('matches hand-computed cases', () => {
    // 2 → 4 px (upscale, support 2): the first output sits at 0.25, weights ∝ k(0.25) = 0.8671875
    // and k(1.25) = −0.0703125, normalized 1.0882 / −0.0882: 100·1.0882 − 200·0.0882 = 91.18 → 91;
    // the second at 0.75: ∝ 0.8671875, 0.2265625 → 79.29 + 41.43 = 120.71 → 121; then mirrored.
    // The channels 0/255 overshoot and clip.
    expect(resize([100, 0, 255, 200, 255, 0], [1, 2], [1, 4])).toEqual([91, 0, 255, 121, 53, 202, 179, 202, 53, 209, 255, 0]);
    // 2 → 1 px (downscale 2, support 4): both pixels weigh 1/2; Pillow's fixed point rounds half up.
    expect(resize([10, 10, 10, 21, 22, 0], [1, 2], [1, 1])).toEqual([16, 16, 5]);
    // A 1×1 image upscales to a constant.
    expect(resize([7, 8, 9], [1, 1], [2, 3])).toEqual(Array.from({ length: 6 }, () => [7, 8, 9]).flat());
  });

  it("equals Pillow 9.4's Image.resize(BICUBIC) exactly (values made with Pillow)", () => {
    const small: Array<{ from: [number, number]; to: [number, number]; seed: number; expected: number[] }> = [
      {
        from: [5, 7],
        to: [3, 4],
        seed: 1,
        expected: [
          137, 81, 147, 153, 179, 163, 136, 56, 202, 142, 104, 124, 112, 81, 64, 176, 111, 152, 91, 158, 157, 137, 117, 121, 89, 177, 59,
          202, 159, 86, 177, 124, 130, 100, 139, 129,
        ],
      },
      {
        from: [4, 3],
        to: [9, 7],
        seed: 2,
        expected: [
          155, 0, 255, 147, 44, 255, 131, 155, 255, 104, 255, 226, 57, 255, 160, 11, 229, 98, 0, 220, 71, 123, 29, 226, 124, 61, 225, 130,
          139, 221, 126, 213, 200, 94, 223, 141, 58, 211, 82, 44, 208, 58, 38, 100, 97, 63, 101, 105, 122, 102, 128, 178, 110, 136, 184,
          139, 93, 175, 167, 44, 172, 179, 25, 5, 166, 9, 43, 140, 26, 133, 71, 70, 223, 21, 100, 249, 68, 63, 252, 134, 13, 255, 159, 0,
          131, 197, 58, 150, 161, 77, 197, 66, 130, 238, 0, 159, 227, 55, 92, 203, 140, 9, 194, 173, 0, 246, 209, 142, 244, 171, 158, 245,
          74, 204, 232, 3, 222, 180, 67, 131, 126, 157, 27, 104, 191, 0, 168, 194, 199, 170, 168, 200, 185, 102, 208, 186, 55, 201, 139,
          102, 148, 87, 166, 91, 66, 191, 75, 31, 167, 242, 44, 158, 226, 93, 135, 187, 130, 120, 153, 104, 143, 154, 65, 173, 166, 50, 184,
          170, 0, 156, 255, 0, 154, 238, 56, 149, 181, 106, 147, 134, 89, 161, 158, 53, 177, 197, 41, 182, 210,
        ],
      },
      {
        from: [1, 6],
        to: [4, 2],
        seed: 3,
        expected: [89, 167, 125, 73, 65, 127, 89, 167, 125, 73, 65, 127, 89, 167, 125, 73, 65, 127, 89, 167, 125, 73, 65, 127],
      },
      {
        from: [7, 1],
        to: [2, 5],
        seed: 4,
        expected: [
          96, 87, 143, 96, 87, 143, 96, 87, 143, 96, 87, 143, 96, 87, 143, 160, 108, 99, 160, 108, 99, 160, 108, 99, 160, 108, 99, 160, 108,
          99,
        ],
      },
      {
        from: [13, 11],
        to: [4, 4],
        seed: 5,
        expected: [
          143, 132, 88, 124, 137, 117, 130, 146, 133, 98, 130, 96, 128, 118, 79, 144, 114, 134, 130, 115, 115, 129, 123, 95, 99, 129, 109,
          140, 120, 116, 148, 109, 146, 147, 83, 125, 128, 74, 110, 121, 106, 119, 119, 142, 120, 120, 135, 147,
        ],
      },
      {
        from: [1, 1],
        to: [3, 2],
        seed: 6,
        expected: [166, 171, 246, 166, 171, 246, 166, 171, 246, 166, 171, 246, 166, 171, 246, 166, 171, 246],
      },
    ];
    for (const c of small) expect(resize(lcgImage(c.from[0], c.from[1], c.seed), c.from, c.to), `${c.from} → ${c.to}`).toEqual(c.expected);
    // Larger ones by FNV-1a hash and sum of the output bytes.
    const large: Array<{ from: [number, number]; to: [number, number]; seed: number; fnv: number; sum: number }> = [
      { from: [61, 47], to: [23, 90], seed: 7, fnv: 0xc4a9d732, sum: 786739 },
      { from: [200, 150], to: [37, 29], seed: 8, fnv: 0xfbe143e7, sum: 409768 },
      { from: [31, 33], to: [128, 97], seed: 9, fnv: 0x21149c5e, sum: 4764587 },
      { from: [768, 512], to: [256, 170], seed: 10, fnv: 0xea4dce31, sum: 16658094 },
    ];
    for (const c of large) {
      const out = resize(lcgImage(c.from[0], c.from[1], c.seed), c.from, c.to);
      expect({ fnv: fnv1a(out), sum: out.reduce((a, b) => a + b, 0) }, `${c.from} → ${c.to}`).toEqual({ fnv: c.fnv, sum: c.sum });
    }
  });

  it('stays within 1 level of a float reference of the algorithm: up, down, odd sizes, 1-pixel sides', () => {
    const sizes: Array<[[number, number], [number, number]]> = [
      [
        [9, 13],
        [23, 31],
      ],
      [
        [23, 31],
        [9, 13],
      ],
      [
        [17, 17],
        [5, 29],
      ],
      [
        [1, 19],
        [7, 3],
      ],
      [
        [19, 1],
        [1, 8],
      ],
      [
        [40, 36],
        [13, 36],
      ],
      [
        [40, 36],
        [40, 11],
      ],
      [
        [2, 3],
        [1, 1],
      ],
      [
        [64, 48],
        [21, 16],
      ],
      [
        [3, 5],
        [64, 1],
      ],
    ];
    let total = 0;
    let exact = 0;
    sizes.forEach(([from, to], i) => {
      const src = lcgImage(from[0], from[1], 100 + i);
      const got = resize(src, from, to);
      const ref = floatReference(src, from[0], from[1], to[0], to[1]);
      expect(got.length).toBe(ref.length);
      const maxDiff = got.reduce((m, v, j) => Math.max(m, Math.abs(v - ref[j])), 0);
      expect(maxDiff, `${from} → ${to}`).toBeLessThanOrEqual(1);
      total += got.length;
      exact += got.filter((v, j) => v === ref[j]).length;
    });
    expect(exact / total).toBeGreaterThan(0.98);
  });

  it('resizes batches image by image, accepts float levels, returns int32 and keeps no tensors', async () => {
    const a = lcgImage(6, 9, 11);
    const b = lcgImage(6, 9, 12);
    await expectNoLeaks(() => {
      const batch = tf.tensor4d([...a, ...b], [2, 6, 9, 3], 'float32');
      const out = resizeBicubicPil(batch, [4, 5]);
      expect(out.shape).toEqual([2, 4, 5, 3]);
      expect(out.dtype).toBe('int32');
      const v = Array.from(out.dataSync());
      expect(v.slice(0, 60)).toEqual(resize(a, [6, 9], [4, 5]));
      expect(v.slice(60)).toEqual(resize(b, [6, 9], [4, 5]));
      // Equal size: a copy.
      const same = resizeBicubicPil(batch, [6, 9]);
      expect(Array.from(same.dataSync())).toEqual([...a, ...b]);
      batch.dispose();
      return [out, same];
    }, 'resizeBicubicPil');
  });

  it('checks its inputs, naming the function', () => {
    tf.tidy(() => {
      const img = tf.zeros([4, 4, 3], 'int32') as tf.Tensor3D;
      expect(() => resizeBicubicPil(tf.zeros([4, 4]) as unknown as tf.Tensor3D, [2, 2])).toThrow(ShapeError);
      expect(() => resizeBicubicPil(tf.zeros([4, 4, 4]) as tf.Tensor3D, [2, 2])).toThrow(
        /resizeBicubicPil: expected image with 3 \(RGB\) channels/,
      );
      expect(() => resizeBicubicPil(img, [0, 2])).toThrow(ValueError);
      expect(() => resizeBicubicPil(img, [2, 2.5])).toThrow(/resizeBicubicPil: expected size\[1\] \(width\) an integer >= 1, received 2.5/);
      expect(() => resizeBicubicPil(img, [2] as unknown as [number, number])).toThrow(ValueError);
      for (const bad of [256, -1, 1.5, NaN]) {
        expect(() => resizeBicubicPil(tf.fill([2, 2, 3], bad) as tf.Tensor3D, [3, 3])).toThrow(
          /resizeBicubicPil: expected image values that are 8-bit levels/,
        );
      }
    });
  });
});

describe('resizeShorterSide', () => {
  it("follows torchvision's size rule: shorter side to S, the longer to int(S·long/short)", () => {
    expect(shorterSideSize([480, 640], 256)).toEqual([256, 341]);
    expect(shorterSideSize([640, 480], 256)).toEqual([341, 256]);
    expect(shorterSideSize([300, 300], 512)).toEqual([512, 512]);
    expect(shorterSideSize([3, 1000], 7)).toEqual([7, 2333]);
    expect(shorterSideSize([1000, 1], 2)).toEqual([2000, 2]);
    expect(() => shorterSideSize([0, 3], 2)).toThrow(/shorterSideSize: expected height an integer >= 1/);
    tf.tidy(() => {
      const img = tf.tensor3d(lcgImage(30, 45, 3), [30, 45, 3], 'int32');
      const out = resizeShorterSide(img, 20);
      expect(out.shape).toEqual([20, 30, 3]);
      expect(Array.from(out.dataSync())).toEqual(resize(lcgImage(30, 45, 3), [30, 45], [20, 30]));
      expect(resizeShorterSide(tf.stack([img, img]) as tf.Tensor4D, 60).shape).toEqual([2, 60, 90, 3]);
      expect(() => resizeShorterSide(img, 0)).toThrow(/resizeShorterSide: expected size an integer >= 1, received 0/);
    });
  });

  // The authors' test.py at S = 256 (Resize(256, BICUBIC) then CenterCrop(256)), made with PIL.
  const root = torchFixturesDir();
  const dir = join(root, 'pipeline_g8_256');
  const have = fixturesPresent(
    existsSync(join(dir, 'content_source.png')),
    `resize.test.ts: the torch fixture check, no ${dir} (set TPFR_TORCH_FIXTURES to the torch-generator fixtures folder)`,
  );
  it.skipIf(!have)("reproduces the torch fixture's resized content and style (Resize + CenterCrop at 256)", () => {
    for (const name of ['content', 'style']) {
      tf.tidy(() => {
        const got = centerCrop(resizeShorterSide(readImage(join(dir, `${name}_source.png`)), 256), 256).dataSync();
        const want = readImage(join(dir, `${name}_resized.png`)).dataSync();
        expect(got.length).toBe(want.length);
        let exact = 0;
        let within1 = 0;
        let maxDiff = 0;
        for (let i = 0; i < want.length; i++) {
          const d = Math.abs(got[i] - want[i]);
          if (d === 0) exact++;
          if (d <= 1) within1++;
          maxDiff = Math.max(maxDiff, d);
        }
        console.log(
          `resize.test.ts: ${name}_resized.png: ${exact}/${want.length} values exact (${((100 * exact) / want.length).toFixed(3)} %), max diff ${maxDiff}`,
        );
        // The manifest's tolerance is 1 level for 99 % of values; this implementation is exact.
        expect(within1 / want.length).toBeGreaterThanOrEqual(0.99);
        expect(exact).toBe(want.length);
      });
    }
  });
});
