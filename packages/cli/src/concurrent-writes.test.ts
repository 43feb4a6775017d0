import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { checkModelFolder, importTorchFixtures, startChild, type Child } from '@tpfr/testing/crash-testing';
// The folder lock of @tpfr/models' writers (an internal, from its source): held here to block an import.
import { acquireDirLock } from '../../models/src/node/dir-lock.js';

/*
 * Concurrency of `tpfr import-torch` (the folder writers': packages/models/src/node/concurrent-writes.test.ts):
 * two imports into the same --out at once never leave a mix; one wins, the other fails with an
 * error naming the folder and the winner.
 */

const dir = mkdtempSync(join(tmpdir(), 'tpfr-cli-concurrent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exitCode = async (c: Child) => (await c.exited).code;

it('of two tpfr import-torch into one --out at once, the folder is one of the two imports byte for byte, loadable; a loser fails naming the folder', async () => {
  const imports = importTorchFixtures(dir);
  const run = (which: number, out: string) => {
    const [script, ...args] = imports[which](out);
    return startChild(script, args);
  };
  const refs = [];
  for (const which of [0, 1]) {
    const ref = join(dir, `ref${which}`);
    const child = run(which, ref);
    expect(await exitCode(child), child.stderr()).toBe(0);
    refs.push({ weights: checkModelFolder(ref), topology: readFileSync(join(ref, 'model.json')) });
  }
  const outs = join(dir, 'imports');
  mkdirSync(outs);
  // While another process (this one) writes --out, an import fails naming it, and leaves --out as it was.
  const held = join(outs, 'held');
  const first = run(0, held);
  expect(await exitCode(first)).toBe(0);
  const release = acquireDirLock(held, 'test');
  const blocked = run(1, held);
  expect(await exitCode(blocked)).toBe(1);
  release();
  expect(blocked.stderr()).toMatch(
    new RegExp(
      `^tpfr: saveModel: expected no other writer of ${held}, received one: process ${process.pid} on .* \\(lock ${held}\\.lock; remove it only if that process is gone\\)$`,
      'm',
    ),
  );
  expect(checkModelFolder(held).equals(refs[0].weights)).toBe(true);
  rmSync(held, { recursive: true });
  // Both at once: whichever order the writes take, the folder is one import's.
  let lost = 0;
  for (let round = 0; round < 3; round++) {
    const out = join(outs, `model${round}`);
    const children = [run(0, out), run(1, out)];
    const codes = await Promise.all(children.map(exitCode));
    children.forEach((c, i) => {
      if (codes[i] !== 0) {
        lost++;
        expect(codes[i]).toBe(1);
        expect(c.stderr()).toMatch(
          new RegExp(`^tpfr: saveModel: expected no other writer of ${out}, received one: process ${children[1 - i].proc.pid} `, 'm'),
        );
      }
    });
    expect(codes).toContain(0);
    const weights = checkModelFolder(out);
    const which = refs.findIndex((r) => r.weights.equals(weights));
    expect(which, `round ${round}: the weights are one import's`).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(out, 'model.json')).equals(refs[which].topology)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'tpfr-model.json'), 'utf8')).importedFrom.generator.file).toBe(`G${which + 2}.pth`);
    expect(codes[which]).toBe(0);
  }
  expect(readdirSync(outs).sort()).toEqual(['model0', 'model1', 'model2']);
  console.log(`import-torch: ${lost} of 3 rounds had a loser`);
}, 90_000);
