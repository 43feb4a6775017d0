import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GifReader } from 'omggif';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixturesPresent } from '@tpfr/testing';
import { makeTestClip } from '@tpfr/testing/clip';
import { torchFixturesDir } from '@tpfr/testing/torch-fixtures';
import { stylize } from '@tpfr/models';
import { loadModel, readImage, writeImage } from '@tpfr/models/node';
import { type captureCliOutput, stylizeFixture } from './cli-harness.test-util.js';
import { encodeGif } from './frames.js';
import { main } from './main.js';

// tpfr stylize --frames: a folder of frames or an animated GIF as one sequence.
const fixture = stylizeFixture('tpfr-stylize-frames-');
const { dir, modelDir, style } = fixture;
const framesDir = join(dir, 'frames');
const gif = join(dir, 'clip.gif');
const clip = makeTestClip({ frames: 6, size: 32, noise: 2, seed: 3 });
let output: ReturnType<typeof captureCliOutput>;

beforeAll(async () => {
  output = await fixture.setUp();
  mkdirSync(framesDir);
  // Names in natural order: frame-2 comes before frame-10.
  clip.frames.forEach((f, i) => writeImage(join(framesDir, `frame-${[1, 2, 3, 10, 11, 12][i]}.png`), tf.tensor3d(f, [32, 32, 3], 'int32')));
  writeFileSync(gif, encodeGif(clip.frames, 32, 32, 80));
});
afterAll(() => fixture.cleanUp());

const run = (...args: string[]) => {
  output.reset();
  return main(['stylize', '--model', modelDir, '--style', style, '--backend', 'wasm', '--quiet', '--frames', ...args]);
};
const pixels = (path: string) => {
  const x = readImage(path);
  const v = Array.from(x.dataSync());
  x.dispose();
  return v;
};

it('writes every frame under its name; without coherence each equals stylize of that frame alone; with it, a steadier sequence', async () => {
  const [plain, steady] = [join(dir, 'plain'), join(dir, 'steady')];
  expect(await run('--content', framesDir, '--out', plain, '--no-coherence')).toBe(0);
  expect(output.stdout).toMatch(/plain: 6 frames in [\d.]+ s \([\d.]+ frames\/s\)/);
  const names = ['frame-1.png', 'frame-2.png', 'frame-3.png', 'frame-10.png', 'frame-11.png', 'frame-12.png'];
  expect(readdirSync(plain).sort()).toEqual([...names].sort());
  const model = await loadModel(modelDir);
  const s = readImage(style);
  for (const name of names) {
    const c = readImage(join(framesDir, name));
    const want = stylize(model, c, s);
    expect(pixels(join(plain, name)), name).toEqual(Array.from(want.dataSync(), (v) => Math.round(v)));
    tf.dispose([c, want]);
  }
  tf.dispose(s);
  model.dispose();
  expect(await run('--content', framesDir, '--out', steady)).toBe(0);
  // The first frame has nothing before it: the same image either way.
  expect(pixels(join(steady, 'frame-1.png'))).toEqual(pixels(join(plain, 'frame-1.png')));
});

it('reads an animated GIF and writes its frames and an animated GIF of the results', async () => {
  const out = join(dir, 'from-gif');
  const anim = join(dir, 'anim', 'result.gif');
  expect(await run('--content', gif, '--out', out, '--animation', anim, '--strength', '0.8')).toBe(0);
  expect(readdirSync(out).sort()).toEqual([
    'clip-0001.png',
    'clip-0002.png',
    'clip-0003.png',
    'clip-0004.png',
    'clip-0005.png',
    'clip-0006.png',
  ]);
  const reader = new GifReader(readFileSync(anim));
  expect([reader.width, reader.height, reader.numFrames()]).toEqual([32, 32, 6]);
  // The GIF's own delay (80 ms) carries over; --fps sets another.
  expect(reader.frameInfo(0).delay).toBe(8);
  expect(await run('--content', gif, '--out', out, '--animation', anim, '--fps', '25')).toBe(0);
  expect(new GifReader(readFileSync(anim)).frameInfo(0).delay).toBe(4);
});

it('refuses what a sequence cannot take (exit 2), naming the flag', async () => {
  const out = join(dir, 'bad');
  const cases: [string[], RegExp][] = [
    [
      ['--content', framesDir, '--content', gif, '--out', out],
      /option --content: expected one folder of frames or one animated GIF with --frames, received 2/,
    ],
    [
      ['--content', framesDir, '--out', out, '--jobs', '2'],
      /option --jobs: expected none with --frames \(each frame follows the one before\), received '2'/,
    ],
    [['--content', framesDir, '--out', join(dir, 'x.png')], /option --out: expected a folder for the frames, received the image path/],
    [['--content', framesDir, '--out', out, '--animation', join(dir, 'a.png')], /option --animation: expected a \.gif file/],
    [
      ['--content', join(framesDir, 'frame-1.png'), '--out', out],
      /option --content: expected a folder of frames or an animated GIF with --frames/,
    ],
  ];
  for (const [flags, message] of cases) {
    expect(await run(...flags), flags.join(' ')).toBe(2);
    expect(output.stderr).toMatch(message);
  }
  output.reset();
  expect(await main(['stylize', '--model', modelDir, '--style', style, '--content', gif, '--out', out, '--no-coherence'])).toBe(2);
  expect(output.stderr).toMatch(/option --no-coherence: expected together with --frames, received no --frames/);
  expect(existsSync(out)).toBe(false);
});

const authorsFixtures = fixturesPresent(
  existsSync(torchFixturesDir()),
  `no authors' checkpoints in ${torchFixturesDir()} (TPFR_TORCH_FIXTURES)`,
);
it.skipIf(!authorsFixtures)(
  "--model file.pth imports the authors' checkpoint on the fly, with a hint, as import-torch then --model would",
  async () => {
    const pth = join(torchFixturesDir(), 'g8_seed0_zip.pth');
    const [direct, imported] = [join(dir, 'direct.png'), join(dir, 'imported.png')];
    const content = join(framesDir, 'frame-1.png');
    output.reset();
    expect(
      await main(['stylize', '--model', pth, '--content', content, '--style', style, '--out', direct, '--backend', 'wasm', '--quiet']),
    ).toBe(0);
    expect(output.stderr).toMatch(
      /tpfr: imported g8_seed0_zip\.pth on the fly in [\d.]+ s; for many calls, 'tpfr import-torch .*g8_seed0_zip\.pth --out <dir>' once and then --model <dir> is faster/,
    );
    const folder = join(dir, 'imported-model');
    output.reset();
    expect(await main(['import-torch', pth, '--out', folder, '--quiet'])).toBe(0);
    expect(
      await main(['stylize', '--model', folder, '--content', content, '--style', style, '--out', imported, '--backend', 'wasm', '--quiet']),
    ).toBe(0);
    expect(pixels(direct)).toEqual(pixels(imported));
  },
);
