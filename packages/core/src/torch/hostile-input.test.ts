import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readTorchCheckpoint, CheckpointError, ForbiddenGlobalError } from './index.js';
import type { TorchTensor } from './index.js';
import { byteMutationArb, mutateBytes, writeTorchCheckpoint } from '@tpfr/testing';
import { f32Bytes, stateDictPickle, thrown, zipCheckpoint, zipFile } from '@tpfr/testing/torch-craft';

/*
 * Hostile and broken PyTorch files beyond the ones the other suites craft: a fuzz of
 * readTorchCheckpoint over valid files mutated by cuts, byte changes, inserted and removed bytes,
 * and the same rejections (foreign globals, unsafe names) on files that PyTorch's layout wraps.
 */

const tensor = (name: string, shape: number[], seed: number): TorchTensor =>
  ({
    name,
    dtype: 'float32',
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i * seed),
  }) as TorchTensor;

const small = [
  tensor('conv.weight', [2, 3], 1),
  tensor('conv.bias', [2], 2),
  { name: 'n', dtype: 'int64', shape: [], data: new BigInt64Array([5n]) } as TorchTensor,
];

const mutation = byteMutationArb(16);
const mutate = mutateBytes;

describe('readTorchCheckpoint: mutated valid files (seeded property)', () => {
  it('cuts, byte changes, inserted and removed bytes: each file reads or throws a CheckpointError, within a bounded size', () => {
    const files = [writeTorchCheckpoint(small, { format: 'legacy' }), writeTorchCheckpoint(small, { format: 'zip' })];
    const reasons = new Set<string>();
    let read = 0;
    fc.assert(
      fc.property(fc.nat({ max: 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, edits) => {
        const file = mutate(files[which], edits);
        try {
          const ck = readTorchCheckpoint(file);
          read++;
          // What it reads stays within the default bound (4 × the file + 1 MiB).
          const total = [...ck.tensors.values()].reduce((n, t) => n + t.data.byteLength, 0);
          expect(total).toBeLessThanOrEqual(4 * file.length + 2 ** 20);
        } catch (e) {
          if (!(e instanceof CheckpointError)) throw e;
          reasons.add(e.reason);
        }
      }),
      { seed: 11, numRuns: 1500 },
    );
    expect(read).toBeGreaterThan(0);
    expect(reasons.has('truncated')).toBe(true);
    expect(reasons.has('corrupt') || reasons.has('not-a-checkpoint')).toBe(true);
  });
});

describe("readTorchCheckpoint: foreign globals in a file of PyTorch's own layout", () => {
  it.each(['os\nsystem', 'builtins\neval', 'subprocess\nPopen', 'posix\nsystem'])(
    'legacy file whose state-dict GLOBAL is %j: refused by name',
    (global) => {
      const file = writeTorchCheckpoint(small, { format: 'legacy' });
      const text = new TextEncoder().encode('collections\nOrderedDict\n');
      const at = Buffer.from(file).indexOf(Buffer.from(text));
      expect(at).toBeGreaterThan(0);
      const evil = Uint8Array.from([
        ...file.subarray(0, at),
        ...new TextEncoder().encode(`${global}\n`),
        ...file.subarray(at + text.length),
      ]);
      const e = thrown(() => readTorchCheckpoint(evil));
      expect(e).toBeInstanceOf(ForbiddenGlobalError);
      expect((e as ForbiddenGlobalError).global).toBe(global.replace('\n', '.'));
      expect(e.message).toMatch(
        new RegExp(
          `^readTorchCheckpoint: expected only the globals a state_dict uses \\(.*\\), received global ${global.replace('\n', '\\.')} at byte \\d+ of `,
        ),
      );
    },
  );
});

describe('readTorchCheckpoint: storages larger than the file, names that leave the archive', () => {
  it('zip: a storage whose element count needs more bytes than its entry (and the whole file) holds', () => {
    const pkl = stateDictPickle([{ name: 'w', key: '0', numel: 1_000_000, shape: [1000, 1000] }], false);
    const file = zipCheckpoint(pkl, { '0': f32Bytes([1, 2]) });
    const e = thrown(() => readTorchCheckpoint(file));
    expect(e.reason).toBe('truncated');
    expect(e.message).toContain(`expected 4000000 bytes in 'archive/data/0' (1000000 × float32), received 8 bytes`);
    expect(4_000_000).toBeGreaterThan(file.length);
  });

  it('zip: the storage entry itself named with .. or an absolute path', () => {
    const pkl = stateDictPickle([{ name: 'w', key: '0', numel: 1, shape: [] }], false);
    for (const name of ['archive/data/../../0', '/archive/data/0']) {
      const e = thrown(() =>
        readTorchCheckpoint(
          zipFile([
            ['archive/data.pkl', pkl],
            [name, f32Bytes([1])],
            ['archive/version', new TextEncoder().encode('3\n')],
          ]),
        ),
      );
      expect([e.reason, e.received]).toEqual(['unsafe-path', `'${name}'`]);
    }
  });
});
