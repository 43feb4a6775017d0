import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';
import { TpfrError } from '@tpfr/core';

/*
 * The writer's lock of a folder (Node): a file `DIR.lock` beside it, created exclusively and
 * whole (a draft `DIR.lock.PID-THREAD` hard-linked into place; `open(…, 'wx')` where links are
 * not supported), holding the writer's pid, host and start time; removed when the write is done. A lock whose process is gone (same host, no such pid) is stale and is taken over; a
 * takeover is itself serialized by `DIR.lock.takeover`, so that two processes never both remove a
 * stale lock and one of them the other's fresh one.
 */

/** Who holds a folder's lock (the content of `DIR.lock`). */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** Another live process is writing the folder (or a lock file is being written right now). */
export class DirLockedError extends TpfrError {
  /** The folder. */
  readonly dir: string;
  /** The other writer, when its lock file could be read. */
  readonly owner: LockOwner | null;
  constructor(fn: string, dir: string, owner: LockOwner | null) {
    const who = owner
      ? `process ${owner.pid} on ${owner.host}, writing it since ${owner.since}`
      : 'a process whose lock file is being written';
    super(fn, `expected no other writer of ${dir}, received one: ${who} (lock ${lockFileOf(dir)}; remove it only if that process is gone)`);
    this.dir = dir;
    this.owner = owner;
  }
}

/** The lock file of the folder `dir`. */
export function lockFileOf(dir: string): string {
  return `${dir}.lock`;
}

/** A lock file this young without a readable owner is taken to be being written (not stale). */
const UNREADABLE_GRACE_MS = 5_000;
/** A takeover marker this old was left by a process that died taking over. */
const TAKEOVER_STALE_MS = 10_000;
/** Tries at taking a lock (each a few microseconds, or 5 ms when its owner is being written). */
const ATTEMPTS = 40;

/** Blocks the thread for `ms` (the lock is taken synchronously). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether the process `pid` of this host may still be running (it exists, or is another user's). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process of `owner` may still be running (another host: assumed so). */
export function ownerAlive(owner: LockOwner): boolean {
  return owner.host !== hostname() || pidAlive(owner.pid);
}

/** The lock file's text, its owner when it parses, and its age; null when there is none. */
function readLock(file: string): { text: string; owner: LockOwner | null; ageMs: number } | null {
  try {
    const text = readFileSync(file, 'utf8');
    const ageMs = Date.now() - statSync(file).mtimeMs;
    let owner: LockOwner | null = null;
    try {
      const o = JSON.parse(text) as LockOwner;
      if (Number.isInteger(o?.pid) && typeof o.host === 'string') owner = o;
    } catch {
      // being written, or cut short by a crash: judged by its age
    }
    return { text, owner, ageMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Creates `file` exclusively with `text` by `open(…, 'wx')`; false when it exists. */
function openExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The temporary file a lock is written in before it is linked into place. */
export const lockDraftOf = (file: string): string => `${file}.${process.pid}-${threadId}`;

/**
 * Creates `file` exclusively with `text`, whole: written to a draft, then hard-linked into place
 * (which fails when `file` exists), so that no reader, and no crash, ever sees it empty. Where
 * hard links are not supported, by `open(…, 'wx')`. False when `file` exists.
 */
function createExclusive(file: string, text: string): boolean {
  const draft = lockDraftOf(file);
  writeFileSync(draft, text);
  try {
    linkSync(draft, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return openExclusive(file, text);
    throw e;
  } finally {
    unlinkQuiet(draft);
  }
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Removes the stale lock whose text was `seen`, unless another process replaced it meanwhile. */
function takeOver(file: string, seen: string): void {
  const marker = `${file}.takeover`;
  if (!openExclusive(marker, String(process.pid))) {
    const m = readLock(marker);
    if (m && m.ageMs > TAKEOVER_STALE_MS) unlinkQuiet(marker);
    return; // another process is taking over: try again
  }
  try {
    if (readLock(file)?.text === seen) unlinkQuiet(file);
  } finally {
    unlinkQuiet(marker);
  }
}

/**
 * Takes the lock of the folder `dir` (its parent must exist) and returns its release. Throws
 * {@link DirLockedError} (named after `fn`) when a live process holds it; takes over a stale one.
 */
export function acquireDirLock(dir: string, fn: string): () => void {
  const file = lockFileOf(dir);
  const mine: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const text = JSON.stringify(mine);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (createExclusive(file, text)) {
      return () => {
        if (readLock(file)?.text === text) unlinkQuiet(file);
      };
    }
    const seen = readLock(file);
    if (seen === null) continue; // released meanwhile
    if (seen.owner && ownerAlive(seen.owner)) throw new DirLockedError(fn, dir, seen.owner);
    if (!seen.owner && seen.ageMs < UNREADABLE_GRACE_MS) {
      // Created an instant ago, its owner not written yet: read it again shortly.
      if (attempt === ATTEMPTS) throw new DirLockedError(fn, dir, null);
      sleepSync(5);
      continue;
    }
    takeOver(file, seen.text);
  }
  throw new TpfrError(
    fn,
    `expected to take the lock ${file} of ${dir}, received ${ATTEMPTS} failed attempts (other processes taking it over at the same time)`,
  );
}
