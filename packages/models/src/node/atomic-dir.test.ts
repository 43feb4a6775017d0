import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { TpfrError } from '@tpfr/core';
import { oldDirOf, recoverDir, tmpDirOf, writeDirAtomically } from './atomic-dir.js';
import { writeFileAtomicallySync } from './atomic-file.js';
import { acquireDirLock, DirLockedError, lockFileOf } from './dir-lock.js';
import { readModelManifest } from './model-folder.js';

const root = mkdtempSync(join(tmpdir(), 'tpfr-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A pid no process has (a child that has exited). */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;
const lockOf = (pid: number) => JSON.stringify({ pid, host: hostname(), since: '2020-01-01T00:00:00.000Z' });
const fillWith = (files: Record<string, string>) => async (tmp: string) => {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text);
};
const read = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((n) => [n, readFileSync(join(dir, n), 'utf8')]),
  );
let n = 0;
const fresh = () => {
  const parent = join(root, `case${n++}`);
  mkdirSync(parent);
  return { parent, dir: join(parent, 'out') };
};

it('writes and replaces a folder, leaving no temporary, moved-aside or lock sibling; an error in fill keeps the old one', async () => {
  const { parent, dir } = fresh();
  await writeDirAtomically(dir, fillWith({ a: '1', b: '1' }));
  await writeDirAtomically(dir, fillWith({ a: '2' }));
  expect(read(dir)).toEqual({ a: '2' });
  expect(readdirSync(parent)).toEqual(['out']);
  await expect(
    writeDirAtomically(dir, async (tmp) => {
      writeFileSync(join(tmp, 'a'), 'half');
      throw new Error('disk full');
    }),
  ).rejects.toThrow('disk full');
  expect(read(dir)).toEqual({ a: '2' });
  expect(readdirSync(parent)).toEqual(['out']);
  // Missing parents are made.
  await writeDirAtomically(join(parent, 'x', 'y'), fillWith({ c: '3' }));
  expect(read(join(parent, 'x', 'y'))).toEqual({ c: '3' });
});

it('puts the old folder back when its writer died between its two renames (readers and the next writer), and removes what the dead writer left', async () => {
  // Killed after moving the old folder aside: DIR missing, DIR.tpfr-old whole, DIR.tpfr-tmp, a stale lock.
  const killed = (files: Record<string, string>) => {
    const c = fresh();
    mkdirSync(oldDirOf(c.dir));
    for (const [k, v] of Object.entries(files)) writeFileSync(join(oldDirOf(c.dir), k), v);
    mkdirSync(tmpDirOf(c.dir));
    writeFileSync(join(tmpDirOf(c.dir), 'a'), 'new');
    writeFileSync(lockFileOf(c.dir), lockOf(deadPid()));
    return c;
  };
  const a = killed({ a: 'old' });
  await recoverDir(a.dir);
  expect(read(a.dir)).toEqual({ a: 'old' });
  expect(readdirSync(a.parent)).toEqual(['out']);
  // The next writer does the same before writing.
  const b = killed({ a: 'old' });
  await writeDirAtomically(b.dir, fillWith({ a: 'next' }));
  expect(read(b.dir)).toEqual({ a: 'next' });
  expect(readdirSync(b.parent)).toEqual(['out']);
  // Reading a model or a checkpoint puts it back first.
  const c = killed({ 'tpfr-model.json': JSON.stringify({ format: 'tpfr-model', version: 2, config: {} }) });
  expect((await readModelManifest(c.dir)).format).toBe('tpfr-model');
  // Killed after the new folder was in place, while removing the old one: the next writer removes the rest.
  const d = fresh();
  await writeDirAtomically(d.dir, fillWith({ a: 'new' }));
  mkdirSync(oldDirOf(d.dir));
  writeFileSync(join(oldDirOf(d.dir), 'a'), 'ol');
  await recoverDir(d.dir); // DIR exists: a reader changes nothing
  expect(existsSync(oldDirOf(d.dir))).toBe(true);
  await writeDirAtomically(d.dir, fillWith({ a: 'newer' }));
  expect(readdirSync(d.parent)).toEqual(['out']);
  // The names of the version before the lock: DIR.old-PID-TIME of a dead writer goes back too; its other leftovers go.
  const e = fresh();
  const legacy = join(e.parent, `out.old-${deadPid()}-1700000000000`);
  mkdirSync(legacy);
  writeFileSync(join(legacy, 'a'), 'legacy');
  mkdirSync(join(e.parent, `out.tmp-${deadPid()}-1700000000001`));
  writeFileSync(join(e.parent, `out.lock.${deadPid()}-0`), lockOf(1)); // a lock's draft
  await recoverDir(e.dir);
  expect(read(e.dir)).toEqual({ a: 'legacy' });
  expect(readdirSync(e.parent)).toEqual(['out']);
  // With nothing moved aside, a reader finds nothing to do (and writes nothing).
  const f = fresh();
  await recoverDir(f.dir);
  expect(readdirSync(f.parent)).toEqual([]);
});

it("refuses a second writer while one writes, naming the function, the folder and the writer; the folder is the first one's", async () => {
  const { parent, dir } = fresh();
  let second: Promise<void> | undefined;
  await writeDirAtomically(dir, async (tmp) => {
    writeFileSync(join(tmp, 'a'), 'first');
    second = writeDirAtomically(dir, fillWith({ a: 'second' }), 'saveModel');
    await second.catch(() => undefined);
  });
  const err = await second!.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DirLockedError);
  expect(err).toBeInstanceOf(TpfrError);
  expect((err as Error).message).toBe(
    `saveModel: expected no other writer of ${dir}, received one: process ${process.pid} on ${hostname()}, writing it since ${(err as DirLockedError).owner!.since} (lock ${dir}.lock; remove it only if that process is gone)`,
  );
  expect(read(dir)).toEqual({ a: 'first' });
  expect(readdirSync(parent)).toEqual(['out']);
});

it('takes over a stale lock (dead process, or unreadable and old), but not a live or a fresh unreadable one', () => {
  const { dir } = fresh();
  writeFileSync(lockFileOf(dir), lockOf(deadPid()));
  const release = acquireDirLock(dir, 'f');
  expect(JSON.parse(readFileSync(lockFileOf(dir), 'utf8')).pid).toBe(process.pid);
  release();
  expect(existsSync(lockFileOf(dir))).toBe(false);
  // Cut short by a crash while being written: held for a few seconds, then stale.
  writeFileSync(lockFileOf(dir), '');
  expect(() => acquireDirLock(dir, 'f')).toThrow(
    /^f: expected no other writer of .*out, received one: a process whose lock file is being written/,
  );
  utimesSync(lockFileOf(dir), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  acquireDirLock(dir, 'f')();
  // A live process (this test's parent) holds it; one on another host is taken to be alive.
  writeFileSync(lockFileOf(dir), lockOf(process.ppid));
  expect(() => acquireDirLock(dir, 'f')).toThrow(`process ${process.ppid} on ${hostname()}`);
  writeFileSync(lockFileOf(dir), JSON.stringify({ pid: deadPid(), host: 'elsewhere', since: 'then' }));
  expect(() => acquireDirLock(dir, 'f')).toThrow(DirLockedError);
  rmSync(lockFileOf(dir));
});

it('a reader waits for a live writer that is between its two renames, then gives up naming it', async () => {
  const { dir } = fresh();
  mkdirSync(oldDirOf(dir));
  const release = acquireDirLock(dir, 'writer');
  await expect(recoverDir(dir, 'loadModel', 60)).rejects.toThrow(/^loadModel: expected no other writer of /);
  setTimeout(release, 50);
  await recoverDir(dir, 'loadModel');
  expect(existsSync(dir)).toBe(true);
});

it('writes a file atomically: replaced whole, no temporary left, none on failure', () => {
  const { parent } = fresh();
  const file = join(parent, 'x.png');
  writeFileAtomicallySync(file, new Uint8Array([1, 2, 3]));
  writeFileAtomicallySync(file, 'text');
  expect(readFileSync(file, 'utf8')).toBe('text');
  expect(readdirSync(parent)).toEqual(['x.png']);
  mkdirSync(join(parent, 'folder.png'));
  expect(() => writeFileAtomicallySync(join(parent, 'folder.png'), 'x')).toThrow(/EISDIR|EEXIST|ENOTEMPTY|EPERM/);
  expect(readdirSync(parent).sort()).toEqual(['folder.png', 'x.png']);
  expect(() => writeFileAtomicallySync(join(parent, 'no', 'such.png'), 'x')).toThrow(/ENOENT/);
});
