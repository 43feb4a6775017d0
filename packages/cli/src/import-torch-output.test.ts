import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { readTorchCheckpoint } from '@tpfr/core/torch';
import { writeTorchCheckpoint } from '@tpfr/testing';
import { MODEL_MANIFEST, loadModel } from '@tpfr/models/node';
import { authorsDiscriminatorKeys, authorsGeneratorKeys, importTorchGenerator, syntheticAuthorsStateDict } from '@tpfr/models/torch';
import { importTorchCommand } from './import-torch.js';
import { CliError } from './errors.js';
import { main } from './main.js';

// The real reader and importer, recorded (and, in one test, made to fail as a bug would).
vi.mock('@tpfr/core/torch', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@tpfr/core/torch')>();
  return { ...actual, readTorchCheckpoint: vi.fn(actual.readTorchCheckpoint) };
});
vi.mock('@tpfr/models/torch', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@tpfr/models/torch')>();
  return { ...actual, importTorchGenerator: vi.fn(actual.importTorchGenerator) };
});

const dir = mkdtempSync(join(tmpdir(), 'tpfr-import-torch-output-'));
let stdout = '';
let stderr = '';

type StateDict = ReturnType<typeof syntheticAuthorsStateDict>;
const toPth = (sd: StateDict, format: 'legacy' | 'zip' = 'legacy') =>
  writeTorchCheckpoint([...sd].map(([name, t]) => ({ name, ...t })) as Parameters<typeof writeTorchCheckpoint>[0], { format });

/** A zip generator checkpoint without the 'module.' prefix and without the ignored counters. */
const plain = join(dir, 'plain_net_G.pth');
const disc = join(dir, 'D.pth');
const garbage = join(dir, 'garbage.pth');
beforeAll(async () => {
  await initBackend('wasm');
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    stdout += `${args.join(' ')}\n`;
  });
  const sd = syntheticAuthorsStateDict(authorsGeneratorKeys({ ngf: 4, residualBlocks: 1 }), 5);
  writeFileSync(plain, toPth(new Map([...sd].filter(([k]) => !k.endsWith('num_batches_tracked'))), 'zip'));
  writeFileSync(disc, toPth(syntheticAuthorsStateDict(authorsDiscriminatorKeys({ ndf: 4 }), 6)));
  writeFileSync(garbage, 'PK nonsense');
  mkdirSync(join(dir, 'empty'));
});
beforeEach(() => {
  vi.mocked(readTorchCheckpoint).mockClear();
  vi.mocked(importTorchGenerator).mockClear();
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
/** The CliError a call fails with (its exit code and message). */
const failure = async (o: Parameters<typeof importTorchCommand>[0]) => {
  try {
    await run(o);
  } catch (e) {
    if (e instanceof CliError) return { code: e.exitCode, message: e.message };
    throw e;
  }
  throw new Error('expected a CliError');
};
const seconds = (line: string) => [...line.matchAll(/(\d+\.\d\d) s/g)].map((m) => Number(m[1]));

it('prints every line of the report from what was read and imported', async () => {
  const out = join(dir, 'empty');
  const t0 = performance.now();
  const report = await run({ file: plain, out, discriminator: disc });
  const elapsed = (performance.now() - t0) / 1000;
  // Computed on the CPU backend by default (importing computes nothing), without saying so.
  expect(tf.getBackend()).toBe('cpu');
  expect(stderr).toBe('');
  expect(vi.mocked(importTorchGenerator).mock.calls[0][1]).toEqual({ discriminator: vi.mocked(readTorchCheckpoint).mock.results[1].value });
  expect(report.ignored).toEqual([]);
  expect(report.modulePrefixed).toBe(0);
  const model = await loadModel(out);
  const n = (v: number) => v.toLocaleString('en');
  const lines = stdout.trimEnd().split('\n');
  expect(lines.slice(0, 5)).toEqual([
    `read ${plain}: PyTorch zip checkpoint, ${(statSync(plain).size / 2 ** 20).toFixed(1)} MiB, ${report.keys} keys`,
    `generator: ResnetGeneratorResidual, ngf 4, 1 residual blocks, ${n(report.parameterCount)} parameters (+ ${n(report.bufferCount)} BatchNorm running statistics)`,
    `keys: ${report.keys} mapped, 0 ignored`,
    `discriminator: legacy checkpoint, ${report.discriminator!.mapped && report.discriminator!.keys} keys mapped (ndf 4, ${n(model.discriminator.countParams())} parameters)`,
    `model: downsamplePadding 'symmetric', ties 'include', k ${model.config.k}; saved to ${out}`,
  ]);
  expect(report.parameterCount).toBeGreaterThan(1000);
  // time: total (read, import, save): each within the call, the parts adding up to the total.
  expect(lines[5]).toMatch(/^time: \d+\.\d\d s \(read \d+\.\d\d s, import \d+\.\d\d s, save \d+\.\d\d s\)$/);
  const [total, read, imp, save] = seconds(lines[5]);
  for (const s of [total, read, imp, save]) expect(s).toBeLessThanOrEqual(elapsed + 0.005);
  expect(Math.abs(total - (read + imp + save))).toBeLessThanOrEqual(0.015);
  expect(lines).toHaveLength(6);
  // The manifest says where the weights came from.
  const manifest = JSON.parse(readFileSync(join(out, MODEL_MANIFEST), 'utf8'));
  expect(manifest.importedFrom).toEqual({
    generator: { file: 'plain_net_G.pth', format: 'zip', bytes: statSync(plain).size },
    discriminator: { file: 'D.pth', format: 'legacy', bytes: statSync(disc).size, mapped: true },
    parameterCount: report.parameterCount,
  });
  model.dispose();
});

it("names the 'module.' prefix stripped and every ignored key", async () => {
  const prefixed = join(dir, 'prefixed_net_G.pth');
  const sd = syntheticAuthorsStateDict(authorsGeneratorKeys({ ngf: 4, residualBlocks: 1 }), 7);
  writeFileSync(prefixed, toPth(new Map([...sd].map(([k, v]) => [`module.${k}`, v]))));
  const report = await run({ file: prefixed, out: join(dir, 'prefixed') });
  expect(report.ignored).toHaveLength(4);
  expect(report.ignored.every((k) => k.endsWith('.num_batches_tracked'))).toBe(true);
  const lines = stdout.split('\n');
  expect(lines[0]).toBe(
    `read ${prefixed}: PyTorch legacy checkpoint, ${(statSync(prefixed).size / 2 ** 20).toFixed(1)} MiB, ${report.keys} keys ('module.' prefix stripped from ${report.keys})`,
  );
  expect(lines[2]).toBe(
    `keys: ${report.keys - 4} mapped, 4 ignored (${report.ignored[0]}, ${report.ignored[1]}, ${report.ignored[2]}, ${report.ignored[3]})`,
  );
});

it('without a discriminator: fresh weights, said so, and none in the manifest; --quiet prints one line', async () => {
  const out = join(dir, 'no-d');
  const report = await run({ file: plain, out, backend: 'wasm' });
  expect(tf.getBackend()).toBe('wasm');
  expect(report.discriminator).toBeNull();
  expect(vi.mocked(importTorchGenerator).mock.calls[0][1]).toEqual({ discriminator: undefined });
  expect(stdout.split('\n')[3]).toBe(`discriminator: none given; fresh weights (ndf ${report.ndf})`);
  expect(report.ndf).toBe(64);
  expect(JSON.parse(readFileSync(join(out, MODEL_MANIFEST), 'utf8')).importedFrom).toEqual({
    generator: { file: 'plain_net_G.pth', format: 'zip', bytes: statSync(plain).size },
    parameterCount: report.parameterCount,
  });
  const t0 = performance.now();
  await run({ file: plain, out, quiet: true });
  const elapsed = (performance.now() - t0) / 1000;
  expect(stdout).toMatch(
    new RegExp(
      `^imported ${plain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(zip, ngf 4, ${report.parameterCount.toLocaleString('en')} parameters, ${report.keys} keys mapped, 0 ignored\\) into ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in \\d+\\.\\d\\d s\\n$`,
    ),
  );
  expect(seconds(stdout)[0]).toBeLessThanOrEqual(elapsed + 0.005);
});

it('a discriminator that does not fit: a warning naming the file and the reason, fresh weights, mapped: false', async () => {
  const out = join(dir, 'bad-d');
  const report = await run({ file: plain, out, discriminator: plain });
  const reason = (report.discriminator as { reason: string }).reason;
  expect(reason).toMatch(/model_pred\.0\.weight/);
  expect(stderr).toBe(`tpfr: warning: ${plain}: ${reason}; the discriminator keeps fresh weights\n`);
  expect(stdout.split('\n')[3]).toBe(`discriminator: not mapped, fresh weights (ndf 64): ${reason}`);
  expect(JSON.parse(readFileSync(join(out, MODEL_MANIFEST), 'utf8')).importedFrom.discriminator).toEqual({
    file: 'plain_net_G.pth',
    format: 'zip',
    bytes: statSync(plain).size,
    mapped: false,
  });
});

it('usage errors exit 2 and failures 1, with messages naming the option, the expected and the received', async () => {
  const x = join(dir, 'x');
  const cases: Array<[Parameters<typeof importTorchCommand>[0], number, string]> = [
    [{ file: undefined as unknown as string, out: x }, 2, '<file.pth>: expected a .pth file, received nothing'],
    [{ file: '', out: x }, 2, '<file.pth>: expected a .pth file, received nothing'],
    [{ file: plain, out: undefined as unknown as string }, 2, 'option --out: expected a model folder to write, received nothing'],
    [{ file: plain, out: '' }, 2, 'option --out: expected a model folder to write, received nothing'],
    [{ file: plain, out: disc }, 2, `option --out ${disc}: exists and is not a folder`],
    [
      { file: plain, out: dir },
      2,
      `option --out ${dir}: a non-empty folder that is not a model folder (no ${MODEL_MANIFEST}); refusing to replace it`,
    ],
    [{ file: plain, out: x, discriminator: '' }, 2, '--discriminator: expected a .pth file, received nothing'],
    [{ file: join(dir, 'missing.pth'), out: x }, 1, `<file.pth> ${join(dir, 'missing.pth')}: no such file`],
    [{ file: dir, out: x }, 1, `<file.pth> ${dir}: expected a file, received a directory`],
    [{ file: plain, out: x, discriminator: join(dir, 'nope.pth') }, 1, `--discriminator ${join(dir, 'nope.pth')}: no such file`],
    [{ file: plain, out: x, discriminator: dir }, 1, `--discriminator ${dir}: expected a file, received a directory`],
  ];
  for (const [o, code, message] of cases) expect(await failure(o), message).toEqual({ code, message });
  const unreadable = await failure({ file: garbage, out: x });
  expect(unreadable.code).toBe(1);
  expect(unreadable.message).toMatch(
    new RegExp(`^<file\\.pth> ${garbage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: readTorchCheckpoint: expected a PyTorch checkpoint`),
  );
  const unreadableD = await failure({ file: plain, out: x, discriminator: garbage });
  expect(unreadableD.code).toBe(1);
  expect(unreadableD.message).toMatch(/^--discriminator .*garbage\.pth: readTorchCheckpoint: expected a PyTorch checkpoint/);
  const noFit = await failure({ file: disc, out: x });
  expect(noFit.code).toBe(1);
  expect(noFit.message.startsWith(`${disc}: importTorchGenerator: expected the authors' ResnetGeneratorResidual state_dict`)).toBe(true);
  expect(stderr).toBe('');
});

it('a bug in the reader or the importer is not reported as a bad file: it reaches main, exit 1 with its stack', async () => {
  const x = join(dir, 'bug');
  vi.mocked(readTorchCheckpoint).mockImplementationOnce(() => {
    throw new RangeError('reader bug');
  });
  await expect(run({ file: plain, out: x })).rejects.toThrow(new RangeError('reader bug'));
  vi.mocked(importTorchGenerator).mockImplementationOnce(() => {
    throw new TypeError('importer bug');
  });
  await expect(run({ file: plain, out: x })).rejects.toThrow(new TypeError('importer bug'));
  vi.mocked(importTorchGenerator).mockImplementationOnce(() => {
    throw new TypeError('importer bug');
  });
  stderr = '';
  expect(await main(['import-torch', plain, '--out', x])).toBe(1);
  expect(stderr).toMatch(/^tpfr: unexpected error: TypeError: importer bug\n {4}at /);
});
