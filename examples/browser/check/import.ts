/**
 * The authors' checkpoint in the page, on one backend: the file picked in the model panel is read
 * and imported in the worker; a truncated file and a hostile one (a pickle calling `os.system`)
 * are refused with a clear message while the imported model keeps working; the sample images
 * stylized with it equal Node's stylization with the same file (on the page's neighbour graph);
 * *Forget* goes back to the page's own model. With `storage` (once: it does not depend on the
 * backend), a new visit runs it again from IndexedDB, and a saved model folder's files load.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ElementHandle } from 'puppeteer-core';
import { readTorchCheckpoint } from '@tpfr/core/torch';
import type { TpfrModel } from '@tpfr/models';
import { authorsGeneratorKeys, importTorchGenerator, syntheticAuthorsStateDict } from '@tpfr/models/torch';
// The workspace's test helpers, by path: `pnpm bench:browser` runs this file outside vitest.
import { writeTorchCheckpoint, type WritableTorchTensor } from '../../../packages/testing/src/torch-writer.ts';
import type { ModelInfo } from '../src/model-info.js';
import type { PageBackendName } from './chromium.js';
import { nodeReference, onWasm } from './reference.js';
import { counters, maxAbsDiffOf, readResult, waitFor, type OpenTab, type PageView } from './tab.js';

/** The import's figures on one backend, as the tests and `pnpm bench:browser` print them. */
export interface ImportRecord {
  bench: 'browser-import';
  backend: PageBackendName;
  file: string;
  format: string;
  /** Largest |page − Node| (−1…1 scale) of the sample images stylized with the imported model (NaN: not stylized). */
  maxAbsDiff: number;
  /** Reading and importing in the worker. */
  importMs: number;
  /** What the import held at once (see `ImportMemory` of src/model-info.ts), and as copies of the weights. */
  peakBytes: number;
  copies: number;
  fileBytes: number;
  weightBytes: number;
  /** The worker's JS heap after the import, where Chromium tells (`performance.memory`). */
  jsHeapBytes?: number;
  ngf: number;
  parameters: number;
  /** The messages of the refused files, and whether the model still ran afterwards. */
  refused: string[];
  keptWorking: boolean;
  /** After a reload: the model came back from IndexedDB (null: not checked on this backend); after Forget: the page's own. */
  restored: boolean | null;
  forgotten: boolean;
  /** A saved model folder's files (model.json, weights.bin, tpfr-model.json) loaded, and kept (null: not checked here). */
  folderLoaded: boolean | null;
}

/** What is wrong with an import record (empty: it passes). */
export function importProblems(r: ImportRecord): string[] {
  const out: string[] = [];
  if (!(r.maxAbsDiff < 0.05)) out.push(`the imported model's result is ${r.maxAbsDiff} off Node's (≥ 0.05)`);
  if (!(r.copies <= 3.2)) out.push(`the import held ${r.copies.toFixed(2)} copies of the weights at once (more than about 3)`);
  if (!r.keptWorking) out.push('the page did not keep working after the refused files');
  if (!/truncated/i.test(r.refused[0] ?? '')) out.push(`the truncated file's message does not say so: ${r.refused[0]}`);
  if (!/os\.system/.test(r.refused[1] ?? '')) out.push(`the hostile file's message does not name os.system: ${r.refused[1]}`);
  if (r.restored === false) out.push('a reload did not run the model kept in IndexedDB');
  if (!r.forgotten) out.push("Forget did not bring back the page's own model");
  if (r.folderLoaded === false) out.push("a saved model folder's files were not loaded");
  return out;
}

/** The authors' generator imported in Node from a checkpoint file. */
export function importInNode(path: string): TpfrModel {
  const bytes = readFileSync(path);
  return importTorchGenerator(readTorchCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))).model;
}

/**
 * Writes a checkpoint of the authors' generator at `ngf` (the paper's 64: about 98 MiB) with
 * seeded synthetic weights, by the project's own torch writer.
 */
export function writeSyntheticCheckpoint(path: string, ngf: number, format: 'zip' | 'legacy' = 'zip'): void {
  const sd = syntheticAuthorsStateDict(authorsGeneratorKeys({ ngf, residualBlocks: 6 }), 1);
  writeFileSync(path, writeTorchCheckpoint([...sd].map(([name, t]) => ({ name, ...t })) as WritableTorchTensor[], { format }));
}

/** A truncated copy (the first 60 %) and a hostile copy (its state dict's global replaced by `os.system`) of a legacy checkpoint. */
export function spoiledCheckpoints(legacy: string, dir: string): { truncated: string; hostile: string } {
  const bytes = readFileSync(legacy);
  const truncated = join(dir, 'short_net_G.pth');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const at = bytes.indexOf(Buffer.from('collections\nOrderedDict\n'));
  if (at < 0) throw new Error(`spoiledCheckpoints: expected a legacy checkpoint with an OrderedDict global, received ${legacy}`);
  const hostile = join(dir, 'evil_net_G.pth');
  writeFileSync(
    hostile,
    Buffer.concat([bytes.subarray(0, at), Buffer.from('os\nsystem\n'), bytes.subarray(at + 'collections\nOrderedDict\n'.length)]),
  );
  return { truncated, hostile };
}

const model = (t: OpenTab) => t.tab.evaluate(() => (window as unknown as { tpfrPage: PageView }).tpfrPage.model);

/** Gives the page a file in the model panel and waits for the import (or its refusal: the message). */
export function giveModel(t: OpenTab, path: string, what: string): Promise<{ info: ModelInfo } | { error: string }> {
  return giveModels(t, [path], what);
}

/** Gives the page files together in the model panel and waits for the import (or its refusal: the message). */
export async function giveModels(t: OpenTab, paths: string[], what: string): Promise<{ info: ModelInfo } | { error: string }> {
  const before = await counters(t);
  const input = (await t.tab.$('input#model-files')) as ElementHandle<HTMLInputElement>;
  await input.uploadFile(...paths);
  try {
    await waitFor(t, before, 'imports', what, 300_000);
  } catch (e) {
    return { error: (e as Error).message };
  }
  return { info: await model(t) };
}

/** Stylizes the sample images in one pool at `size`, strength 1, the styles' colours; returns when done. */
async function stylizeSamples(t: OpenTab, size: number, what: string): Promise<void> {
  await t.tab.click('#samples');
  await t.tab.$eval(
    '#steer',
    (root, s) => {
      const set = (sel: string, v: string) => {
        (root.ownerDocument.querySelector(sel) as HTMLInputElement).value = v;
      };
      set('#mix-mode', 'pool');
      root.ownerDocument.querySelector('#mix-mode')!.dispatchEvent(new Event('change', { bubbles: true }));
      set('#colour', '');
      set('#strength', '1');
      set('#size', String(s));
    },
    size,
  );
  const before = await counters(t);
  await t.tab.click('#run');
  await waitFor(t, before, 'completed', what);
}

/**
 * On an open page: imports `file` (a fixture checkpoint), refuses the spoiled ones, stylizes the
 * samples at `size` and compares with Node, reloads (the model from IndexedDB), forgets.
 */
export async function checkImport(
  t: OpenTab,
  backend: PageBackendName,
  file: string,
  spoiled: { truncated: string; hostile: string },
  size: number,
  folderFiles: string[],
  storage: boolean,
): Promise<ImportRecord> {
  const given = await giveModel(t, file, `importing ${basename(file)} on ${backend}`);
  if ('error' in given) throw new Error(given.error);
  const { info } = given;
  const refused: string[] = [];
  for (const bad of [spoiled.truncated, spoiled.hostile]) {
    const r = await giveModel(t, bad, `giving ${basename(bad)} on ${backend}`);
    refused.push('error' in r ? r.error : `accepted: ${JSON.stringify(r.info)}`);
  }
  const still = await model(t);
  await stylizeSamples(t, size, `stylizing with the imported model on ${backend}`);
  const result = await readResult(t.tab);
  const keptWorking = still.name === info.name && still.source === 'checkpoint';
  const ref = await onWasm(
    async () => importInNode(file),
    (m) => nodeReference(m, result),
  );
  // What follows does not depend on the backend: checked once (with `storage`), the model forgotten elsewhere.
  const memory = info.memory!;
  const base = {
    bench: 'browser-import' as const,
    backend,
    file: basename(file),
    format: info.format ?? '',
    maxAbsDiff: maxAbsDiffOf(result.output, ref.pageGraph.output),
    importMs: Math.round(info.importMs),
    peakBytes: memory.peakBytes,
    copies: Math.round(memory.copies * 100) / 100,
    fileBytes: memory.fileBytes,
    weightBytes: memory.weightBytes,
    jsHeapBytes: memory.jsHeapBytes,
    ngf: info.ngf,
    parameters: info.parameters,
    refused,
    keptWorking,
  };
  if (!storage) {
    const before = await counters(t);
    await t.tab.click('#model-forget');
    await waitFor(t, before, 'imports', `forgetting on ${backend}`);
    return { ...base, restored: null, forgotten: (await model(t)).source === 'served', folderLoaded: null };
  }
  // The next visit (no autorun: nothing to stylize): the model from IndexedDB, imported again.
  const url = new URL(t.tab.url());
  url.searchParams.delete('autorun');
  await t.tab.goto(url.href, { waitUntil: 'load' });
  // Ready once the model is known and the page idle (it may stylize its samples first: autorun).
  await t.tab.waitForFunction(
    () => {
      const p = (window as unknown as { tpfrPage?: PageView }).tpfrPage;
      return !!p && ((p.model !== undefined && p.state !== 'running' && p.state !== 'loading') || p.state === 'error');
    },
    { timeout: 300_000, polling: 100 },
  );
  const back = await model(t);
  const restored = back.source === 'checkpoint' && back.fromStorage && back.name === info.name;
  const before = await counters(t);
  await t.tab.click('#model-forget');
  await waitFor(t, before, 'imports', `forgetting on ${backend}`);
  const forgotten = (await model(t)).source === 'served';
  // A saved model folder's files, dropped together.
  const folder = await giveModels(t, folderFiles, `giving a model folder's files on ${backend}`);
  const folderLoaded = !('error' in folder) && folder.info.source === 'folder' && folder.info.stored;
  const after = await counters(t);
  await t.tab.click('#model-forget');
  await waitFor(t, after, 'imports', `forgetting the folder on ${backend}`);
  return { ...base, restored, forgotten, folderLoaded };
}

/**
 * Imports a large checkpoint (the paper's size) for its memory figures, then forgets it. No
 * stylization: the figures are the import's.
 */
export async function checkLargeImport(t: OpenTab, backend: PageBackendName, file: string): Promise<ImportRecord> {
  const given = await giveModel(t, file, `importing ${basename(file)} on ${backend}`);
  if ('error' in given) throw new Error(given.error);
  const { info } = given;
  const before = await counters(t);
  await t.tab.click('#model-forget');
  await waitFor(t, before, 'imports', `forgetting on ${backend}`);
  const memory = info.memory!;
  return {
    bench: 'browser-import',
    backend,
    file: basename(file),
    format: info.format ?? '',
    maxAbsDiff: Number.NaN,
    importMs: Math.round(info.importMs),
    peakBytes: memory.peakBytes,
    copies: Math.round(memory.copies * 100) / 100,
    fileBytes: memory.fileBytes,
    weightBytes: memory.weightBytes,
    jsHeapBytes: memory.jsHeapBytes,
    ngf: info.ngf,
    parameters: info.parameters,
    refused: [],
    keptWorking: true,
    folderLoaded: true,
    restored: true,
    forgotten: (await model(t)).source === 'served',
  };
}
