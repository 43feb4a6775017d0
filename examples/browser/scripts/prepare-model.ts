/**
 * Writes the page's model folder (`public/model/` by default: tfjs `model.json` + `weights.bin`,
 * and `about.json`, which the page shows). The model is, in this order:
 *   --from DIR   a model folder saved by @tpfr (`tpfr import-torch` of the authors' checkpoint,
 *                `tpfr train`, or the demo's), copied;
 *   the demo's   `out/demo/model` of the repository, when `pnpm demo` has run;
 *   seeded       an untrained tiny model with seeded weights (what the tests use): its colours
 *                are arbitrary, but every backend must compute the same ones.
 * Usage: pnpm -C examples/browser prepare-model [--from DIR] [--out DIR] [--seed N]
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '@tpfr/core';
import { TpfrTrainer } from '@tpfr/models/train';
import { saveModel } from '@tpfr/models/node';
import type { ModelAbout } from '../src/protocol.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../../..');

/** Writes a seeded, untrained tiny model to `out` (with about.json). */
export async function writeSeededModel(out: string, seed = 0): Promise<void> {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel('tiny', seed);
  try {
    await rm(out, { recursive: true, force: true });
    await saveModel(model, out);
  } finally {
    model.dispose();
  }
  const about: ModelAbout = {
    source: 'seeded',
    description: `untrained, seeded (tiny preset, seed ${seed}): arbitrary colours, for checking backends; run pnpm demo, or tpfr import-torch the authors' checkpoint, for a real one`,
  };
  await writeFile(join(out, 'about.json'), JSON.stringify(about, null, 2));
}

/** Copies a saved model folder to `out`, saying where it came from. */
export async function copyModel(from: string, out: string, source: ModelAbout['source']): Promise<void> {
  const manifest = JSON.parse(await readFile(join(from, 'tpfr-model.json'), 'utf8')) as Record<string, unknown>;
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  for (const f of ['model.json', 'weights.bin', 'tpfr-model.json']) await cp(join(from, f), join(out, f));
  const what =
    source === 'demo'
      ? 'trained by pnpm demo'
      : manifest.importedFrom
        ? "imported from the authors' PyTorch checkpoint"
        : `saved by @tpfr from ${from}`;
  const about: ModelAbout = { source: source === 'demo' ? 'demo' : manifest.importedFrom ? 'authors' : source, description: what };
  await writeFile(join(out, 'about.json'), JSON.stringify(about, null, 2));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { from: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } } });
  const out = resolve(values.out ?? join(here, '../public/model'));
  const demo = join(repo, 'out/demo/model');
  if (values.from) await copyModel(resolve(values.from), out, 'seeded');
  else if (existsSync(join(demo, 'model.json'))) await copyModel(demo, out, 'demo');
  else await writeSeededModel(out, Number(values.seed ?? 0));
  console.log(`prepare-model: wrote ${out} (${JSON.parse(await readFile(join(out, 'about.json'), 'utf8')).description})`);
}
