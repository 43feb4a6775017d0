import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { writeTorchCheckpoint } from '@tpfr/testing';
import { MODEL_MANIFEST, loadModel } from '@tpfr/models/node';
import { authorsDiscriminatorKeys, authorsGeneratorKeys, syntheticAuthorsStateDict } from '@tpfr/models/torch';
import { importTorchCommand } from './import-torch.js';
import { CliError } from './errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-import-torch-cli-'));
let stdout = '';
let stderr = '';

// Real checkpoints, written in PyTorch's two formats by the tests' writer.
type StateDict = ReturnType<typeof syntheticAuthorsStateDict>;
const toPth = (sd: StateDict, format: 'legacy' | 'zip' = 'legacy') =>
  writeTorchCheckpoint([...sd].map(([name, t]) => ({ name, ...t })) as Parameters<typeof writeTorchCheckpoint>[0], { format });

const gen = join(dir, 'G.pth');
const disc = join(dir, 'D.pth');
beforeAll(async () => {
  await initBackend('wasm');
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    stdout += `${args.join(' ')}\n`;
  });
  const sd = syntheticAuthorsStateDict(authorsGeneratorKeys({ ngf: 4, residualBlocks: 1 }), 2);
  writeFileSync(gen, toPth(new Map([...sd].map(([k, v]) => [`module.${k}`, v]))));
  writeFileSync(disc, toPth(syntheticAuthorsStateDict(authorsDiscriminatorKeys({ ndf: 4 }), 3), 'zip'));
  const bad = new Map(sd);
  bad.delete('model_dec.1.weight');
  writeFileSync(join(dir, 'bad.pth'), toPth(bad));
  writeFileSync(join(dir, 'garbage.pth'), 'PK nonsense');
  mkdirSync(join(dir, 'not-a-model'));
  writeFileSync(join(dir, 'not-a-model', 'keep.txt'), 'precious');
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (o: Parameters<typeof importTorchCommand>[0]) => {
  stdout = '';
  stderr = '';
  return importTorchCommand(o);
};
const code = async (o: Parameters<typeof importTorchCommand>[0]) => {
  try {
    await run(o);
    return 0;
  } catch (e) {
    if (e instanceof CliError) return e.exitCode;
    throw e;
  }
};

it('imports, saves a loadable model and prints format, ngf, parameters, keys and time', async () => {
  const out = join(dir, 'model');
  const before = tf.memory().numTensors;
  const report = await run({ file: gen, out, discriminator: disc });
  expect(tf.memory().numTensors).toBe(before);
  expect(report.discriminator).toMatchObject({ mapped: true, ndf: 4 });
  expect(stdout).toContain(`read ${gen}: PyTorch legacy checkpoint`);
  expect(stdout).toContain(`('module.' prefix stripped from ${report.keys})`);
  expect(stdout).toMatch(/generator: ResnetGeneratorResidual, ngf 4, 1 residual blocks, [\d,]+ parameters/);
  expect(stdout).toContain(`keys: ${report.keys - 4} mapped, 4 ignored (model_peer_reg.0.transf_att_cont.1.num_batches_tracked`);
  expect(stdout).toMatch(/discriminator: zip checkpoint, 10 keys mapped \(ndf 4/);
  expect(stdout).toMatch(/time: \d+\.\d\d s \(read/);
  const manifest = JSON.parse(readFileSync(join(out, MODEL_MANIFEST), 'utf8'));
  expect(manifest.importedFrom).toMatchObject({
    generator: { file: 'G.pth', format: 'legacy' },
    discriminator: { file: 'D.pth', mapped: true },
    parameterCount: report.parameterCount,
  });
  const model = await loadModel(out);
  expect(model.config).toMatchObject({ ngf: 4, ndf: 4, residualBlocks: 1, downsamplePadding: 'symmetric', ties: 'include' });
  model.dispose();
  // Again over the same folder, quietly: replaced in place, one line.
  await run({ file: gen, out, quiet: true });
  expect(stdout.trim().split('\n')).toHaveLength(1);
  expect(stdout).toMatch(/^imported .* \(legacy, ngf 4, [\d,]+ parameters, \d+ keys mapped, 4 ignored\) into/);
});

it('warns and keeps a fresh discriminator when the given one does not fit', async () => {
  await run({ file: gen, out: join(dir, 'model2'), discriminator: gen });
  expect(stderr).toMatch(/warning: .*G\.pth: no 'model_pred\.0\.weight'/);
  expect(stdout).toMatch(/discriminator: not mapped, fresh weights \(ndf 64\)/);
});

it('exits 2 for usage errors and 1 for failures, naming the file and the keys', async () => {
  expect(await code({ file: '', out: join(dir, 'x') })).toBe(2);
  expect(await code({ file: gen, out: '' })).toBe(2);
  expect(await code({ file: gen, out: gen })).toBe(2);
  expect(await code({ file: gen, out: join(dir, 'not-a-model') })).toBe(2);
  expect(readFileSync(join(dir, 'not-a-model', 'keep.txt'), 'utf8')).toBe('precious');
  expect(await code({ file: gen, out: join(dir, 'x'), backend: 'nope' })).toBe(2);
  expect(await code({ file: join(dir, 'missing.pth'), out: join(dir, 'x') })).toBe(1);
  expect(await code({ file: dir, out: join(dir, 'x') })).toBe(1);
  await expect(run({ file: join(dir, 'garbage.pth'), out: join(dir, 'x') })).rejects.toThrow(
    /garbage\.pth: readTorchCheckpoint: expected a PyTorch checkpoint/,
  );
  await expect(run({ file: join(dir, 'bad.pth'), out: join(dir, 'x') })).rejects.toThrow(
    /bad\.pth: importTorchGenerator: the state_dict does not fit[\s\S]*1 missing key: 'model_dec\.1\.weight'/,
  );
  expect(await code({ file: join(dir, 'bad.pth'), out: join(dir, 'x') })).toBe(1);
  expect(existsSync(join(dir, 'x'))).toBe(false);
});
