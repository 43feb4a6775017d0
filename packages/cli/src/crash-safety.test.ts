import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { createRng } from '@tpfr/core/utils';
import { loadModel, recoverDir } from '@tpfr/models/node';
import { CHILD, checkModelFolder, importTorchFixtures, killAfter, leftAt, startChild, whenCreated } from '@tpfr/testing/crash-testing';
// Where a writer killed mid-replace leaves the old folder (an internal of @tpfr/models, from its source).
import { oldDirOf } from '../../models/src/node/atomic-dir.js';

/*
 * Crash safety of `tpfr import-torch` (the trainer's: packages/models/src/node/crash-safety.test.ts):
 * imports killed with SIGKILL at seeded random moments, most inside the model write, never leave
 * a half-written model folder where a whole one was.
 */

const dir = mkdtempSync(join(tmpdir(), 'tpfr-cli-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('tpfr import-torch SIGKILLed 6 times at seeded moments (most inside the model write) leaves the old model or the new one, whole', async () => {
  await initBackend('cpu');
  const imports = importTorchFixtures(dir);
  const importInto = (which: number, out: string) => {
    const [script, ...args] = imports[which](out);
    return startChild(script, args);
  };
  // The two models, imported without interruption.
  const refs: Buffer[] = [];
  for (const i of [0, 1]) {
    const child = importInto(i, join(dir, `ref${i}`));
    expect((await child.exited).code, child.stderr()).toBe(0);
    refs.push(checkModelFolder(join(dir, `ref${i}`)));
  }
  expect(refs[0].equals(refs[1])).toBe(false);
  const outs = join(dir, 'imports');
  mkdirSync(outs);
  const out = join(outs, 'model');
  const first = importInto(0, out);
  expect((await first.exited).code, first.stderr()).toBe(0);

  const rng = createRng(7);
  let insideWrites = 0;
  for (let round = 0; round < 6; round++) {
    const which = (round + 1) % 2; // alternately the other model: old and new differ
    const child = importInto(which, out);
    // Killed at a random time (every third round), or the moment the write takes the folder's lock.
    let stop: () => void = () => undefined;
    if (round % 3 === 2) killAfter(child, rng.uniform(200, 2000));
    else stop = whenCreated(outs, 'model.lock', () => killAfter(child, rng.uniform(0, 8)));
    const { code, signal } = await child.exited;
    stop();
    if (signal === null) expect(code, child.stderr()).toBe(0);
    if (existsSync(`${out}.lock`)) insideWrites++;
    expect(leftAt(out, checkModelFolder), `round ${round}`).not.toBe('absent');
    await recoverDir(out);
    const weights = checkModelFolder(out);
    const isOld = weights.equals(refs[1 - which]);
    expect(isOld || weights.equals(refs[which]), `round ${round}: the weights are one model's`).toBe(true);
    if (signal === null) expect(isOld).toBe(false);
    const model = await loadModel(out);
    model.dispose();
  }
  expect(insideWrites).toBeGreaterThanOrEqual(1);
  // A last, uninterrupted import removes what the killed ones left.
  const last = importInto(0, out);
  expect((await last.exited).code, last.stderr()).toBe(0);
  expect(readdirSync(outs)).toEqual(['model']);
  expect(checkModelFolder(out).equals(refs[0])).toBe(true);
  expect(JSON.parse(readFileSync(join(out, 'tpfr-model.json'), 'utf8')).importedFrom.generator.file).toBe('G2.pth');
  // Killed between its two renames (the old model moved aside, none in place): the CLI's readers put it back.
  renameSync(out, oldDirOf(out));
  const info = startChild(CHILD.cli, ['info', '--model', out]);
  expect((await info.exited).code, info.stderr()).toBe(0);
  expect(readdirSync(outs)).toEqual(['model']);
  expect(tf.memory().numTensors).toBe(0);
}, 120_000);
