/** The page built (Vite) with a seeded model into a temporary folder, served on 127.0.0.1, and its size. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, preview, type PreviewServer } from 'vite';
import { writeSeededModel } from '../scripts/prepare-model.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The page built into a temporary folder, with a seeded model, and served. */
export interface ServedPage {
  url: string;
  dist: string;
  modelDir: string;
  close(): Promise<void>;
}

/** Builds the page (vite) with a seeded model into a temporary folder and serves it on 127.0.0.1. */
export async function servePage(): Promise<ServedPage> {
  const tmp = await mkdtemp(join(tmpdir(), 'tpfr-page-'));
  const publicDir = join(tmp, 'public');
  const modelDir = join(publicDir, 'model');
  await writeSeededModel(modelDir, 0);
  const dist = join(tmp, 'dist');
  const configFile = join(root, 'vite.config.ts');
  await build({ configFile, publicDir, build: { outDir: dist, emptyOutDir: true }, logLevel: 'warn' });
  const server: PreviewServer = await preview({
    configFile,
    build: { outDir: dist },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
    logLevel: 'warn',
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('servePage: the preview server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    dist,
    modelDir,
    close: async () => {
      await new Promise<void>((r) => server.httpServer.close(() => r()));
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** The built page's bytes, gzipped. */
export interface SizeRecord {
  bench: 'browser-size';
  /** Page + worker, what every visitor downloads (JavaScript). */
  jsGzipBytes: number;
  /** The wasm binary a browser with SIMD fetches when it runs on wasm. */
  wasmGzipBytes: number;
  /** Each lazily loaded chunk (the GPU backends), gzipped. */
  lazyChunksGzipBytes: Record<string, number>;
  modelBytes: number;
}

/** Sizes of the built page (gzip -9 of each file). */
export function pageSize(dist: string): SizeRecord {
  const assets = join(dist, 'assets');
  const gz = (f: string) => gzipSync(readFileSync(f), { level: 9 }).length;
  const files = readdirSync(assets);
  const js = files.filter((f) => f.endsWith('.js'));
  // Chunks the page and worker load up front: the entry, the worker, and what they import statically.
  const upfront = new Set<string>();
  const visit = (f: string) => {
    if (upfront.has(f)) return;
    upfront.add(f);
    const src = readFileSync(join(assets, f), 'utf8');
    for (const m of src.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']\.\/([\w.-]+\.js)["']/g)) visit(m[1]);
  };
  js.filter((f) => f.startsWith('index-') || f.startsWith('worker-')).forEach(visit);
  const lazy: Record<string, number> = {};
  for (const f of js.filter((f) => !upfront.has(f))) lazy[f] = gz(join(assets, f));
  const simd = files.find((f) => f.startsWith('tfjs-backend-wasm-simd'))!;
  return {
    bench: 'browser-size',
    jsGzipBytes: [...upfront].reduce((s, f) => s + gz(join(assets, f)), 0),
    wasmGzipBytes: gz(join(assets, simd)),
    lazyChunksGzipBytes: lazy,
    modelBytes: ['model.json', 'weights.bin'].reduce((s, f) => s + statSync(join(dist, 'model', f)).size, 0),
  };
}
