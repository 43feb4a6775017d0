import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { readImage } from '@tpfr/models/node';
import { DEMO_LOSS_WEIGHTS, runDemo } from './demo.js';
import { captureCliOutput, writeMicroModel, writeNoiseImage } from './cli-harness.test-util.js';
import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-cli-'));
const modelDir = join(dir, 'model');
let cli: ReturnType<typeof captureCliOutput>;

beforeAll(async () => {
  cli = captureCliOutput();
  await initBackend('wasm');
  await writeMicroModel(modelDir, 1);
  writeNoiseImage(join(dir, 'content.png'), 41, 50, 1);
  writeNoiseImage(join(dir, 'style.jpg'), 36, 36, 2);
  writeFileSync(join(dir, 'corrupt.png'), 'not an image at all');
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (...args: string[]) => {
  cli.reset();
  return main(args);
};

it('prints help for the program and every command', async () => {
  expect(await run('--help')).toBe(0);
  expect(cli.stdout).toMatch(/Commands:[\s\S]*train[\s\S]*stylize[\s\S]*eval[\s\S]*info[\s\S]*demo/);
  for (const cmd of ['train', 'stylize', 'import-torch', 'eval', 'info', 'demo']) {
    expect(await run(cmd, '--help')).toBe(0);
    expect(cli.stdout).toContain(`Usage: tpfr ${cmd}`);
  }
});

it('stylizes an image of any size end to end', async () => {
  const out = join(dir, 'out.png');
  expect(
    await run(
      'stylize',
      '--model',
      modelDir,
      '--content',
      join(dir, 'content.png'),
      '--style',
      join(dir, 'style.jpg'),
      '--style',
      join(dir, 'content.png'),
      '--out',
      out,
      '--quiet',
    ),
  ).toBe(0);
  const img = readImage(out);
  expect(img.shape).toEqual([41, 50, 3]);
  img.dispose();
});

it('exits non-zero with a clear message on bad options and bad files', async () => {
  expect(await run('nonsense')).toBe(2);
  expect(await run('stylize', '--model', modelDir)).toBe(2);
  expect(cli.stderr).toMatch(/required option/);
  const base = ['--model', modelDir, '--style', join(dir, 'style.jpg'), '--quiet'];
  expect(await run('stylize', ...base, '--content', join(dir, 'missing.png'), '--out', join(dir, 'x.png'))).toBe(1);
  expect(cli.stderr).toMatch(/tpfr: readImage: no such file: .*missing.png/);
  expect(await run('stylize', ...base, '--content', join(dir, 'corrupt.png'), '--out', join(dir, 'x.png'))).toBe(1);
  expect(cli.stderr).toMatch(/tpfr: readImage: .*corrupt.png: decodeImage: expected a PNG or JPEG image/);
  expect(await run('stylize', ...base, '--content', join(dir, 'content.png'), '--out', join(dir, 'x.gif'))).toBe(1);
  expect(cli.stderr).toMatch(/gif/);
  expect(await run('stylize', ...base, '--content', join(dir, 'content.png'), '--out', join(dir, 'x.png'), '--k', 'zero')).toBe(2);
  expect(cli.stderr).toMatch(/option --k: expected a positive integer, received 'zero'/);
  expect(
    await run(
      'stylize',
      '--model',
      dir,
      '--content',
      join(dir, 'content.png'),
      '--style',
      join(dir, 'style.jpg'),
      '--out',
      join(dir, 'x.png'),
    ),
  ).toBe(1);
  expect(cli.stderr).toMatch(/not a model directory/);
  expect(await run('train', '--steps', '-3')).toBe(2);
  expect(await run('train', '--ema', '1')).toBe(2);
  expect(await run('train', '--size', '32', '--render-size', '16')).toBe(2);
  expect(cli.stderr).toMatch(/option --render-size: expected an integer >= --size \(32\), received '16'/);
  expect(await run('train', '--peer-paintings', '3')).toBe(2);
  expect(cli.stderr).toMatch(/option --peer-paintings: expected 1 or 2, received '3'/);
  expect(await run('eval', '--model', modelDir, '--exemplars', '11')).toBe(2);
  expect(cli.stderr).toMatch(/option --exemplars: expected an integer in \[1, 10\], received '11'/);
  expect(await run('eval', '--model', modelDir, '--stages', 'three')).toBe(2);
  expect(await run('train', '--data', join(dir, 'nowhere'))).toBe(1);
  expect(cli.stderr).toMatch(/no such folder/);
  expect(await run('info', '--backend', 'metal')).toBe(2);
});

it('trains with checkpoints, resumes, evaluates and reports', async () => {
  const ckpt = join(dir, 'train');
  expect(
    await run(
      'train',
      '--steps',
      '2',
      '--size',
      '32',
      '--render-size',
      '48',
      '--peer-paintings',
      '2',
      '--every',
      '1',
      '--checkpoint',
      ckpt,
      '--ema',
      '0.99',
      '--quiet',
    ),
  ).toBe(0);
  expect(JSON.parse(readFileSync(join(ckpt, 'trainer.json'), 'utf8')).options.peerPaintings).toBe(2);
  expect(existsSync(join(ckpt, 'trainer.json'))).toBe(true);
  expect(existsSync(join(ckpt, 'model-averaged', 'tpfr-model.json'))).toBe(true);
  // Other data than the checkpoint's is refused; the data flags not given are the checkpoint's.
  expect(await run('train', '--steps', '3', '--size', '36', '--checkpoint', ckpt, '--resume', '--quiet')).toBe(1);
  expect(cli.stderr).toMatch(
    /tpfr: TpfrTrainer.resume: expected the checkpoint's data, received other data \(size: checkpoint 32, given 36\)/,
  );
  expect(await run('train', '--steps', '3', '--lr', '1e-3', '--checkpoint', ckpt, '--resume', '--quiet')).toBe(0);
  expect(cli.stderr).toMatch(/resumed at step 2 of 3/);
  expect(cli.stderr).toMatch(/steps: 2 \(checkpoint\) → 3/);
  expect(cli.stderr).toMatch(/learningRate: 0.0004 \(checkpoint\) → 0.001/);
  expect(JSON.parse(readFileSync(join(ckpt, 'trainer.json'), 'utf8')).options).toMatchObject({
    peerPaintings: 2,
    emaDecay: 0.99,
    learningRate: 1e-3,
  });
  expect(JSON.parse(readFileSync(join(ckpt, 'trainer.json'), 'utf8')).step).toBe(3);
  const report = join(dir, 'eval.json');
  expect(
    await run('eval', '--model', join(ckpt, 'model'), '--images', '1', '--size', '48', '--exemplars', '2', '--out', report, '--quiet'),
  ).toBe(0);
  const summary = JSON.parse(cli.stdout.trim().split('\n').pop()!);
  expect(Object.keys(summary)).toEqual(['styleDistanceReduction', 'edgeCorrelation', 'heldOutClasses', 'images', 'exemplars', 'stages']);
  expect(summary).toMatchObject({ images: 2, exemplars: 2, stages: 'two-stage' });
  const perItem = JSON.parse(readFileSync(report, 'utf8')).perItem;
  expect(perItem).toHaveLength(2);
  expect(perItem[0].styleClass).toBe('stipple-forest');
  expect(await run('info', '--model', join(ckpt, 'model'))).toBe(0);
  expect(cli.stdout).toMatch(/generator parameters/);
}, 120_000);

it('runs the demo end to end (a few steps) and writes grid.png and metrics.json', async () => {
  const out = join(dir, 'demo');
  const lines: string[] = [];
  const metrics = await runDemo({ out, steps: 3, warmupSteps: 1, evalImages: 1, exemplars: 2, quiet: true, log: (l) => lines.push(l) });
  expect(existsSync(join(out, 'grid.png'))).toBe(true);
  expect(existsSync(join(out, 'model', 'tpfr-model.json'))).toBe(true);
  const saved = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  expect(saved.styleDistanceReduction).toBeCloseTo(metrics.styleDistanceReduction, 10);
  expect(typeof saved.edgeCorrelation).toBe('number');
  expect(saved.heldOutClasses).toHaveLength(2);
  expect(saved.averagedSteps).toBe(2);
  expect(saved.setup).toMatchObject({ lossWeights: { transferLatentCycle: 2 }, emaDecay: 0.999, size: 32, warmupSteps: 1 });
  expect(saved.setup.lossWeights).toEqual(DEMO_LOSS_WEIGHTS);
  // The saved network is the documented one (one downsampling, no instance norm, no global branch).
  const config = JSON.parse(readFileSync(join(out, 'model', 'tpfr-model.json'), 'utf8')).config;
  expect(config).toMatchObject({ ngf: 8, residualBlocks: 2, downsamplings: 1, norm: 'none', decoderNorm: 'none', globalStyle: false });
  expect(saved.exemplars).toBe(2);
  expect(Object.keys(saved.singleExemplar)).toEqual(['two-stage', 'style-only']);
  expect(saved.byStages['two-stage'].styleDistanceReduction).toBe(saved.styleDistanceReduction);
  expect(saved.steps).toBe(3);
  await expect(runDemo({ out, exemplars: 0 })).rejects.toThrow(/runDemo: expected exemplars an integer in \[1, 10\], received 0/);
  expect(lines.join('\n')).toMatch(/trained 3 steps in \d+ s/);
  expect(lines.join('\n')).toMatch(/grid: .*grid.png/);
}, 120_000);

it("the demo's result depends only on the seed and the steps: the same on one and on two wasm threads", async () => {
  const demo = async (name: string, threads: number) => {
    const out = join(dir, name);
    try {
      const { trainingSeconds, ...metrics } = await runDemo({
        out,
        steps: 4,
        warmupSteps: 2,
        evalImages: 1,
        exemplars: 2,
        threads,
        quiet: true,
        log: () => {},
      });
      expect(trainingSeconds).toBeGreaterThanOrEqual(0);
      return { metrics, weights: readFileSync(join(out, 'model', 'weights.bin')) };
    } finally {
      await initBackend('wasm', { threads: 1 });
    }
  };
  const one = await demo('demo-1-thread', 1);
  const two = await demo('demo-2-threads', 2);
  expect(two.metrics).toEqual(one.metrics);
  expect(two.weights.equals(one.weights)).toBe(true);
}, 180_000);
