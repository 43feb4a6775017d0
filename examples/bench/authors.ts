/**
 * `pnpm bench:authors [--checkpoint FILE] [--sizes 256,512,1024] [--content IMG --style IMG]`:
 * the authors' generator imported from a PyTorch checkpoint, then `stylize` with their test-time
 * pipeline (resize, centre crop, content pad 8·⌊S/256⌋, stretch) on wasm.
 *
 * Without `--checkpoint`, a full-size checkpoint is written first (the authors' 156 keys at
 * ngf 64, 25,519,580 parameters, random weights, PyTorch's legacy format as their file) with the
 * tests' writer. Without images, a synthetic scene (content) and a synthetic painting (style) of
 * 1.5·S are used. Each measurement runs in a child process of its own and reports its peak RSS
 * (the wasm heap included). JSON lines:
 * {"bench":"authors","importMs":…,"peakRssMiB":…,"format":…,"ngf":…,"parameters":…}
 * {"bench":"authors","size":S,"styleSize":…,"ms":…,"peakRssMiB":…} for each S (style at min(S, 512)).
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (record.ts); stdout is unchanged.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../packages/core/src/index.ts';
import { readTorchCheckpoint } from '../../packages/core/src/torch/index.ts';
import { writeTorchCheckpoint } from '../../packages/testing/src/torch-writer.ts';
import { fromModelRange, importTorchGenerator, stylize } from '../../packages/models/src/index.ts';
import { authorsGeneratorKeys, syntheticAuthorsStateDict } from '../../packages/models/src/torch-import/index.ts';
import { renderPhoto, paintWithClass } from '../../packages/models/src/data/index.ts';
import { readImage } from '../../packages/models/src/node/index.ts';
import { childJsonLines } from './child.ts';
import { printLine } from './record.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS * 1024) / 2 ** 20);

function load(file: string) {
  const t0 = performance.now();
  const bytes = readFileSync(file);
  const ck = readTorchCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const result = importTorchGenerator(ck);
  return { ...result, ms: performance.now() - t0 };
}

/** A content and a style image, 0–255, of side `side` (or the files given). */
function images(side: number): [tf.Tensor3D, tf.Tensor3D] {
  const c = arg('--content');
  const s = arg('--style');
  if (c && s) return [readImage(c), readImage(s)];
  return tf.tidy(() => {
    const photo = renderPhoto(11, side);
    const painting = paintWithClass(renderPhoto(12, side), 'stripes-pop', 3);
    const bytes = (x: tf.Tensor3D) => tf.round(fromModelRange(x));
    return [bytes(photo), bytes(painting)];
  });
}

async function child(file: string, what: string): Promise<void> {
  await initBackend('wasm');
  if (what === 'import') {
    const { model, report, ms } = load(file);
    console.log(
      JSON.stringify({
        bench: 'authors',
        importMs: Math.round(ms),
        peakRssMiB: peakRssMiB(),
        format: report.format,
        ngf: report.ngf,
        parameters: report.parameterCount,
      }),
    );
    model.dispose();
    return;
  }
  const size = Number(what);
  const styleSize = Math.min(size, 512);
  const { model } = load(file);
  const [content, style] = images(Math.ceil(1.5 * size));
  const t0 = performance.now();
  const out = stylize(model, content, style, { pipeline: { size, styleSize } }) as tf.Tensor3D;
  await out.data();
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ bench: 'authors', size, styleSize, ms: Math.round(ms), peakRssMiB: peakRssMiB() }));
}

async function main(): Promise<void> {
  const c = arg('--child');
  if (c) return child(arg('--file')!, c);
  const sizes = (arg('--sizes') ?? '256,512,1024').split(',').map(Number);
  let file = arg('--checkpoint');
  let tmp: string | null = null;
  if (!file) {
    tmp = mkdtempSync(join(tmpdir(), 'tpfr-bench-authors-'));
    file = join(tmp, '200_net_G.pth');
    const tensors = syntheticAuthorsStateDict(authorsGeneratorKeys({ ngf: 64, residualBlocks: 6 }), 1);
    const entries = [...tensors].map(([name, t]) => ({ name, ...t }));
    writeFileSync(file, writeTorchCheckpoint(entries as Parameters<typeof writeTorchCheckpoint>[0], { format: 'legacy' }));
  }
  const self = fileURLToPath(import.meta.url);
  const run = (what: string) => {
    printLine(childJsonLines(self, ['--child', what, '--file', file!, ...process.argv.slice(2)]).pop()!);
  };
  try {
    run('import');
    for (const size of sizes) run(String(size));
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
