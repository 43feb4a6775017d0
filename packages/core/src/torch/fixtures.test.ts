/**
 * The torch-generator fixtures (the authors' generator at ngf 8, saved by PyTorch 1.13 in both
 * formats): `$TPFR_TORCH_FIXTURES`, default `<repo>/../shared/fixtures/torch-generator`. Skipped,
 * with a message, where the folder is absent.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesPresent } from '@tpfr/testing';
import { torchFixturesDir } from '@tpfr/testing/torch-fixtures';
import { readTorchCheckpoint, type TorchTensor } from './index.js';

const DIR = torchFixturesDir();
const HAVE = fixturesPresent(
  existsSync(join(DIR, 'g8_seed0_legacy.pth')) && existsSync(join(DIR, 'g8_seed0_zip.pth')),
  `torch/fixtures.test.ts: no g8_seed0_{legacy,zip}.pth in ${DIR} (set TPFR_TORCH_FIXTURES to the torch-generator fixtures folder)`,
);

/** sha256 of the 156 keys joined by '\n', in torch.load's order (computed with PyTorch 1.13). */
const KEYS_SHA256 = 'd9fcf155f6511ec95cfc797b7455066b2b515be8d6e12eb10e3d0c26713481f6';
const GROUPS = [
  'model_enc',
  'model_enc_pre',
  'model_enc_global',
  'model_peer_reg',
  'model_merge',
  'model_merge_aux',
  'model_dec',
  'model_dec_aux',
];

describe.skipIf(!HAVE)('readTorchCheckpoint on the torch-generator fixtures', () => {
  const read = (f: string) => readTorchCheckpoint(new Uint8Array(readFileSync(join(DIR, f))));
  const legacy = HAVE ? read('g8_seed0_legacy.pth') : undefined;
  const zip = HAVE ? read('g8_seed0_zip.pth') : undefined;

  it('reads both formats: 156 keys in state_dict order', () => {
    expect(legacy!.format).toBe('legacy');
    expect(zip!.format).toBe('zip');
    for (const ck of [legacy!, zip!]) {
      const keys = [...ck.tensors.keys()];
      expect(keys).toHaveLength(156);
      expect(createHash('sha256').update(keys.join('\n')).digest('hex')).toBe(KEYS_SHA256);
      expect(keys[0]).toBe('model_enc.0.weight');
      expect(keys[155]).toBe('model_dec_aux.13.bias');
      expect([...new Set(keys.map((k) => k.split('.')[0]))]).toEqual(GROUPS);
      expect(ck.ignored).toEqual([]);
    }
  });

  it('the same names, dtypes, shapes and values in both', () => {
    const a = [...legacy!.tensors.values()];
    const b = [...zip!.tensors.values()];
    expect(b.map((t) => [t.name, t.dtype, t.shape])).toEqual(a.map((t) => [t.name, t.dtype, t.shape]));
    const raw = (t: TorchTensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    expect(a.filter((t, i) => !raw(t).equals(raw(b[i]!))).map((t) => t.name)).toEqual([]);
    expect(a.reduce((n, t) => n + t.data.length, 0)).toBe(403560);
  });

  it('4 int64 num_batches_tracked scalars; float32 everywhere else; values as torch reads them', () => {
    const t = legacy!.tensors;
    const nbt = [...t.values()].filter((x) => x.name.endsWith('num_batches_tracked'));
    expect(nbt).toHaveLength(4);
    for (const x of nbt) expect([x.dtype, x.shape, [...x.data]]).toEqual(['int64', [], [0n]]);
    expect([...t.values()].filter((x) => x.dtype !== 'float32')).toHaveLength(4);
    const w = t.get('model_enc.0.weight') as Extract<TorchTensor, { dtype: 'float32' }>;
    expect(w.shape).toEqual([32, 16, 3, 3]);
    expect([...w.data.subarray(0, 3)]).toEqual([-0.0938199833035469, -0.09603001922369003, -0.020881548523902893]);
    expect([...t.get('model_peer_reg.0.transf_att_cont.1.running_var')!.data.subarray(0, 3)]).toEqual([
      0.5355333089828491, 1.0837572813034058, 0.6196054816246033,
    ]);
    expect(t.get('model_dec_aux.13.bias')!.data[2]).toBe(-0.045424189418554306);
  });
});
