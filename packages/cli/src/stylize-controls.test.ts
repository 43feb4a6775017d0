import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stylize } from '@tpfr/models';
import { loadModel, readImage, writeImage } from '@tpfr/models/node';
import { type captureCliOutput, stylizeFixture, writeNoiseImage } from './cli-harness.test-util.js';
import { stylizeCommand } from './commands.js';
import { main } from './main.js';

// tpfr stylize's controls: --strength, --style-weights, --preserve-color, --mask.
const fixture = stylizeFixture('tpfr-stylize-controls-');
const { dir, modelDir, style } = fixture;
const content = join(dir, 'content.png');
const style2 = join(dir, 'style2.png');
const left = join(dir, 'left.png');
const right = join(dir, 'right.png');
let output: ReturnType<typeof captureCliOutput>;

beforeAll(async () => {
  output = await fixture.setUp();
  writeNoiseImage(content, 36, 40, 11);
  writeNoiseImage(style2, 40, 32, 12);
  // Masks of another size than the content: white on the left half, and its complement.
  const l = tf.tidy(() => tf.tile(tf.concat([tf.fill([20, 10, 1], 255), tf.zeros([20, 10, 1])], 1), [1, 1, 3]) as tf.Tensor3D);
  writeImage(left, l);
  writeImage(
    right,
    tf.tidy(() => tf.sub(255, l) as tf.Tensor3D),
  );
  l.dispose();
});
afterAll(() => fixture.cleanUp());

const run = (...args: string[]) => {
  output.reset();
  return main(['stylize', '--model', modelDir, '--content', content, '--style', style, '--backend', 'wasm', '--quiet', ...args]);
};
const pixels = (path: string) => {
  const x = readImage(path);
  const v = Array.from(x.dataSync());
  x.dispose();
  return v;
};

it('each control reaches the library: the written image equals stylize with the same options', async () => {
  const model = await loadModel(modelDir);
  const [c, s, s2] = [readImage(content), readImage(style), readImage(style2)];
  const masks = [readImage(left), readImage(right)];
  const cases: [string[], Parameters<typeof stylize>[2], Parameters<typeof stylize>[3]][] = [
    [['--strength', '0.5'], s, { strength: 0.5 }],
    [['--style', style2, '--style-weights', '0.7,0.3'], [s, s2], { styleWeights: [0.7, 0.3] }],
    [['--preserve-color', 'luminance'], s, { preserveColor: 'luminance' }],
    [['--preserve-color', 'histogram'], s, { preserveColor: 'histogram' }],
    [['--style', style2, '--mask', left, '--mask', right], [s, s2], { masks }],
    [
      ['--style', style2, '--mask', left, '--mask', right, '--style-weights', '1,2', '--strength', '0.8', '--size', '32'],
      [s, s2],
      { masks, styleWeights: [1, 2], strength: 0.8, pipeline: { size: 32 } },
    ],
  ];
  const seen = new Set<string>();
  for (const [i, [flags, styles, opts]] of cases.entries()) {
    const out = join(dir, `controls-${i}.png`);
    expect(await run('--out', out, ...flags), flags.join(' ')).toBe(0);
    const api = stylize(model, c, styles, opts);
    expect(pixels(out), flags.join(' ')).toEqual(Array.from(api.dataSync(), (v) => Math.round(v)));
    seen.add(pixels(out).join());
    api.dispose();
  }
  expect(seen.size).toBe(cases.length);
  tf.dispose([c, s, s2, ...masks]);
  model.dispose();
});

it('a --style folder is one style of several images; the controls run with several contents and --jobs 2 as in one process', async () => {
  const styleDir = join(dir, 'monet');
  mkdirSync(styleDir);
  writeNoiseImage(join(styleDir, 'a.png'), 32, 32, 21);
  writeNoiseImage(join(styleDir, 'b.png'), 36, 32, 22);
  const contents = join(dir, 'frames');
  mkdirSync(contents);
  for (const n of [1, 2, 3]) writeNoiseImage(join(contents, `${n}.png`), 32, 36, 30 + n);
  const flags = ['--content', contents, '--style', styleDir, '--style', style2, '--style-weights', '0.5,0.5', '--strength', '0.6'];
  const [one, two] = [join(dir, 'one'), join(dir, 'two')];
  output.reset();
  expect(await main(['stylize', '--model', modelDir, '--backend', 'wasm', '--quiet', ...flags, '--out', one])).toBe(0);
  // The workers run this file's sources (tsx), as the built CLI runs its own.
  const workerEntry = [process.execPath, '--import', 'tsx', fileURLToPath(new URL('./bin.ts', import.meta.url))];
  await stylizeCommand({
    model: modelDir,
    content: [contents],
    style: [styleDir, style2],
    styleWeights: '0.5,0.5',
    strength: '0.6',
    out: two,
    stages: 'two-stage',
    backend: 'wasm',
    quiet: true,
    jobs: '2',
    workerEntry,
  });
  for (const f of readdirSync(one)) expect(pixels(join(two, f)), f).toEqual(pixels(join(one, f)));
}, 120_000);

it('bad controls are usage errors (exit 2) naming the flag, the expected and the received, and nothing is written', async () => {
  const out = join(dir, 'bad.png');
  const cases: [string[], RegExp][] = [
    [['--strength', '1.5'], /tpfr: option --strength: expected a number in \[0, 1\], received '1.5'/],
    [['--strength', 'NaN'], /option --strength: expected a number in \[0, 1\], received 'NaN'/],
    [['--strength', ''], /option --strength: expected a number in \[0, 1\], received ''/],
    [['--style-weights', '0.5,0.5'], /tpfr: option --style-weights: expected one weight per --style \(1\), received 2 in '0.5,0.5'/],
    [['--style', style2, '--style-weights', '1,-1'], /option --style-weights: expected finite weights >= 0, received '-1' \(weight 2\)/],
    [
      ['--style', style2, '--style-weights', '1,Infinity'],
      /option --style-weights: expected finite weights >= 0, received 'Infinity' \(weight 2\)/,
    ],
    [['--style', style2, '--style-weights', '0,0'], /option --style-weights: expected weights that do not sum to 0, received '0,0'/],
    [['--preserve-color', 'hue'], /tpfr: option --preserve-color: expected luminance or histogram, received 'hue'/],
    [['--style', style2, '--mask', left], /tpfr: option --mask: expected one mask per --style \(2\), received 1/],
  ];
  for (const [flags, message] of cases) {
    expect(await run('--out', out, ...flags), flags.join(' ')).toBe(2);
    expect(output.stderr, flags.join(' ')).toMatch(message);
  }
  expect(existsSync(out)).toBe(false);
});

it('an unreadable mask, and masks that leave pixels without a style, fail (exit 1) saying so, and nothing is written', async () => {
  const out = join(dir, 'failed.png');
  const broken = join(dir, 'broken.png');
  writeFileSync(broken, 'not a png');
  expect(await run('--out', out, '--style', style2, '--mask', left, '--mask', broken)).toBe(1);
  expect(output.stderr).toMatch(/tpfr: option --mask: cannot read '.*broken\.png': /);
  expect(await run('--out', out, '--style', style2, '--mask', left, '--mask', left)).toBe(1);
  expect(output.stderr).toMatch(
    /tpfr: stylize: expected masks that give every content pixel a style .*received \d+ content pixel\(s\) with none/,
  );
  expect(existsSync(out)).toBe(false);
});
