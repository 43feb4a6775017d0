/**
 * The legacy checkpoint of PyTorch < 1.6 (and of `_use_new_zipfile_serialization=False`): five
 * pickles back to back (magic number 0x1950a86a20f9469cfc6c, protocol version 1001, `sys_info`,
 * the state dict with persistent ids `('storage', type, key, location, numel, view)`, the list of
 * storage keys), then for each key in that order an int64 element count and the raw bytes.
 * @module
 */
import { CheckpointError } from './errors.js';
import { ByteCursor } from './byte-cursor.js';
import { STATE_DICT_GLOBALS, STATE_DICT_GLOBALS_TEXT, storageResolver, type StorageRef } from './state-dict.js';
import { describe, isList, unpickle, type UnpickleOptions } from './unpickler.js';
import type { ParsedCheckpoint } from './types.js';

/** The legacy magic number. */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/** The legacy protocol version. */
export const LEGACY_PROTOCOL = 1001;

const plain = (where: string): UnpickleOptions => ({ where, globals: new Map(), allowedText: 'none (plain data)' });

/** Parses a legacy checkpoint up to (not including) copying tensor bytes. */
export function parseLegacyCheckpoint(bytes: Uint8Array): ParsedCheckpoint {
  const magic = unpickle(bytes, 0, plain('the legacy magic-number pickle'));
  if (magic.value !== LEGACY_MAGIC) {
    throw new CheckpointError(
      'not-a-checkpoint',
      'the legacy PyTorch magic number 0x1950a86a20f9469cfc6c as the first pickle',
      describe(magic.value),
    );
  }
  const protocol = unpickle(bytes, magic.end, plain('the legacy protocol-version pickle'));
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw new CheckpointError('unsupported', `legacy protocol version ${LEGACY_PROTOCOL}`, describe(protocol.value));
  }
  const sysInfo = unpickle(bytes, protocol.end, plain('the legacy sys_info pickle'));
  if (!(sysInfo.value instanceof Map)) throw new CheckpointError('corrupt', 'a sys_info dict as the third pickle', describe(sysInfo.value));
  if (sysInfo.value.get('little_endian') === false) {
    throw new CheckpointError(
      'unsupported',
      'a checkpoint saved on a little-endian machine (sys_info little_endian True)',
      'little_endian False',
    );
  }

  const where = 'the legacy state-dict pickle';
  const maxBytes = bytes.length;
  const check = (ref: StorageRef): void => {
    // Early bound; the exact check is against the count in front of the storage's bytes.
    if (!(ref.numel * ref.info.bytes <= maxBytes)) {
      throw new CheckpointError(
        'truncated',
        `storage '${ref.key}' of ${ref.numel} × ${ref.info.dtype} (${ref.numel * ref.info.bytes} bytes) inside the file`,
        `a file of ${maxBytes} bytes`,
      );
    }
  };
  const { load, storages } = storageResolver(true, check);
  const state = unpickle(bytes, sysInfo.end, {
    where,
    globals: STATE_DICT_GLOBALS,
    allowedText: STATE_DICT_GLOBALS_TEXT,
    persistentLoad: load,
  });
  const keysPickle = unpickle(bytes, state.end, plain('the legacy storage-key list pickle'));
  const keys = keysPickle.value;
  if (!isList(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new CheckpointError('corrupt', 'a list of storage keys as the fifth pickle', describe(keys));
  }

  const regions = new Map<string, Uint8Array>();
  const c = new ByteCursor(bytes, 'the legacy storage data', keysPickle.end);
  for (const key of keys as string[]) {
    const ref = storages.get(key);
    if (ref === undefined)
      throw new CheckpointError('corrupt', `storage key '${key}' of the key list used by the state dict`, 'a key it never references');
    if (regions.has(key)) throw new CheckpointError('corrupt', 'each storage key once in the key list', `'${key}' twice`);
    const at = c.pos;
    const count = c.i64(`the element count of storage '${key}'`);
    if (count !== BigInt(ref.numel)) {
      throw new CheckpointError(
        'corrupt',
        `${ref.numel} elements for storage '${key}' at byte ${at} (as its persistent id says)`,
        `${count}`,
      );
    }
    regions.set(key, c.take(ref.numel * ref.info.bytes, `storage '${key}' (${ref.numel} × ${ref.info.dtype})`));
  }
  for (const key of storages.keys()) {
    if (!regions.has(key))
      throw new CheckpointError(
        'corrupt',
        `storage '${key}' of the state dict in the key list`,
        `a list of ${keys.length} keys without it`,
      );
  }
  return { format: 'legacy', root: state.value, where, pickleBytes: state.end - sysInfo.end, regions };
}
