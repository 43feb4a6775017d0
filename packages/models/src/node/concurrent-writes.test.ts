import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CHILD, checkCheckpointFolder, startChild, type Child } from '@tpfr/testing/crash-testing';
import { acquireDirLock } from './dir-lock.js';

/*
 * Concurrency: two processes writing the same model or checkpoint folder at once never leave a
 * mix; one wins, the other fails with an error naming the folder and the winner. Two
 * `tpfr import-torch` into one folder: packages/cli/src/concurrent-writes.test.ts.
 */

const dir = mkdtempSync(join(tmpdir(), 'tpfr-concurrent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (d: string) =>
  Object.fromEntries(
    readdirSync(d)
      .sort()
      .map((n) => [n, readFileSync(join(d, n), 'latin1')]),
  );
/** What the write child writes for `label`. */
const written = (label: string) => ({ 'a.txt': label, 'b.bin': label[0].repeat(65536), 'c.txt': label });
const exitCode = async (c: Child) => (await c.exited).code;

it('of two processes writing one folder at once (slow fills), one wins whole and the other fails naming the folder and the winner', async () => {
  for (const [round, labels] of [
    ['A', 'B'],
    ['C', 'D'],
    ['E', 'F'],
  ].entries()) {
    const out = join(dir, `slow${round}`);
    const startAt = Date.now() + 1500;
    const children = labels.map((label) => startChild(CHILD.write, [out, label, String(startAt), '800']));
    const codes = await Promise.all(children.map(exitCode));
    expect(codes.slice().sort(), children.map((c) => c.lines.join(' ') + c.stderr()).join('\n')).toEqual([0, 3]);
    const winner = codes.indexOf(0);
    const loser = children[1 - winner];
    expect(loser.lines[0]).toMatch(
      new RegExp(
        `^locked writeDirAtomically: expected no other writer of ${out}, received one: process ${children[winner].proc.pid} on .*, writing it since .* \\(lock ${out}\\.lock; remove it only if that process is gone\\)$`,
      ),
    );
    expect(read(out)).toEqual(written(labels[winner]));
    expect(readdirSync(dir).filter((n) => n.startsWith(`slow${round}`))).toEqual([`slow${round}`]);
  }
  // One after the other, both succeed and the folder is the second's.
  const out = join(dir, 'sequential');
  const first = startChild(CHILD.write, [out, 'X', '0', '0']);
  expect(await exitCode(first)).toBe(0);
  const second = startChild(CHILD.write, [out, 'Y', '0', '0']);
  expect(await exitCode(second)).toBe(0);
  expect(read(out)).toEqual(written('Y'));
}, 60_000);

it("of two trainers checkpointing into one folder at once, the checkpoint is one run's, byte for byte; a loser fails naming the folder", async () => {
  const steps = '6';
  const refs = await Promise.all(
    [5, 6].map(async (seed) => {
      const ref = join(dir, `train${seed}`);
      const child = startChild(CHILD.train, [ref, steps, steps, String(seed)]);
      expect(await exitCode(child), child.stderr()).toBe(0);
      return ref;
    }),
  );
  // While another process (this one) writes the folder, a trainer fails at its first checkpoint and writes nothing.
  const held = join(dir, 'held');
  const release = acquireDirLock(held, 'test');
  const blocked = startChild(CHILD.train, [held, steps, '2', '5']);
  expect(await exitCode(blocked)).toBe(1);
  release();
  expect(blocked.lines.slice(-2)).toEqual([
    'saving 2',
    `error writeCheckpoint: expected no other writer of ${held}, received one: process ${process.pid} on ${blocked.lines.at(-1)!.split(' on ')[1]}`,
  ]);
  expect(readdirSync(dir)).not.toContain('held');
  // Both at once: the checkpoint is one run's.
  const shared = join(dir, 'shared');
  const children = [5, 6].map((seed) => startChild(CHILD.train, [shared, steps, '1', String(seed)]));
  const codes = await Promise.all(children.map(exitCode));
  children.forEach((c, i) => {
    if (codes[i] !== 0)
      expect(c.lines.at(-1)).toMatch(
        new RegExp(`^error writeCheckpoint: expected no other writer of ${shared}, received one: process ${children[1 - i].proc.pid} `),
      );
  });
  expect(codes).toContain(0);
  expect(checkCheckpointFolder(shared)).toBe(6);
  const seed = JSON.parse(readFileSync(join(shared, 'trainer.json'), 'utf8')).options.seed as number;
  const ref = refs[seed - 5];
  for (const file of ['trainer.json', 'state.bin', 'model/model.json', 'model/weights.bin']) {
    expect(readFileSync(join(shared, file)).equals(readFileSync(join(ref, file))), file).toBe(true);
  }
  console.log(`trainers: exit codes ${codes.join(', ')}; the checkpoint is seed ${seed}'s`);
}, 90_000);
