import * as fs from 'node:fs/promises';

/**
 * Writes a folder atomically: `fill` writes into a fresh temporary sibling of `dir`, which then
 * replaces `dir` by renames (the old folder, if any, is moved aside first and removed last). A
 * crash or an error in `fill` never leaves a half-written `dir`; the temporary folder is removed
 * on error. The one atomic folder write of the package (models, checkpoints).
 */
export async function writeDirAtomically(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = `${dir}.old-${process.pid}-${Date.now()}`;
  let hadOld = false;
  try {
    await fs.rename(dir, old);
    hadOld = true;
  } catch {
    // nothing there yet
  }
  await fs.rename(tmp, dir);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}
