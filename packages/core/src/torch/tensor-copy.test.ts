import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { checkTensorInStorage, copyTensor, isContiguous, numelOf } from './tensor-copy.js';
import { StorageRef, TensorRef } from './state-dict.js';
import { TORCH_DTYPES, type TorchDType } from './dtypes.js';
import { thrown } from '@tpfr/testing/torch-craft';

/** A float64 storage holding 0, 1, 2, ... (so a copied element's value is its storage index). */
const iota = (n: number): Uint8Array => new Uint8Array(Float64Array.from({ length: n }, (_, i) => i).buffer);
const ref = (shape: number[], stride: number[], offset = 0, storage = new StorageRef('s', TORCH_DTYPES.float64, 24)): TensorRef =>
  new TensorRef(storage, offset, shape, stride);
const contiguous = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** C-order indexing by the definition: element [i, j, ...] is at offset + i·stride[0] + j·stride[1] + .... */
function byDefinition(shape: readonly number[], stride: readonly number[], offset: number): number[] {
  const out: number[] = [];
  const rec = (d: number, at: number): void => {
    if (d === shape.length) out.push(at);
    else for (let i = 0; i < shape[d]!; i++) rec(d + 1, at + i * stride[d]!);
  };
  rec(0, offset);
  return out;
}

describe('numelOf, isContiguous', () => {
  it('numelOf is the product of the sizes (1 for a 0-d shape, 0 with any size 0)', () => {
    expect([numelOf([]), numelOf([7]), numelOf([2, 3, 4]), numelOf([3, 0, 5])]).toEqual([1, 7, 24, 0]);
  });

  it.each([
    [[], [], true],
    [[5], [1], true],
    [[5], [2], false],
    [[4], [0], false],
    [[2, 3], [3, 1], true],
    [[2, 3, 4], [12, 4, 1], true],
    [[2, 3, 4], [12, 4, 2], false],
    [[2, 3], [4, 1], false], // padded rows
    [[2, 3], [1, 2], false], // transposed
    [[3, 2], [1, 3], false],
    [[1, 3], [99, 1], true], // a size-1 dim may have any stride
    [[3, 1], [1, 7], true],
    [[2, 1, 3], [3, 100, 1], true],
    [[1, 1], [0, 0], true],
    [[1, 2], [5, 2], false],
    [[0, 3], [3, 1], true],
  ] as const)('shape %j stride %j: %s', (shape, stride, want) => {
    expect(isContiguous([...shape], [...stride])).toBe(want);
  });

  it('C-order strides are contiguous; changing the stride of a dim of size > 1 breaks it (seeded property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 1, max: 3 }),
        (shape, pick, delta) => {
          const stride = contiguous(shape);
          expect(isContiguous(shape, stride)).toBe(true);
          const d = pick % shape.length;
          const changed = stride.map((s, i) => (i === d ? s + delta : s));
          expect(isContiguous(shape, changed)).toBe(shape[d] === 1);
        },
      ),
      { seed: 1, numRuns: 200 },
    );
  });
});

describe('checkTensorInStorage', () => {
  it('returns the data size in bytes when the last element is the last of the storage (view)', () => {
    expect(checkTensorInStorage('t', ref([4, 6], [6, 1]))).toBe(24 * 8);
    expect(checkTensorInStorage('t', ref([], [], 23))).toBe(8);
    expect(checkTensorInStorage('t', ref([6, 4], [1, 6]))).toBe(24 * 8);
    expect(checkTensorInStorage('t', ref([3, 2], [0, 1], 22))).toBe(6 * 8);
    const view = new StorageRef('s', TORCH_DTYPES.int16, 24, 10, 5);
    expect(checkTensorInStorage('t', ref([5], [1], 0, view))).toBe(10);
  });

  it('an empty tensor needs no element of its storage, whatever its offset', () => {
    expect(checkTensorInStorage('t', ref([0], [1], 100))).toBe(0);
    expect(checkTensorInStorage('t', ref([3, 0], [50, 1], 30))).toBe(0);
  });

  it('one element past the storage (view) is an error naming the tensor, its layout and the storage', () => {
    const e = thrown(() => checkTensorInStorage('w', ref([4, 3], [6, 2], 2)));
    expect(e.reason).toBe('corrupt');
    expect(e.message).toBe(
      "readTorchCheckpoint: expected tensor 'w' (size [4,3], stride [6,2], offset 2) inside its storage 's' of 24 elements, received a last element at index 24",
    );
  });

  it.each([
    [[], [], 24, 24],
    [[2, 13], [13, 1], 0, 25],
    [[13, 2], [1, 12], 0, 24],
  ])('size %j stride %j offset %i: last element %i', (shape, stride, offset, last) => {
    expect(thrown(() => checkTensorInStorage('w', ref(shape, stride, offset))).message).toMatch(
      new RegExp(`of 24 elements, received a last element at index ${last}$`),
    );
  });

  it('a legacy storage view bounds the tensor by its own size', () => {
    const view = new StorageRef('s', TORCH_DTYPES.int16, 24, 10, 5);
    expect(thrown(() => checkTensorInStorage('v', ref([6], [1], 0, view))).message).toMatch(
      /inside its storage 's' of 5 elements, received a last element at index 5$/,
    );
  });
});

describe('copyTensor', () => {
  const storage = iota(24);

  it.each([
    ['contiguous', [4, 6], [6, 1], 0],
    ['contiguous at an offset', [2, 3], [3, 1], 7],
    ['size-1 dims with odd strides', [1, 3, 1], [40, 1, 9], 2],
    ['transposed', [6, 4], [1, 6], 0],
    ['every other column', [4, 3], [6, 2], 1],
    ['broadcast rows', [3, 2], [0, 1], 5],
    ['broadcast all', [2, 2, 2], [0, 0, 0], 9],
    ['3-d permuted', [2, 3, 2], [1, 8, 2], 1],
    ['0-d', [], [], 23],
    ['0-d at the start', [], [], 0],
  ] as const)('%s: the elements in C order', (_, shape, stride, offset) => {
    const data = copyTensor(ref([...shape], [...stride], offset), storage);
    expect(data).toBeInstanceOf(Float64Array);
    expect([...data]).toEqual(byDefinition(shape, stride, offset));
  });

  it.each([[[0]], [[0, 3]], [[3, 0]], [[2, 0, 4]]])('empty %j: an empty array of the dtype', (shape) => {
    const stride = shape.map((_, i) => (i === 0 ? 5 : 1));
    for (const dtype of ['float32', 'int64', 'bool'] as TorchDType[]) {
      const data = copyTensor(
        new TensorRef(new StorageRef('s', TORCH_DTYPES[dtype], 4), 2, shape, stride),
        new Uint8Array(4 * TORCH_DTYPES[dtype].bytes),
      );
      expect(data.constructor.name).toBe(TORCH_DTYPES[dtype].view(new ArrayBuffer(0)).constructor.name);
      expect(data.length).toBe(0);
    }
  });

  it('a legacy storage view starts at its offset in the root storage', () => {
    const view = new StorageRef('s', TORCH_DTYPES.float64, 24, 10, 8);
    expect([...copyTensor(ref([2, 2], [1, 2], 3, view), storage)]).toEqual([13, 15, 14, 16]);
    expect([...copyTensor(ref([3], [1], 1, view), storage)]).toEqual([11, 12, 13]);
  });

  it('the copy owns an exactly sized buffer (no view of the file)', () => {
    for (const [shape, stride] of [
      [
        [2, 3],
        [3, 1],
      ],
      [
        [3, 2],
        [1, 3],
      ],
    ] as const) {
      const bytes = storage.slice();
      const data = copyTensor(ref([...shape], [...stride], 4), bytes);
      expect(data.buffer).not.toBe(bytes.buffer);
      expect([data.byteOffset, data.buffer.byteLength]).toEqual([0, 48]);
      bytes.fill(0);
      expect(data[0]).toBe(4);
    }
  });

  it('each dtype comes as its typed array, element bytes kept together', () => {
    const raw = Uint8Array.from({ length: 64 }, (_, i) => i);
    for (const dtype of Object.keys(TORCH_DTYPES) as TorchDType[]) {
      const { bytes: size } = TORCH_DTYPES[dtype];
      // The transpose of a 2 × 3 matrix at offset 1: elements 1, 4, 2, 5, 3, 6.
      const data = copyTensor(new TensorRef(new StorageRef('s', TORCH_DTYPES[dtype], 64 / size), 1, [3, 2], [1, 3]), raw);
      const want = [1, 4, 2, 5, 3, 6].flatMap((e) => Array.from({ length: size }, (_, b) => e * size + b));
      expect([...new Uint8Array(data.buffer)]).toEqual(want);
      expect(data.constructor.name).toBe(TORCH_DTYPES[dtype].view(new ArrayBuffer(8)).constructor.name);
    }
  });

  it('random views match indexing by the definition (seeded property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 4, maxLength: 4 }),
        fc.nat({ max: 6 }),
        (shape, strides, offset) => {
          const stride = strides.slice(0, shape.length);
          const r = ref(shape, stride, offset, new StorageRef('s', TORCH_DTYPES.float64, 64));
          const want = byDefinition(shape, stride, offset);
          if (want.some((i) => i >= 64)) return;
          expect([...copyTensor(r, iota(64))]).toEqual(want);
        },
      ),
      { seed: 1, numRuns: 300 },
    );
  });
});

describe('copyTensor on a big-endian host', () => {
  afterEach(() => {
    vi.doUnmock('./dtypes.js');
    vi.resetModules();
  });

  it('swaps the bytes of each element (the file is little-endian)', async () => {
    vi.resetModules();
    vi.doMock('./dtypes.js', async (importOriginal) => ({
      ...(await importOriginal<typeof import('./dtypes.js')>()),
      HOST_LITTLE_ENDIAN: false,
    }));
    const m = await import('./tensor-copy.js');
    const sd = await import('./state-dict.js');
    const raw = Uint8Array.from({ length: 16 }, (_, i) => i);
    const f32 = m.copyTensor(new sd.TensorRef(new sd.StorageRef('s', TORCH_DTYPES.float32, 4), 0, [2, 2], [2, 1]), raw);
    expect([...new Uint8Array(f32.buffer)]).toEqual([3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12]);
    const i16 = m.copyTensor(new sd.TensorRef(new sd.StorageRef('s', TORCH_DTYPES.int16, 8), 1, [3], [2]), raw);
    expect([...new Uint8Array(i16.buffer)]).toEqual([3, 2, 7, 6, 11, 10]);
    const u8 = m.copyTensor(new sd.TensorRef(new sd.StorageRef('s', TORCH_DTYPES.uint8, 16), 2, [3], [1]), raw);
    expect([...u8]).toEqual([2, 3, 4]);
  });
});
