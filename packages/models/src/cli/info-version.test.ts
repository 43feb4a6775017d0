import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import { beforeAll, expect, it, vi } from 'vitest';
import { infoCommand } from './commands.js';

// `tpfr info` reads the version from this package's package.json: `../package.json` beside the
// bundle in dist/, else `../../package.json` from the sources. Reads are redirected here to play
// the layouts: the real files are not touched.
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, readFileSync: vi.fn(actual.readFileSync) };
});

const real = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
let stdout = '';
beforeAll(() => {
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { stdout += `${args.join(' ')}\n`; });
});

/** The first line of `tpfr info` with `package.json` files as given (a path suffix → contents, or null: missing). */
const versionLine = async (files: Record<string, string | null>) => {
  const actual = (await vi.importActual<typeof import('node:fs')>('node:fs')).readFileSync;
  vi.mocked(fs.readFileSync).mockImplementation(((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    const s = String(p);
    for (const [suffix, text] of Object.entries(files)) {
      if (!s.endsWith(suffix)) continue;
      if (text === null) throw Object.assign(new Error(`ENOENT: no such file, open '${s}'`), { code: 'ENOENT' });
      return text;
    }
    return (actual as (...a: unknown[]) => unknown)(p, ...rest);
  }) as typeof fs.readFileSync);
  stdout = '';
  try {
    await infoCommand({ backend: 'cpu' });
  } finally {
    vi.mocked(fs.readFileSync).mockImplementation(actual);
  }
  const lines = stdout.trimEnd().split('\n');
  expect(lines.slice(1)).toEqual([`@tensorflow/tfjs-core ${tf.version_core}`, 'backend cpu', `node ${process.versions.node}`]);
  return lines[0];
};

it('takes the version from the sources\' package.json (none beside a bundle)', async () => {
  expect(real.name).toBe('@tpfr/models');
  expect(await versionLine({})).toBe(`@tpfr/models ${real.version}`);
});

it('prefers package.json beside the bundle when it is @tpfr/models\'s, and skips another package\'s or a broken one', async () => {
  expect(await versionLine({ '/src/package.json': JSON.stringify({ name: '@tpfr/models', version: '9.9.9-built' }) })).toBe('@tpfr/models 9.9.9-built');
  expect(await versionLine({ '/src/package.json': JSON.stringify({ name: 'other', version: '1.2.3' }) })).toBe(`@tpfr/models ${real.version}`);
  expect(await versionLine({ '/src/package.json': '{ not json' })).toBe(`@tpfr/models ${real.version}`);
});

it("says 'unknown' when neither package.json is @tpfr/models's", async () => {
  expect(await versionLine({ '/src/package.json': null, '/models/package.json': JSON.stringify({ name: 'other', version: '1.2.3' }) })).toBe('@tpfr/models unknown');
  expect(await versionLine({ '/src/package.json': null, '/models/package.json': null })).toBe('@tpfr/models unknown');
});
