import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { PAPER, firstMismatch, iota, sliceReference } from '@tpfr/testing/kernel-references';

beforeAll(async () => {
  await initBackend('wasm');
});

/** `x[begin : begin + size]` of a row-major array of `shape`, by index arithmetic. */
function reference(vals: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    let rest = i;
    let src = 0;
    let stride = 1;
    const idx: number[] = [];
    for (let a = size.length - 1; a >= 0; a--) {
      idx[a] = rest % size[a];
      rest = Math.floor(rest / size[a]);
    }
    for (let a = shape.length - 1; a >= 0; a--) {
      src += (begin[a] + idx[a]) * stride;
      stride *= shape[a];
    }
    out.push(vals[src]);
  }
  return out;
}

/** A shape of rank 1–5 (tf.slice refuses scalars) with a slice inside it (often empty: see offsetSlice). */
const shapeAndSlice = fc
  .array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 5 })
  .chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.tuple(
        ...shape.map((n) => fc.integer({ min: 0, max: n }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: n - b })))),
      ),
    ),
  );

describe('wasm Slice, SplitV and Unpack (read through a heap view)', () => {
  it('slice equals the index arithmetic for every rank, dtype and position (seeded)', () => {
    fc.assert(
      fc.property(shapeAndSlice, fc.constantFrom('float32', 'int32', 'bool'), ([shape, bs], dtype) => {
        const begin = bs.map(([b]) => b);
        const size = bs.map(([, s]) => s);
        const n = shape.reduce((a, b) => a * b, 1);
        const vals = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : i * 7 - 3)) as number[];
        tf.tidy(() => {
          const x = tf.tensor(vals as number[], shape, dtype as 'float32');
          const y = tf.slice(x, begin, size);
          expect(y.shape).toEqual(size);
          expect(y.dtype).toBe(dtype);
          expect(Array.from(y.dataSync())).toEqual(reference(Array.from(x.dataSync()), shape, begin, size));
        });
      }),
      { seed: 41, numRuns: 300 },
    );
  });

  it('split and unstack give the pieces the cpu-free reference gives, along every axis (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), fc.nat(), ([...shape], pick) => {
        const axis = pick % shape.length;
        const n = shape.reduce((a, b) => a * b, 1);
        tf.tidy(() => {
          const x = tf.tensor(
            Array.from({ length: n }, (_, i) => i + 0.5),
            shape,
          );
          const xv = Array.from(x.dataSync());
          const sizes = shape[axis] === 1 ? [1] : [1, shape[axis] - 1];
          let b = 0;
          tf.split(x, sizes, axis).forEach((piece, i) => {
            const begin = shape.map((_, a) => (a === axis ? b : 0));
            const size = shape.map((s, a) => (a === axis ? sizes[i] : s));
            expect(Array.from(piece.dataSync())).toEqual(reference(xv, shape, begin, size));
            b += sizes[i];
          });
          tf.unstack(x, axis).forEach((piece, i) => {
            expect(piece.shape).toEqual(shape.filter((_, a) => a !== axis));
            const begin = shape.map((_, a) => (a === axis ? i : 0));
            const size = shape.map((s, a) => (a === axis ? 1 : s));
            expect(Array.from(piece.dataSync())).toEqual(reference(xv, shape, begin, size));
          });
        });
      }),
      { seed: 43, numRuns: 100 },
    );
  });

  it('does not copy the whole input out of the heap (no readSync), and still refuses a slice outside it', () => {
    const x = tf.randomNormal([64, 32]);
    const backend = tf.backend() as unknown as { readSync: (...a: unknown[]) => unknown };
    const spy = vi.spyOn(backend, 'readSync');
    tf.tidy(() => {
      tf.slice(x, [3, 0], [5, 32]);
      tf.slice(x, [3, 4], [5, 7]);
      tf.split(x, 4, 1);
      tf.unstack(tf.slice(x, [0, 0], [4, 32]));
    });
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(() => tf.slice(x, [60, 0], [5, 32])).toThrow(/slice/i);
    x.dispose();
  });

  it("strings keep wasm's own kernel; nothing leaks, in the engine or the heap", async () => {
    const s = tf.tensor(['a', 'b', 'c', 'd'], [2, 2], 'string');
    expect(tf.tidy(() => tf.slice(s, [1, 0], [1, 2]).arraySync())).toEqual([['c', 'd']]);
    s.dispose();
    const x = tf.randomNormal([8, 6, 4]);
    const backend = tf.engine().backend;
    const ids = backend.numDataIds();
    await expectNoLeaks(() => tf.slice(x, [1, 2, 0], [3, 2, 4]));
    await expectNoLeaks(() => tf.split(x, 2, 1));
    await expectNoLeaks(() => tf.unstack(x, 2));
    expect(backend.numDataIds()).toBe(ids);
    x.dispose();
  });
});

/**
 * One axis of n = 2…7 indices (the last axis up to 40, so that runs of 16 values and more are
 * copied with `set`, shorter ones value by value) and a slice of it that starts past 0 and keeps
 * at least one index: `[n, begin, size]`.
 */
const offsetAxis = (last: boolean) =>
  fc
    .integer({ min: 2, max: last ? 40 : 7 })
    .chain((n) =>
      fc.integer({ min: 1, max: n - 1 }).chain((b) => fc.tuple(fc.constant(n), fc.constant(b), fc.integer({ min: 1, max: n - b }))),
    );
/** An axis taken whole (begin 0, size n): trailing whole axes merge into one run. */
const wholeAxis = (last: boolean) => fc.integer({ min: 2, max: last ? 40 : 7 }).map((n) => [n, 0, n] as [number, number, number]);
/** Every axis of a rank-`rank` shape offset (`'offset'`), or each either offset or whole (`'mixed'`, at least one offset). */
const sliceOf = (rank: number, mode: 'offset' | 'mixed') =>
  fc
    .tuple(
      ...Array.from({ length: rank }, (_, a) =>
        mode === 'offset' ? offsetAxis(a === rank - 1) : fc.oneof(offsetAxis(a === rank - 1), wholeAxis(a === rank - 1)),
      ),
    )
    .filter((axes) => axes.some(([n, , size]) => size < n));

/** What a property run reached: per rank, per axis, whether a non-empty case began past 0 there; and the run lengths copied. */
class Reach {
  readonly offsets = new Map<string, number>();
  shortRuns = 0;
  longRuns = 0;
  /** Records a non-empty slice of `shape` at `begin`, `size`. */
  note(shape: number[], begin: number[], size: number[]): void {
    if (size.some((n) => n === 0)) return;
    begin.forEach((b, a) => {
      if (b > 0) this.offsets.set(`${shape.length}:${a}`, (this.offsets.get(`${shape.length}:${a}`) ?? 0) + 1);
    });
    // The kernel's run: the last axis, merged with earlier ones while every later axis is whole.
    let inner = shape.length - 1;
    let run = size[inner];
    while (inner > 0 && size[inner] === shape[inner]) run *= size[--inner];
    if (run < 16) this.shortRuns++;
    else this.longRuns++;
  }
  /** The (rank:axis) pairs among ranks 1…5 that no non-empty case began past 0 on. */
  missing(ranks: number[]): string[] {
    return ranks.flatMap((r) => Array.from({ length: r }, (_, a) => `${r}:${a}`)).filter((k) => !this.offsets.has(k));
  }
}

describe('wasm Slice, SplitV and Unpack: non-empty slices that start past 0, on every axis of every rank', () => {
  const RANKS = [1, 2, 3, 4, 5];

  it('slice equals the index arithmetic with every axis offset, and with offset and whole axes mixed (seeded, per rank)', () => {
    const reach = new Reach();
    for (const mode of ['offset', 'mixed'] as const) {
      for (const rank of RANKS) {
        fc.assert(
          fc.property(sliceOf(rank, mode), fc.constantFrom('float32', 'int32', 'bool'), (axes, dtype) => {
            const shape = axes.map(([n]) => n);
            const begin = axes.map(([, b]) => b);
            const size = axes.map(([, , z]) => z);
            reach.note(shape, begin, size);
            const n = shape.reduce((a, b) => a * b, 1);
            const vals = dtype === 'bool' ? Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)) : Array.from(iota(n));
            tf.tidy(() => {
              const x = tf.tensor(vals, shape, dtype as 'float32');
              const y = tf.slice(x, begin, size);
              expect(y.shape).toEqual(size);
              expect(y.dtype).toBe(dtype);
              const want = sliceReference(vals, shape, begin, size);
              const at = firstMismatch(y.dataSync() as Float32Array, want);
              expect(at, `${dtype} ${JSON.stringify({ shape, begin, size })}: first wrong value at ${at}`).toBe(-1);
            });
          }),
          { seed: 700 + 10 * rank + (mode === 'offset' ? 0 : 5), numRuns: 40 },
        );
      }
    }
    // The domain reached: a slice beginning past 0 on every axis of every rank, runs of both kinds.
    expect(reach.missing(RANKS)).toEqual([]);
    expect(reach.shortRuns).toBeGreaterThan(20);
    expect(reach.longRuns).toBeGreaterThan(20);
  });

  it("split (sizes and equal pieces) and unstack along every axis of every rank give the index arithmetic's pieces (seeded)", () => {
    const reach = new Reach();
    for (const rank of RANKS) {
      const arb = fc.tuple(
        fc.array(fc.integer({ min: 2, max: 5 }), { minLength: rank, maxLength: rank }),
        fc.nat({ max: rank - 1 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 }),
      );
      fc.assert(
        fc.property(arb, ([dims, axis, pieces]) => {
          // The split axis is as long as the pieces: each non-empty, every one after the first past 0.
          const shape = dims.map((d, a) => (a === axis ? pieces.reduce((p, q) => p + q, 0) : d));
          const n = shape.reduce((a, b) => a * b, 1);
          const vals = Array.from(iota(n));
          tf.tidy(() => {
            const x = tf.tensor(vals, shape);
            const check = (got: tf.Tensor, begin: number[], size: number[], what: string) => {
              reach.note(shape, begin, size);
              const at = firstMismatch(got.dataSync() as Float32Array, sliceReference(vals, shape, begin, size));
              expect(at, `${what} ${JSON.stringify({ shape, axis, begin, size })}: first wrong value at ${at}`).toBe(-1);
            };
            let b = 0;
            tf.split(x, pieces, axis).forEach((piece, i) => {
              const size = shape.map((s, a) => (a === axis ? pieces[i] : s));
              expect(piece.shape).toEqual(size);
              check(
                piece,
                shape.map((_, a) => (a === axis ? b : 0)),
                size,
                'split',
              );
              b += pieces[i];
            });
            const equal = shape[axis] % 2 === 0 ? 2 : 1;
            tf.split(x, equal, axis).forEach((piece, i) => {
              const size = shape.map((s, a) => (a === axis ? s / equal : s));
              check(
                piece,
                shape.map((_, a) => (a === axis ? i * size[a] : 0)),
                size,
                'split in equal pieces',
              );
            });
            tf.unstack(x, axis).forEach((piece, i) => {
              expect(piece.shape).toEqual(shape.filter((_, a) => a !== axis));
              check(
                piece,
                shape.map((_, a) => (a === axis ? i : 0)),
                shape.map((s, a) => (a === axis ? 1 : s)),
                'unstack',
              );
            });
          });
        }),
        { seed: 800 + rank, numRuns: 25 },
      );
    }
    expect(reach.missing(RANKS)).toEqual([]);
  });

  it("the slices, splits and unstacks of the paper's model (ngf 64, 256² images) equal the index arithmetic", () => {
    const [, h, w] = PAPER.latent;
    const [c, s] = [PAPER.content, PAPER.style];
    const q = PAPER.codePixels;
    const cases: { what: string; shape: number[]; begin: number[]; size: number[] }[] = [
      // encoder.ts encoderSplit (channelSlice): the latent map into content, global and local style.
      { what: 'latent → content', shape: [...PAPER.latent], begin: [0, 0, 0, 0], size: [1, h, w, c] },
      { what: 'latent → global style input', shape: [...PAPER.latent], begin: [0, 0, 0, c], size: [1, h, w, c] },
      { what: 'latent → local style', shape: [...PAPER.latent], begin: [0, 0, 0, 2 * c], size: [1, h, w, c] },
      // banded.ts channelRows: the same split of a band of latent rows.
      { what: 'latent band → local style', shape: [1, 8, w, 3 * c], begin: [0, 0, 0, 2 * c], size: [1, 8, w, c] },
      // stylize.ts recombineInBands: bands of latent rows.
      { what: 'content code band', shape: [1, h, w, c], begin: [0, 16, 0, 0], size: [1, 16, w, c] },
      { what: 'style code band', shape: [1, h, w, s], begin: [0, 48, 0, 0], size: [1, 16, w, s] },
      // banded.ts: the stem's rows of the reflect-padded image, cached bands of the 256² map, and
      // upsampleRows' crop of a valid transposed convolution (rows and columns past 0).
      { what: 'stem rows of the padded image', shape: [1, 262, 262, 3], begin: [0, 100, 0, 0], size: [1, 38, 262, 3] },
      { what: 'rows of a cached band', shape: [1, 32, 256, 64], begin: [0, 5, 0, 0], size: [1, 20, 256, 64] },
      { what: 'upsampleRows crop', shape: [1, 38, 258, 64], begin: [0, 3, 1, 0], size: [1, 32, 256, 64] },
      // knn.ts: query tiles of content and style code rows (2048 rows per tile for 4096 queries), a pool tile.
      { what: 'knn query tile (content)', shape: [q, c], begin: [2048, 0], size: [2048, c] },
      { what: 'knn query tile (style)', shape: [q, s], begin: [2048, 0], size: [2048, s] },
      { what: 'knn pool tile', shape: [2 * q, c], begin: [4096, 0], size: [3968, c] },
      // tied-attention.ts: a tile of the per-peer logits and of the values.
      { what: 'attention logits tile', shape: [q], begin: [1024], size: [1024] },
      { what: 'attention values tile', shape: [q, s], begin: [1024, 0], size: [1024, s] },
      // wasm-winograd.ts split: the 36 transformed filters and tiles, one [1, rows, cols] block each.
      { what: 'Winograd transformed filter block', shape: [1, 36 * c, c], begin: [0, 35 * c, 0], size: [1, c, c] },
      { what: 'Winograd transformed tiles block', shape: [1, 36 * 256, c], begin: [0, 17 * 256, 0], size: [1, 256, c] },
      // wasm-kernels.ts Conv2DBackpropFilter: the crop of the 3×3 stride-2 filter gradient.
      { what: 'filter gradient crop', shape: [128, 4, 4, 256], begin: [0, 0, 0, 0], size: [128, 3, 3, 256] },
      // geometry.ts, stylize.ts, updates.ts: the authors' content pad cropped off, images of a batch.
      { what: 'content pad crop', shape: [1, 272, 272, 3], begin: [0, 8, 8, 0], size: [1, 256, 256, 3] },
      { what: 'stylize crop to the input size', shape: [1, 256, 256, 3], begin: [0, 0, 0, 0], size: [1, 250, 243, 3] },
      { what: 'second image of a batch', shape: [2, 256, 256, 3], begin: [1, 0, 0, 0], size: [1, 256, 256, 3] },
    ];
    for (const k of cases) {
      const n = k.shape.reduce((a, b) => a * b, 1);
      const vals = iota(n);
      tf.tidy(() => {
        const got = tf.slice(tf.tensor(vals, k.shape), k.begin, k.size);
        expect(got.shape, k.what).toEqual(k.size);
        const at = firstMismatch(got.dataSync() as Float32Array, sliceReference(vals, k.shape, k.begin, k.size));
        expect(at, `${k.what}: first wrong value at ${at}`).toBe(-1);
      });
    }
    // pixels.ts: codes [B, h·w·C] split per image; image-pool.ts: a batch of images unstacked.
    tf.tidy(() => {
      const shape = [2, h * w * c];
      const vals = iota(2 * h * w * c);
      tf.split(tf.tensor(vals, shape), 2, 0).forEach((piece, i) => {
        expect(
          firstMismatch(piece.dataSync() as Float32Array, sliceReference(vals, shape, [i, 0], [1, h * w * c])),
          `codes of image ${i}`,
        ).toBe(-1);
      });
      const imgShape = [3, 256, 256, 3];
      const imgs = iota(3 * 256 * 256 * 3);
      tf.unstack(tf.tensor(imgs, imgShape)).forEach((piece, i) => {
        expect(
          firstMismatch(piece.dataSync() as Float32Array, sliceReference(imgs, imgShape, [i, 0, 0, 0], [1, 256, 256, 3])),
          `image ${i}`,
        ).toBe(-1);
      });
    });
  });
});
