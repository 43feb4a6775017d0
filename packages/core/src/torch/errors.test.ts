import { describe, expect, it } from 'vitest';
import { CheckpointError, ForbiddenGlobalError, UnknownOpcodeError } from './errors.js';
import { TpfrError } from '../errors.js';

describe('CheckpointError', () => {
  it('reason, expected, received; the message names readTorchCheckpoint', () => {
    const e = new CheckpointError('truncated', 'a storage of 8 bytes', '3 bytes');
    expect(e).toBeInstanceOf(TpfrError);
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.fn, e.reason, e.expected, e.received]).toEqual([
      'CheckpointError',
      'readTorchCheckpoint',
      'truncated',
      'a storage of 8 bytes',
      '3 bytes',
    ]);
    expect(e.message).toBe('readTorchCheckpoint: expected a storage of 8 bytes, received 3 bytes');
  });

  it('another function name', () => {
    const e = new CheckpointError('corrupt', 'x', 'y', 'importTorch');
    expect([e.fn, e.message]).toEqual(['importTorch', 'importTorch: expected x, received y']);
  });
});

describe('ForbiddenGlobalError', () => {
  it('names the global, its offset and pickle, and the allow-list', () => {
    const e = new ForbiddenGlobalError('os.system', 42, 'archive/data.pkl', 'collections.OrderedDict, torch.FloatStorage');
    expect(e).toBeInstanceOf(CheckpointError);
    expect([e.name, e.reason, e.global, e.offset]).toEqual(['ForbiddenGlobalError', 'forbidden-global', 'os.system', 42]);
    expect(e.expected).toBe('only the globals a state_dict uses (collections.OrderedDict, torch.FloatStorage)');
    expect(e.received).toBe('global os.system at byte 42 of archive/data.pkl');
    expect(e.message).toBe(
      'readTorchCheckpoint: expected only the globals a state_dict uses (collections.OrderedDict, torch.FloatStorage), received global os.system at byte 42 of archive/data.pkl',
    );
  });
});

describe('UnknownOpcodeError', () => {
  it.each([
    [0x00, 0, 'opcode 0x00 at byte 0 of p'],
    [0x0a, 3, 'opcode 0x0a at byte 3 of p'],
    [0x1f, 1, 'opcode 0x1f at byte 1 of p'],
    [0x20, 1, "opcode 0x20 ' ' at byte 1 of p"],
    [0x21, 1, "opcode 0x21 '!' at byte 1 of p"],
    [0x53, 9, "opcode 0x53 'S' at byte 9 of p"],
    [0x7e, 1, "opcode 0x7e '~' at byte 1 of p"],
    [0x7f, 1, 'opcode 0x7f at byte 1 of p'],
    [0x90, 12345, 'opcode 0x90 at byte 12345 of p'],
    [0xff, 1, 'opcode 0xff at byte 1 of p'],
  ])('opcode %i at byte %i', (opcode, offset, received) => {
    const e = new UnknownOpcodeError(opcode, offset, 'p');
    expect(e).toBeInstanceOf(CheckpointError);
    expect([e.name, e.reason, e.opcode, e.offset]).toEqual(['UnknownOpcodeError', 'unknown-opcode', opcode, offset]);
    expect(e.expected).toBe('a pickle opcode of the state_dict subset (protocol 2 to 5)');
    expect(e.received).toBe(received);
    expect(e.message).toBe(
      `readTorchCheckpoint: expected a pickle opcode of the state_dict subset (protocol 2 to 5), received ${received}`,
    );
  });
});

// Here because this file imports neither module: imported inside the test, a module that throws
// while it builds its tables fails this test. (A failed static import fails a whole file, which
// then holds no test, and Stryker's vitest runner counts no failure: stryker-js#6150.)
describe('the dtype and allow-list tables built at import', () => {
  it('dtypes.js and state-dict.js load with every dtype and storage class', async () => {
    const { TORCH_DTYPES, STORAGE_DTYPES } = await import('./dtypes.js');
    const { STATE_DICT_GLOBALS, StorageType } = await import('./state-dict.js');
    expect(Object.values(TORCH_DTYPES).map((d) => d.dtype)).toEqual([
      'float32',
      'float64',
      'float16',
      'bfloat16',
      'int64',
      'int32',
      'int16',
      'int8',
      'uint8',
      'bool',
    ]);
    expect([...STORAGE_DTYPES.values()]).toEqual(Object.values(TORCH_DTYPES));
    const storages = [...STATE_DICT_GLOBALS].filter(([, impl]) => impl instanceof StorageType);
    expect(storages.map(([name, impl]) => [name, (impl as InstanceType<typeof StorageType>).info.dtype])).toEqual([
      ...[...STORAGE_DTYPES].map(([storage, info]) => [`torch.${storage}`, info.dtype]),
      ['torch.UntypedStorage', 'uint8'],
      ['torch.storage.UntypedStorage', 'uint8'],
    ]);
  });
});
