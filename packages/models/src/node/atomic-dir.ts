import { existsSync, readdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { TpfrError } from '@tpfr/core';
import { acquireDirLock, DirLockedError, pidAlive } from './dir-lock.js';

/*
 * Atomic folder writes (Node). A write of DIR, under DIR's lock (see dir-lock.ts):
 *
 * 1. `fill` writes into DIR.tpfr-tmp, whose files are then flushed to disk (fsync);
 * 2. DIR (if any) is renamed to DIR.tpfr-old;
 * 3. DIR.tpfr-tmp is renamed to DIR;
 * 4. DIR.tpfr-old is removed, and the lock.
 *
 * A process killed at any point leaves DIR complete (old or new), or absent with DIR.tpfr-old
 * complete (killed between 2 and 3). The next writer, or a reader through {@link recoverDir},
 * puts DIR.tpfr-old back in that case and removes what the dead writer left. A second process
 * writing DIR at the same time fails with a `DirLockedError` naming the folder and the writer.
 */

/** The folder `fill` writes into. */
export const tmpDirOf = (dir: string): string => `${dir}.tpfr-tmp`;
/** Where the folder being replaced waits until the new one is in place. */
export const oldDirOf = (dir: string): string => `${dir}.tpfr-old`;
/**
 * Siblings named after a writer's pid: `DIR.tmp-PID-TIME`, `DIR.old-PID-TIME` (the version before
 * the lock) and a lock's draft `DIR.lock.PID-THREAD`; a dead writer's may still be there.
 */
const BY_PID = /^(.*)\.(?:(tmp|old)-(\d+)-(\d+)|lock\.(\d+)-\d+)$/;

const rmAll = (p: string) => fs.rm(p, { recursive: true, force: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Flushes the file or folder entry `p` to disk (folders: where the platform allows it). */
async function syncEntry(p: string, isDirectory: boolean): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(p, 'r');
    await handle.sync();
  } catch (e) {
    if (!isDirectory) throw e; // folders cannot be opened for fsync on some platforms
  } finally {
    await handle?.close();
  }
}

/** Flushes the files and folders of the tree `p` to disk. */
async function syncTree(p: string): Promise<void> {
  const isDirectory = (await fs.stat(p)).isDirectory();
  if (isDirectory) {
    for (const name of await fs.readdir(p)) await syncTree(path.join(p, name));
  }
  await syncEntry(p, isDirectory);
}

/** What dead writers of `dir` left under their pids (see `BY_PID`), the newest folders first. */
function leftovers(dir: string): { path: string; kind: string }[] {
  const parent = path.dirname(dir);
  const base = path.basename(dir);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names
    .map((n) => ({ n, m: BY_PID.exec(n) }))
    .filter(({ m }) => m !== null && m[1] === base && !pidAlive(Number(m[3] ?? m[5])))
    .sort((a, b) => Number(b.m![4] ?? 0) - Number(a.m![4] ?? 0))
    .map(({ n, m }) => ({ path: path.join(parent, n), kind: m![2] ?? 'draft' }));
}

/**
 * What a dead writer of `dir` left, put right (the caller holds the lock): a folder moved aside
 * goes back when `dir` is missing; the temporary and moved-aside folders are removed.
 */
async function settle(dir: string): Promise<void> {
  const old = oldDirOf(dir);
  const left = leftovers(dir);
  if (!existsSync(dir)) {
    const aside = existsSync(old) ? old : left.find((l) => l.kind === 'old')?.path;
    if (aside) await fs.rename(aside, dir);
  }
  await rmAll(old);
  await rmAll(tmpDirOf(dir));
  for (const l of left) await rmAll(l.path);
}

/**
 * Writes a folder atomically: `fill` writes into a fresh temporary sibling of `dir`, which then
 * replaces `dir` (see the steps above). A crash, or an error in `fill`, never leaves a
 * half-written `dir`; a concurrent writer of the same `dir` fails with `DirLockedError` (a
 * `TpfrError` named after `fn`). The one atomic folder write of the package (models, checkpoints).
 */
export async function writeDirAtomically(dir: string, fill: (tmp: string) => Promise<void>, fn = 'writeDirAtomically'): Promise<void> {
  dir = path.resolve(dir);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const release = acquireDirLock(dir, fn);
  try {
    await settle(dir);
    const tmp = tmpDirOf(dir);
    const old = oldDirOf(dir);
    await fs.mkdir(tmp);
    try {
      await fill(tmp);
      await syncTree(tmp);
    } catch (e) {
      await rmAll(tmp);
      throw e;
    }
    let hadOld = false;
    try {
      await fs.rename(dir, old);
      hadOld = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        await rmAll(tmp);
        throw new TpfrError(fn, `expected to move ${dir} aside to ${old}, received ${(e as Error).message}`);
      }
    }
    try {
      await fs.rename(tmp, dir);
    } catch (e) {
      if (hadOld) await fs.rename(old, dir).catch(() => undefined);
      await rmAll(tmp);
      throw new TpfrError(fn, `expected to rename ${tmp} to ${dir}, received ${(e as Error).message}`);
    }
    await syncEntry(path.dirname(dir), true);
    if (hadOld) await rmAll(old);
  } finally {
    release();
  }
}

/**
 * Puts the folder `dir` back when its writer (`saveModel`, a training checkpoint) was killed
 * between moving the old folder aside and renaming the new one in: the old one is restored.
 * Readers call it before reading `dir` (`loadModel` and `TpfrTrainer.resume` do); it does
 * nothing, at the cost of one `stat`, when `dir` exists or nothing was moved aside. A live writer
 * in that moment is waited for (up to `waitMs`).
 * @param fn the caller, named in messages.
 * @throws TpfrError when another process still writes `dir` after `waitMs`.
 */
export async function recoverDir(dir: string, fn = 'recoverDir', waitMs = 10_000): Promise<void> {
  dir = path.resolve(dir);
  if (existsSync(dir) || !(existsSync(oldDirOf(dir)) || leftovers(dir).some((l) => l.kind === 'old'))) return;
  const deadline = Date.now() + waitMs;
  for (;;) {
    let release: () => void;
    try {
      release = acquireDirLock(dir, fn);
    } catch (e) {
      if (!(e instanceof DirLockedError) || Date.now() > deadline) throw e;
      await sleep(20);
      if (existsSync(dir)) return;
      continue;
    }
    try {
      await settle(dir);
    } finally {
      release();
    }
    return;
  }
}
