import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createRng } from '@tpfr/core/utils';
import { CHILD, checkCheckpointFolder, killAfter, leftAt, startChild, type Child } from '@tpfr/testing/crash-testing';
import { recoverDir } from './atomic-dir.js';

/*
 * Crash safety: training runs killed with SIGKILL at seeded random moments, most inside
 * checkpoint writes, never leave a half-written checkpoint where a whole one was, and the last
 * checkpoint resumes the uninterrupted run exactly (wasm, one thread: deterministic). The same
 * for `tpfr import-torch`'s model writes: packages/cli/src/crash-safety.test.ts.
 */

const dir = mkdtempSync(join(tmpdir(), 'tpfr-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STEPS = 10;
const SEED = 5;

/** The losses a child printed, by step. */
function printedLosses(child: Child): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>();
  for (const line of child.lines) {
    const m = /^step (\d+) (.*)$/.exec(line);
    if (m) out.set(Number(m[1]), JSON.parse(m[2]));
  }
  return out;
}

/** Steps whose checkpoint the child had finished writing when it died (a later line came). */
function confirmedSaves(child: Child): number[] {
  const done: number[] = [];
  child.lines.forEach((line, i) => {
    const m = /^saving (\d+)$/.exec(line);
    if (m && i + 1 < child.lines.length) done.push(Number(m[1]));
  });
  return done;
}

it('a training run SIGKILLed 10 times at seeded moments (most inside checkpoint writes) always leaves a whole checkpoint that resumes the uninterrupted run', async () => {
  // The uninterrupted run, in a child of its own.
  const ref = startChild(CHILD.train, [join(dir, 'ref'), String(STEPS), String(STEPS), String(SEED)]);
  expect((await ref.exited).code, ref.stderr()).toBe(0);
  const reference = printedLosses(ref);
  expect(reference.size).toBe(STEPS);

  const rng = createRng(20240611);
  const ckpt = join(dir, 'run');
  let started: number[] = []; // the steps whose checkpoint a child of this run began writing
  let insideWrites = 0;
  let resumedRuns = 0;
  for (let round = 0; round <= 10; round++) {
    const before = leftAt(ckpt, checkCheckpointFolder);
    const every = rng.pick([1, 2]);
    const fresh = before === 'absent';
    if (fresh) started = [];
    const child = startChild(CHILD.train, [ckpt, String(STEPS), String(every), String(SEED), ...(fresh ? [] : ['resume'])]);
    const last = round === 10; // the last child runs to the end
    const kind = last ? 'none' : round % 3 === 0 ? 'timer' : 'write';
    if (kind === 'timer') killAfter(child, rng.uniform(100, 1500));
    if (kind === 'write') {
      const nth = rng.int(1, 3);
      const delay = rng.uniform(0, 20);
      let seen = 0;
      child.onLine((line) => {
        if (line.startsWith('saving ') && ++seen === nth) killAfter(child, delay);
      });
    }
    const { code, signal } = await child.exited;
    if (signal === null) expect(code, `round ${round}: ${child.lines.at(-1)}`).toBe(0);
    // Every step a child printed, fresh or resumed, has the uninterrupted run's losses.
    const resumedAt = child.lines.find((l) => l.startsWith('resumed '));
    if (resumedAt) resumedRuns++;
    for (const [step, losses] of printedLosses(child)) expect(losses, `round ${round}, step ${step}`).toEqual(reference.get(step));
    started.push(...child.lines.filter((l) => l.startsWith('saving ')).map((l) => Number(l.slice(7))));
    if (existsSync(`${ckpt}.lock`)) insideWrites++;
    // What is left is whole (or whole and moved aside), never half-written...
    const after = leftAt(ckpt, checkCheckpointFolder);
    const confirmed = confirmedSaves(child);
    if (confirmed.length > 0 || before !== 'absent') expect(after, `round ${round}`).not.toBe('absent');
    if (after !== 'absent') {
      // ...and, once put right by a reader, holds a step some child began to save, at least the last one saved.
      await recoverDir(ckpt);
      const step = checkCheckpointFolder(ckpt);
      expect(started).toContain(step);
      expect(step).toBeGreaterThanOrEqual(Math.max(0, ...confirmed));
      if (step === STEPS && !last) rmSync(ckpt, { recursive: true }); // a finished run: start another
    }
    if (last) {
      expect(signal).toBe(null);
      expect(child.lines.at(-1)).toBe('done');
      expect(checkCheckpointFolder(ckpt)).toBe(STEPS);
    }
  }
  expect(resumedRuns).toBeGreaterThanOrEqual(3);
  expect(insideWrites).toBeGreaterThanOrEqual(2);
  // The writers after each kill removed what it left: only the checkpoint remains.
  expect(readdirSync(dir).sort()).toEqual(['ref', 'run']);
  expect(readdirSync(ckpt).sort()).toEqual(['model', 'state.bin', 'trainer.json']);
}, 180_000);
