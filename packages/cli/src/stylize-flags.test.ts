import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { readImage, writeImage, loadModel } from '@tpfr/models/node';
import { stylize } from '@tpfr/models';
import { captureCliOutput, writeMicroModel, writeNoiseImage } from './cli-harness.test-util.js';
import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-stylize-flags-'));
const modelDir = join(dir, 'model');
const content = join(dir, 'content.png');
const style = join(dir, 'style.png');
let cli: ReturnType<typeof captureCliOutput>;

beforeAll(async () => {
  cli = captureCliOutput();
  await initBackend('wasm');
  // Seeded weights: the same images every run.
  await writeMicroModel(modelDir, 4);
  writeNoiseImage(content, 41, 50, 1);
  writeNoiseImage(style, 45, 36, 2);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (...args: string[]) => {
  cli.reset();
  return main(['stylize', '--model', modelDir, '--content', content, '--style', style, '--backend', 'cpu', '--quiet', ...args]);
};

/** The written image's values, and its shape. */
const written = (path: string) => {
  const img = readImage(path);
  const out = { shape: img.shape, values: Array.from(img.dataSync()) };
  img.dispose();
  return out;
};

it('documents the pipeline flags', async () => {
  cli.reset();
  expect(await main(['stylize', '--help'])).toBe(0);
  expect(cli.stdout).toMatch(/--size <S>[\s\S]*--pad <px>[\s\S]*--no-crop[\s\S]*--no-stretch/);
});

it("--size runs the authors' pipeline: S×S, stretched, as stylize({ pipeline })", async () => {
  const out = join(dir, 'size.png');
  expect(await run('--out', out, '--size', '40')).toBe(0);
  const img = written(out);
  expect(img.shape).toEqual([40, 40, 3]);
  expect([Math.min(...img.values), Math.max(...img.values)]).toEqual([0, 255]);
  const model = await loadModel(modelDir);
  const [c, s] = [readImage(content), readImage(style)];
  const api = stylize(model, c, s, { pipeline: { size: 40 } });
  expect(img.values).toEqual(Array.from(api.dataSync()));
  // --pad and --no-stretch: the plain mapping, rounded by the PNG writer.
  const plain = join(dir, 'plain.png');
  expect(await run('--out', plain, '--size', '40', '--pad', '3', '--no-stretch')).toBe(0);
  const apiPlain = stylize(model, c, s, { pipeline: { size: 40, pad: 3, stretch: false } });
  expect(written(plain).values).toEqual(Array.from(apiPlain.dataSync(), (v) => Math.round(v)));
  tf.dispose([c, s, api, apiPlain]);
  model.dispose();
});

it('--no-crop keeps the aspect ratio; --pad alone keeps the size', async () => {
  const out = join(dir, 'nocrop.png');
  expect(await run('--out', out, '--size', '40', '--no-crop')).toBe(0);
  // 41×50 → shorter side 40, the longer int(40·50/41) = 48.
  expect(written(out).shape).toEqual([40, 48, 3]);
  expect(cli.stdout).toContain('48×40');
  const padded = join(dir, 'pad.png');
  expect(await run('--out', padded, '--pad', '4')).toBe(0);
  expect(written(padded).shape).toEqual([41, 50, 3]);
});

it('every flag reaches the library: each output image equals stylize with the same options', async () => {
  const model = await loadModel(modelDir);
  const [c, s] = [readImage(content), readImage(style)];
  const s2 = tf.tidy(() => tf.reverse(s, 1) as tf.Tensor3D);
  const style2 = join(dir, 'style2.png');
  writeImage(style2, s2);
  const cases: [string[], tf.Tensor3D[], Parameters<typeof stylize>[3]][] = [
    [[], [s], {}],
    [['--stages', 'style-only'], [s], { stages: 'style-only' }],
    [['--k', '2'], [s], { k: 2 }],
    [['--style', style2], [s, s2], {}],
    [['--pad', '4'], [s], { pipeline: { pad: 4, stretch: false } }],
    [['--size', '36', '--no-crop'], [s], { pipeline: { size: 36, crop: false } }],
  ];
  const seen: string[] = [];
  for (const [flags, styles, opts] of cases) {
    const out = join(dir, `flags-${seen.length}.png`);
    expect(await run('--out', out, ...flags), flags.join(' ')).toBe(0);
    const api = stylize(model, c, styles, opts);
    const got = written(out);
    expect(got.shape, flags.join(' ')).toEqual(api.shape);
    // The PNG writer rounds half up (Math.round), where tf.round rounds half to even.
    expect(got.values, flags.join(' ')).toEqual(Array.from(api.dataSync(), (v) => Math.round(v)));
    seen.push(got.values.join(','));
    api.dispose();
  }
  // Each flag changed the image (so none was silently ignored).
  expect(new Set(seen).size).toBe(cases.length);
  tf.dispose([c, s, s2]);
  model.dispose();
});

it('reports bad flags as usage errors (exit 2) naming the flag, the expected and the received', async () => {
  const out = join(dir, 'x.png');
  const cases: Array<[string[], RegExp]> = [
    [['--size', '0'], /tpfr: option --size: expected a positive integer, received '0'/],
    [['--size', 'big'], /option --size: expected a positive integer, received 'big'/],
    [['--pad', '-2'], /tpfr: option --pad: expected an integer >= 0, received '-2'/],
    [['--pad', '1.5', '--size', '40'], /option --pad: expected an integer >= 0, received '1.5'/],
    [['--no-crop'], /tpfr: option --no-crop: expected together with --size <S>, received no --size/],
    [
      ['--size', '40', '--pad', '40'],
      /tpfr: option --pad: expected an integer <= 39 \(the content's shorter side at --size − 1\), received '40'/,
    ],
    [['--pad', '41'], /tpfr: option --pad: expected an integer <= 40 \(the content's shorter side − 1\), received '41'/],
  ];
  for (const [flags, message] of cases) {
    expect(await run('--out', out, ...flags), flags.join(' ')).toBe(2);
    expect(cli.stderr).toMatch(message);
  }
});

it('--memory-budget refuses an image whose estimated peak is above it, before stylizing, exit 1 and nothing written', async () => {
  const out = join(dir, 'budget.png');
  const big = join(dir, 'big.png');
  writeNoiseImage(big, 400, 300, 3);
  const runBig = (...args: string[]) =>
    main(['stylize', '--model', modelDir, '--content', big, '--style', style, '--backend', 'cpu', '--quiet', ...args]);
  cli.reset();
  expect(await runBig('--out', out, '--memory-budget', '1')).toBe(1);
  expect(cli.stderr).toMatch(
    /tpfr: [^\n]*big\.png cannot fit: expected a call within memoryBudgetBytes = 1\.0 MiB, received an estimated peak of \d+\.\d MiB \(in \w+, [^)]+\) for a content of 300×400[^\n]*--memory-budget <MiB> to change the budget/,
  );
  expect(existsSync(out)).toBe(false);
  expect(await run('--out', out, '--memory-budget', '0')).toBe(2);
  expect(cli.stderr).toMatch(/option --memory-budget: expected a positive integer, received '0'/);
  expect(await run('--out', out, '--memory-budget', '512')).toBe(0);
  expect(existsSync(out)).toBe(true);
});
