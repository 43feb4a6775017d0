/**
 * The zip checkpoint of PyTorch ≥ 1.6: a stored zip with `<archive>/data.pkl` (persistent ids
 * `('storage', type, key, location, numel)`), `<archive>/data/<key>` (each storage's raw
 * little-endian bytes) and, depending on the version, `<archive>/version`, `<archive>/byteorder`,
 * `<archive>/.data/serialization_id`...
 * @module
 */
import { CheckpointError } from './errors.js';
import { STATE_DICT_GLOBALS, STATE_DICT_GLOBALS_TEXT, storageResolver, type StorageRef } from './state-dict.js';
import { unpickle } from './unpickler.js';
import { readZipEntries, storedEntryBytes, type ZipEntry } from './zip-reader.js';
import type { ParsedCheckpoint } from './types.js';

/** Parses a zip checkpoint up to (not including) copying tensor bytes. */
export function parseZipCheckpoint(bytes: Uint8Array): ParsedCheckpoint {
  const entries = readZipEntries(bytes);
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
  // As PyTorch does: the archive folder is the first entry's top folder.
  const first = entries[0]?.name;
  // `archive/`, or '' when the first entry has no folder (undefined when there is no entry).
  const folder = first?.slice(0, first.indexOf('/') + 1);
  const pklEntry = folder ? byName.get(`${folder}data.pkl`) : undefined;
  if (pklEntry === undefined) {
    const listed = entries
      .slice(0, 5)
      .map((e) => `'${e.name}'`)
      .join(', ');
    throw new CheckpointError(
      'not-a-checkpoint',
      'a PyTorch zip checkpoint with an entry <archive>/data.pkl',
      entries.length === 0
        ? 'an empty zip archive'
        : `a zip whose entries are ${listed}${entries.length > 5 ? `, … (${entries.length})` : ''}`,
    );
  }
  const byteorder = byName.get(`${folder}byteorder`);
  if (byteorder !== undefined) {
    const order = new TextDecoder().decode(storedEntryBytes(bytes, byteorder)).trim();
    if (order !== 'little')
      throw new CheckpointError('unsupported', `little-endian storages (${folder}byteorder 'little')`, `'${order.slice(0, 20)}'`);
  }
  const pkl = storedEntryBytes(bytes, pklEntry);
  const regions = new Map<string, Uint8Array>();
  const check = (ref: StorageRef): void => {
    const name = `${folder}data/${ref.key}`;
    const entry = byName.get(name);
    const needed = ref.numel * ref.info.bytes;
    if (entry === undefined)
      throw new CheckpointError(
        'corrupt',
        `an entry '${name}' for storage '${ref.key}' (${ref.numel} × ${ref.info.dtype})`,
        'no such entry',
      );
    if (!(needed <= entry.size)) {
      throw new CheckpointError('truncated', `${needed} bytes in '${name}' (${ref.numel} × ${ref.info.dtype})`, `${entry.size} bytes`);
    }
    regions.set(ref.key, storedEntryBytes(bytes, entry).subarray(0, needed));
  };
  const { load } = storageResolver(false, check);
  const where = `${folder}data.pkl`;
  const { value } = unpickle(pkl, 0, { where, globals: STATE_DICT_GLOBALS, allowedText: STATE_DICT_GLOBALS_TEXT, persistentLoad: load });
  return { format: 'zip', root: value, where, pickleBytes: pkl.length, regions };
}
