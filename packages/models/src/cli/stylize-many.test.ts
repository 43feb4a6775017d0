import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { readImage, writeImage } from '../image-io/file-io.js';
import { TpfrTrainer } from '../train/trainer.js';
import { saveModel } from '../node/model-folder.js';
import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-stylize-many-'));
const modelDir = join(dir, 'model');
const folder = join(dir, 'photos');
const style = join(dir, 'style.png');
let output = '';

beforeAll(async () => {
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { output += String(chunk); return true; });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { output += `${args.join(' ')}\n`; });
  await initBackend('wasm');
  const model = TpfrTrainer.createModel({ preset: 'tiny', ngf: 4, ndf: 4, residualBlocks: 1 }, 8);
  await saveModel(model, modelDir);
  model.dispose();
  mkdirSync(folder);
  writeImage(join(folder, 'b.png'), tf.tidy(() => tf.randomUniform([36, 40, 3], 0, 255, 'float32', 1) as tf.Tensor3D));
  writeImage(join(folder, 'a.jpg'), tf.tidy(() => tf.randomUniform([33, 33, 3], 0, 255, 'float32', 2) as tf.Tensor3D));
  writeImage(join(dir, 'c.png'), tf.tidy(() => tf.randomUniform([32, 44, 3], 0, 255, 'float32', 3) as tf.Tensor3D));
  writeImage(style, tf.tidy(() => tf.randomUniform([32, 32, 3], 0, 255, 'float32', 4) as tf.Tensor3D));
  mkdirSync(join(dir, 'empty'));
  mkdirSync(join(dir, 'one'));
  writeImage(join(dir, 'one', 'only.png'), tf.tidy(() => tf.randomUniform([32, 32, 3], 0, 255, 'float32', 5) as tf.Tensor3D));
  writeFileSync(join(dir, 'one', 'notes.txt'), 'not an image');
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => {
  output = '';
  return main(['stylize', '--model', modelDir, '--style', style, '--backend', 'wasm', '--quiet', ...args]);
};

it('stylizes a folder and more files into a folder, each as it would be alone', async () => {
  const out = join(dir, 'out');
  expect(await run('--content', folder, '--content', join(dir, 'c.png'), '--out', out, '--size', '32')).toBe(0);
  expect(readdirSync(out).sort()).toEqual(['a.png', 'b.png', 'c.png']);
  expect(output).toContain(`${out}: 3 images`);
  for (const [name, file] of [['a', join(folder, 'a.jpg')], ['b', join(folder, 'b.png')], ['c', join(dir, 'c.png')]]) {
    const alone = join(dir, `${name}-alone.png`);
    expect(await run('--content', file, '--out', alone, '--size', '32')).toBe(0);
    const [x, y] = [readImage(join(out, `${name}.png`)), readImage(alone)];
    expect(Array.from(x.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([x, y]);
  }
});

it('refuses an image path as --out for several contents, and a folder without images', async () => {
  expect(await run('--content', folder, '--out', join(dir, 'x.png'))).toBe(2);
  expect(output).toMatch(/option --out: expected a folder for 2 content images, received the image path '.*x\.png'/);
  expect(await run('--content', join(dir, 'empty'), '--out', join(dir, 'o'))).toBe(2);
  expect(output).toMatch(/option --content: expected a folder with PNG or JPEG images, received '.*empty' with none/);
});

it('a folder of one image still writes into an --out folder (created, however deep), skipping other files, with a progress bar', async () => {
  const out = join(dir, 'deep', 'er', 'out');
  output = '';
  expect(await main(['stylize', '--model', modelDir, '--style', style, '--backend', 'wasm', '--content', join(dir, 'one'), '--out', out])).toBe(0);
  expect(readdirSync(out)).toEqual(['only.png']);
  expect(output).toContain(`${out}: 1 images`);
  // The bar (written when it stops, off a terminal): its label, the count and the last file.
  expect(output).toMatch(/stylize \[.*\] 1\/1 .*\| only\.png/);
});

it('two image files (no folder) also go into an --out folder', async () => {
  const out = join(dir, 'two');
  expect(await run('--content', join(dir, 'c.png'), '--content', join(folder, 'b.png'), '--out', out)).toBe(0);
  expect(readdirSync(out).sort()).toEqual(['b.png', 'c.png']);
});
