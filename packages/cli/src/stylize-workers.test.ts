import * as tf from '@tensorflow/tfjs-core';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readImage } from '@tpfr/models/node';
import { type captureCliOutput, stylizeFixture, writeNoiseImage } from './cli-harness.test-util.js';
import { stylizeCommand, type StylizeCommandOptions } from './commands.js';
import { CliError } from './errors.js';
import { main } from './main.js';

const fixture = stylizeFixture('tpfr-stylize-workers-');
const { dir, modelDir, folder, style } = fixture;
// The workers run the command line from its TypeScript source, as the tests do.
const workerEntry = [process.execPath, '--import', 'tsx', fileURLToPath(new URL('./bin.ts', import.meta.url))];
let output: ReturnType<typeof captureCliOutput>;

beforeAll(async () => {
  output = await fixture.setUp();
  for (const [i, name] of ['a', 'b', 'c'].entries()) writeNoiseImage(join(folder, `${name}.png`), 32 + 4 * i, 36, 10 + i);
});
afterAll(() => fixture.cleanUp());

const options = (out: string, extra: Partial<StylizeCommandOptions> = {}): StylizeCommandOptions => ({
  model: modelDir,
  content: [folder],
  style: [style],
  out,
  stages: 'two-stage',
  backend: 'wasm',
  quiet: true,
  workerEntry,
  ...extra,
});

it('--jobs 2 shares a folder between two worker processes and writes what one process writes, bit for bit', async () => {
  const shared = join(dir, 'shared');
  const single = join(dir, 'single');
  output.reset();
  await stylizeCommand(options(shared, { jobs: '2', size: '32' }));
  expect(output.stdout).toContain(`${shared}: 3 images`);
  await stylizeCommand(options(single, { size: '32' }));
  expect(readdirSync(shared).sort()).toEqual(['a.png', 'b.png', 'c.png']);
  for (const name of ['a.png', 'b.png', 'c.png']) {
    const [x, y] = [readImage(join(shared, name)), readImage(join(single, name))];
    expect(Array.from(x.dataSync()), name).toEqual(Array.from(y.dataSync()));
    tf.dispose([x, y]);
  }
}, 120_000);

it('a failing worker fails the command with its own message and stops the others', async () => {
  const err = await stylizeCommand(options(join(dir, 'none'), { jobs: '3', model: join(dir, 'no-model') })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CliError);
  expect((err as CliError).exitCode).toBe(1);
  expect((err as CliError).message).toMatch(/^stylize --jobs: worker \d of 3 failed: --model .*no-model: not a model directory/);
}, 120_000);

it('refuses --jobs that is not a positive integer (a usage error)', async () => {
  output.reset();
  expect(
    await main(['stylize', '--model', modelDir, '--style', style, '--content', folder, '--out', join(dir, 'x'), '--jobs', '0', '--quiet']),
  ).toBe(2);
  expect(output.text).toMatch(/--jobs/);
});
