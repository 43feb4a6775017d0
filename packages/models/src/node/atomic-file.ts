import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * Writes `bytes` to `file` atomically (Node): into a hidden temporary sibling
 * (`.NAME.tpfr-tmp-PID-THREAD`), flushed to disk, then renamed over `file`. A crash never leaves a
 * half-written `file` (the old one stays until the rename); of two processes writing `file` at
 * once, the last rename wins and the file is the one or the other, whole. The parent must exist.
 */
export function writeFileAtomicallySync(file: string, bytes: Uint8Array | string): void {
  const tmp = join(dirname(file), `.${basename(file)}.tpfr-tmp-${process.pid}-${threadId}`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      for (let at = 0; at < data.byteLength; ) at += writeSync(fd, data, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // not created, or renamed already
    }
    throw e;
  }
}
