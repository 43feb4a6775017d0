import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { HELD_OUT_STYLE_CLASSES } from '@tpfr/models/data';
import { evaluateHeldOut, type HeldOutReport } from '@tpfr/models/eval';
import { MODEL_MANIFEST, loadModel } from '@tpfr/models/node';
import { captureCliOutput, writeMicroModel, writeNoiseImage } from './cli-harness.test-util.js';
import { main } from './main.js';

// evaluateHeldOut is the real one unless a test says otherwise; the mock records what it was given.
vi.mock('@tpfr/models/eval', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@tpfr/models/eval')>();
  return { ...actual, evaluateHeldOut: vi.fn(actual.evaluateHeldOut) };
});

const dir = mkdtempSync(join(tmpdir(), 'tpfr-commands-'));
const modelDir = join(dir, 'model');
const content = join(dir, 'content.png');
const style = join(dir, 'style.png');
let cli: ReturnType<typeof captureCliOutput>;

beforeAll(async () => {
  cli = captureCliOutput();
  await initBackend('wasm');
  await writeMicroModel(modelDir, 3);
  writeNoiseImage(content, 33, 40, 1);
  writeNoiseImage(style, 32, 32, 2);
});
beforeEach(() => {
  vi.mocked(evaluateHeldOut).mockClear();
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (...args: string[]) => {
  cli.reset();
  return main(args);
};

/** A report as evaluateHeldOut gives it, for the cases that only check the flags. */
const fakeReport = (): HeldOutReport =>
  ({ styleDistanceReduction: 0.5, edgeCorrelation: 0.25, perItem: [], styleClasses: [] }) as unknown as HeldOutReport;

it('eval: the flags reach evaluateHeldOut and the summary is its report; --out holds every item', async () => {
  const out = join(dir, 'nested', 'deeper', 'report.json');
  const code = await run(
    'eval',
    '--model',
    modelDir,
    '--images',
    '1',
    '--size',
    '32',
    '--seed',
    '5',
    '--exemplars',
    '1',
    '--stages',
    'style-only',
    '--k',
    '2',
    '--out',
    out,
    '--backend',
    'wasm',
  );
  expect(code, cli.stderr).toBe(0);
  const expected = { images: 1, size: 32, seed: 5, exemplars: 1, stages: 'style-only', k: 2 };
  expect(evaluateHeldOut).toHaveBeenCalledTimes(1);
  expect(vi.mocked(evaluateHeldOut).mock.calls[0][1]).toMatchObject(expected);
  // What the library returned to the command (the real evaluation).
  const direct = await (vi.mocked(evaluateHeldOut).mock.results[0].value as Promise<HeldOutReport>);
  expect(direct.perItem).toHaveLength(2);
  const summary = {
    styleDistanceReduction: direct.styleDistanceReduction,
    edgeCorrelation: direct.edgeCorrelation,
    heldOutClasses: HELD_OUT_STYLE_CLASSES,
    images: 2,
    exemplars: 1,
    stages: 'style-only',
  };
  expect(cli.stdout).toBe(`${JSON.stringify(summary)}\n`);
  expect(readFileSync(out, 'utf8')).toBe(
    `${JSON.stringify({ ...summary, perItem: direct.perItem.map((p, i) => ({ styleClass: direct.styleClasses[i], ...p })) }, null, 2)}\n`,
  );
  // The backend, then a progress bar over images × held-out classes, naming the class.
  expect(cli.stderr).toMatch(/^backend: wasm\n/);
  expect(cli.stderr).toMatch(new RegExp(`eval \\[[^\\]]*\\] 2/2 [^\\n]*${HELD_OUT_STYLE_CLASSES[1]}`));
});

it('eval: the defaults, and the bounds of --size and --exemplars', async () => {
  vi.mocked(evaluateHeldOut).mockResolvedValue(fakeReport());
  expect(await run('eval', '--model', modelDir, '--quiet')).toBe(0);
  expect(vi.mocked(evaluateHeldOut).mock.calls[0][1]).toMatchObject({
    images: 8,
    size: 96,
    seed: 1000003,
    exemplars: 4,
    stages: 'two-stage',
    k: undefined,
  });
  expect(JSON.parse(cli.stdout)).toEqual({
    styleDistanceReduction: 0.5,
    edgeCorrelation: 0.25,
    heldOutClasses: HELD_OUT_STYLE_CLASSES,
    images: 0,
    exemplars: 4,
    stages: 'two-stage',
  });
  expect(cli.stderr).toBe('');
  expect(await run('eval', '--model', modelDir, '--size', '16', '--exemplars', '10', '--quiet')).toBe(0);
  expect(vi.mocked(evaluateHeldOut).mock.calls[1][1]).toMatchObject({ size: 16, exemplars: 10 });
  vi.mocked(evaluateHeldOut).mockImplementation(async () => {
    throw new Error('boom');
  });
  // The model is disposed of on a failure too.
  const before = tf.memory().numTensors;
  expect(await run('eval', '--model', modelDir, '--quiet')).toBe(1);
  expect(tf.memory().numTensors).toBe(before);
  expect(cli.stderr).toMatch(/^tpfr: unexpected error: Error: boom/);
  vi.mocked(evaluateHeldOut).mockReset();
});

it('eval: bad flags are usage errors (exit 2) naming the flag, the expected and the received', async () => {
  const cases: Array<[string[], string]> = [
    [['--images', '0'], "option --images: expected a positive integer, received '0'"],
    [['--size', 'x'], "option --size: expected a positive integer, received 'x'"],
    [['--size', '15'], "option --size: expected an integer >= 16, received '15'"],
    [['--seed', '-1'], "option --seed: expected an integer >= 0, received '-1'"],
    [['--exemplars', '0'], "option --exemplars: expected a positive integer, received '0'"],
    [['--exemplars', '11'], "option --exemplars: expected an integer in [1, 10], received '11'"],
    [['--stages', 'three'], "option --stages: expected 'two-stage' or 'style-only', received 'three'"],
    [['--k', '0'], "option --k: expected a positive integer, received '0'"],
  ];
  for (const [flags, message] of cases) {
    expect(await run('eval', '--model', modelDir, ...flags, '--quiet'), flags.join(' ')).toBe(2);
    expect(cli.stderr, flags.join(' ')).toBe(`tpfr: ${message}\n`);
  }
  expect(await run('eval', '--model', dir, '--quiet')).toBe(1);
  expect(cli.stderr).toBe(
    `tpfr: --model ${dir}: not a model directory (no ${MODEL_MANIFEST}); train one with 'tpfr train' or 'pnpm demo'\n`,
  );
  expect(evaluateHeldOut).not.toHaveBeenCalled();
});

it("info: versions, the backend, and the model's configuration and parameter counts", async () => {
  const version = (rel: string) => (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
  const head = [
    `@tpfr/cli ${version('../package.json')}`,
    `@tpfr/models ${version('../../models/package.json')}`,
    `@tensorflow/tfjs-core ${tf.version_core}`,
    'backend cpu',
    `node ${process.versions.node}`,
  ];
  expect(await run('info', '--backend', 'cpu')).toBe(0);
  expect(cli.stdout).toBe(`${head.join('\n')}\n`);
  expect(cli.stderr).toBe('');
  expect(await run('info', '--backend', 'cpu', '--model', modelDir)).toBe(0);
  const model = await loadModel(modelDir);
  const generator = model.generatorParameterCount();
  expect(generator).toBeGreaterThan(1000);
  expect(cli.stdout).toBe(
    `${[...head, `model ${resolve(modelDir)}`, `config ${JSON.stringify(model.config)}`, `generator parameters ${generator.toLocaleString('en')}`, `discriminator parameters ${model.discriminator.countParams().toLocaleString('en')}`].join('\n')}\n`,
  );
  expect(cli.stdout).toMatch(/generator parameters \d{1,3}(,\d{3})+\n/);
  model.dispose();
  expect(await run('info', '--model', join(dir, 'none'))).toBe(1);
  expect(cli.stderr).toBe(
    `tpfr: --model ${join(dir, 'none')}: not a model directory (no ${MODEL_MANIFEST}); train one with 'tpfr train' or 'pnpm demo'\n`,
  );
  expect(await run('info', '--backend', 'gpu')).toBe(2);
  expect(cli.stderr).toBe("tpfr: option --backend: expected one of auto, tensorflow, webgpu, wasm, cpu, received 'gpu'\n");
});

it('stylize: says the backend, then the output, its size and the time; a refused --pad leaks nothing', async () => {
  const out = join(dir, 'out.png');
  await initBackend('cpu');
  const before = tf.memory().numTensors;
  const t0 = performance.now();
  const code = await run('stylize', '--model', modelDir, '--content', content, '--style', style, '--out', out, '--backend', 'cpu');
  const elapsed = (performance.now() - t0) / 1000;
  expect(code, cli.stderr).toBe(0);
  expect(tf.memory().numTensors).toBe(before);
  expect(cli.stderr).toBe('backend: cpu\n');
  expect(cli.stdout).toMatch(
    new RegExp(`^${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 40×33 in \\d+\\.\\d s \\(estimated peak memory \\d+\\.\\d MiB\\)\\n$`),
  );
  expect(Number(/in (\d+\.\d) s/.exec(cli.stdout)![1])).toBeLessThanOrEqual(elapsed + 0.05);
  // The largest pad: the shorter side − 1.
  expect(await run('stylize', '--model', modelDir, '--content', content, '--style', style, '--out', out, '--pad', '32', '--quiet')).toBe(0);
  expect(cli.stdout).toContain(': 40×33 in ');
  expect(await run('stylize', '--model', modelDir, '--content', content, '--style', style, '--out', join(dir, 'x.gif'), '--quiet')).toBe(1);
  expect(cli.stderr).toBe(`tpfr: tpfr stylize --out: expected a .png, .jpg or .jpeg file, received '.gif' (${join(dir, 'x.gif')})\n`);
  expect(
    await run(
      'stylize',
      '--model',
      modelDir,
      '--content',
      content,
      '--style',
      style,
      '--style',
      content,
      '--out',
      out,
      '--pad',
      '33',
      '--quiet',
    ),
  ).toBe(2);
  expect(cli.stderr).toBe("tpfr: option --pad: expected an integer <= 32 (the content's shorter side − 1), received '33'\n");
  expect(tf.memory().numTensors).toBe(before);
  expect(
    await run('stylize', '--model', modelDir, '--content', content, '--style', style, '--out', out, '--stages', 'both', '--quiet'),
  ).toBe(2);
  expect(cli.stderr).toBe("tpfr: option --stages: expected 'two-stage' or 'style-only', received 'both'\n");
});
