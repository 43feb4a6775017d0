import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readImage } from '@tpfr/models/node';
import { type captureCliOutput, stylizeFixture, writeNoiseImage } from './cli-harness.test-util.js';
import { main } from './main.js';

const fixture = stylizeFixture('tpfr-stylize-many-');
const { dir, modelDir, folder, style } = fixture;
let output: ReturnType<typeof captureCliOutput>;

beforeAll(async () => {
  output = await fixture.setUp();
  writeNoiseImage(join(folder, 'b.png'), 36, 40, 1);
  writeNoiseImage(join(folder, 'a.jpg'), 33, 33, 2);
  writeNoiseImage(join(dir, 'c.png'), 32, 44, 3);
  mkdirSync(join(dir, 'empty'));
  mkdirSync(join(dir, 'one'));
  writeNoiseImage(join(dir, 'one', 'only.png'), 32, 32, 5);
  writeFileSync(join(dir, 'one', 'notes.txt'), 'not an image');
});
afterAll(() => fixture.cleanUp());

const run = (...args: string[]) => {
  output.reset();
  return main(['stylize', '--model', modelDir, '--style', style, '--backend', 'wasm', '--quiet', ...args]);
};

it('stylizes a folder and more files into a folder, each as it would be alone', async () => {
  const out = join(dir, 'out');
  expect(await run('--content', folder, '--content', join(dir, 'c.png'), '--out', out, '--size', '32')).toBe(0);
  expect(readdirSync(out).sort()).toEqual(['a.png', 'b.png', 'c.png']);
  expect(output.text).toContain(`${out}: 3 images`);
  for (const [name, file] of [
    ['a', join(folder, 'a.jpg')],
    ['b', join(folder, 'b.png')],
    ['c', join(dir, 'c.png')],
  ]) {
    const alone = join(dir, `${name}-alone.png`);
    expect(await run('--content', file, '--out', alone, '--size', '32')).toBe(0);
    const [x, y] = [readImage(join(out, `${name}.png`)), readImage(alone)];
    expect(Array.from(x.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([x, y]);
  }
});

it('refuses an image path as --out for several contents, and a folder without images', async () => {
  expect(await run('--content', folder, '--out', join(dir, 'x.png'))).toBe(2);
  expect(output.text).toMatch(/option --out: expected a folder for 2 content images, received the image path '.*x\.png'/);
  expect(await run('--content', join(dir, 'empty'), '--out', join(dir, 'o'))).toBe(2);
  expect(output.text).toMatch(/option --content: expected a folder with PNG or JPEG images, received '.*empty' with none/);
});

it('a folder of one image still writes into an --out folder (created, however deep), skipping other files, with a progress bar', async () => {
  const out = join(dir, 'deep', 'er', 'out');
  output.reset();
  expect(
    await main(['stylize', '--model', modelDir, '--style', style, '--backend', 'wasm', '--content', join(dir, 'one'), '--out', out]),
  ).toBe(0);
  expect(readdirSync(out)).toEqual(['only.png']);
  expect(output.text).toContain(`${out}: 1 images`);
  // The bar (written when it stops, off a terminal): its label, the count and the last file.
  expect(output.text).toMatch(/stylize \[.*\] 1\/1 .*\| only\.png/);
});

it('two image files (no folder) also go into an --out folder', async () => {
  const out = join(dir, 'two');
  expect(await run('--content', join(dir, 'c.png'), '--content', join(folder, 'b.png'), '--out', out)).toBe(0);
  expect(readdirSync(out).sort()).toEqual(['b.png', 'c.png']);
});
