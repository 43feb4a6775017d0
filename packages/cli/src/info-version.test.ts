import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import { beforeAll, expect, it, vi } from 'vitest';
import { infoCommand } from './commands.js';

// `tpfr info` reads the versions from package.json files: @tpfr/cli's own (`../package.json`,
// beside `dist/` and `src/` alike) and @tpfr/models's. Reads are redirected here to play missing,
// foreign or broken files: the real files are not touched.
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, readFileSync: vi.fn(actual.readFileSync) };
});

const real = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
const models = JSON.parse(fs.readFileSync(new URL('../../models/package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};
let stdout = '';
beforeAll(() => {
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    stdout += `${args.join(' ')}\n`;
  });
});

/** The two version lines of `tpfr info` with `package.json` files as given (a path suffix → contents, or null: missing). */
const versionLines = async (files: Record<string, string | null>) => {
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
  expect(lines.slice(2)).toEqual([`@tensorflow/tfjs-core ${tf.version_core}`, 'backend cpu', `node ${process.versions.node}`]);
  return lines.slice(0, 2);
};

it("takes the versions from @tpfr/cli's package.json and @tpfr/models's", async () => {
  expect([real.name, models.name]).toEqual(['@tpfr/cli', '@tpfr/models']);
  expect(await versionLines({})).toEqual([`@tpfr/cli ${real.version}`, `@tpfr/models ${models.version}`]);
});

it("says 'unknown' for a package.json that is missing, another package's or broken", async () => {
  expect(await versionLines({ '/cli/package.json': JSON.stringify({ name: 'other', version: '1.2.3' }) })).toEqual([
    '@tpfr/cli unknown',
    `@tpfr/models ${models.version}`,
  ]);
  expect(await versionLines({ '/cli/package.json': '{ not json' })).toEqual(['@tpfr/cli unknown', `@tpfr/models ${models.version}`]);
  expect(await versionLines({ '/cli/package.json': null, '/models/package.json': null })).toEqual([
    '@tpfr/cli unknown',
    '@tpfr/models unknown',
  ]);
  expect(await versionLines({ '/models/package.json': JSON.stringify({ name: '@tpfr/models' }) })).toEqual([
    `@tpfr/cli ${real.version}`,
    '@tpfr/models unknown',
  ]);
});
