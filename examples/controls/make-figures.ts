/**
 * `pnpm figures:controls [--model DIR] [--size 128]`: the pictures of the controls guide
 * (docs/guides/controls/*.png), made from the repository's procedural images with the model at
 * hand: `--model DIR`, else the demo's `out/demo/model` (`pnpm demo` trains it). The content is a
 * procedural photo; the styles are paintings of the held-out synthetic classes (never seen in
 * the demo's training). Each picture is one row of images, left to right:
 * - strength.png: the content, then strength 0, 0.25, 0.5, 0.75, 1;
 * - blend.png: style A, weights A:B 1:0, 0.75:0.25, 0.5:0.5, 0.25:0.75, 0:1, style B;
 * - colour.png: the style, no preservation, 'luminance', 'histogram';
 * - regions.png: the mask (white: style A), style A, style B, the result.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { makeGrid } from '../../packages/cli/src/grid.ts';
import { initBackend } from '../../packages/core/src/index.ts';
import { HELD_OUT_STYLE_CLASSES, paintWithClass, renderPhoto } from '../../packages/models/src/data/index.ts';
import { stylize } from '../../packages/models/src/index.ts';
import { loadModel, writeImage } from '../../packages/models/src/node/index.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const modelDir = arg('--model') ?? join(repo, 'out/demo/model');
if (!existsSync(modelDir)) {
  console.error(`figures:controls: expected a model folder, received '${modelDir}' (none there): run pnpm demo, or give --model DIR`);
  process.exit(2);
}
const size = Number(arg('--size') ?? 128);
await initBackend('wasm');
const model = await loadModel(modelDir);
const out = join(repo, 'docs/guides/controls');
mkdirSync(out, { recursive: true });
const bytes = (x: tf.Tensor3D) => tf.tidy(() => tf.mul(tf.add(x, 1), 127.5) as tf.Tensor3D);
const [classA, classB] = HELD_OUT_STYLE_CLASSES;
const content = bytes(renderPhoto(2026, size));
const a = bytes(paintWithClass(renderPhoto(7, size), classA, 1));
const b = bytes(paintWithClass(renderPhoto(8, size), classB, 2));
const save = (name: string, row: tf.Tensor3D[]) => {
  const grid = makeGrid([row], { padding: 4, background: 255 });
  writeImage(join(out, name), grid);
  tf.dispose([grid, ...row.filter((t) => t !== content && t !== a && t !== b)]);
  console.log(join(out, name));
};
save('strength.png', [content, ...[0, 0.25, 0.5, 0.75, 1].map((strength) => stylize(model, content, a, { strength }))]);
save('blend.png', [a, ...[0, 0.25, 0.5, 0.75, 1].map((t) => stylize(model, content, [a, b], { styleWeights: [1 - t, t] })), b]);
save('colour.png', [
  a,
  stylize(model, content, a),
  stylize(model, content, a, { preserveColor: 'luminance' }),
  stylize(model, content, a, { preserveColor: 'histogram' }),
]);
const mask = tf.tidy(() => tf.concat([tf.fill([size, size / 2, 1], 255, 'int32'), tf.zeros([size, size / 2, 1], 'int32')], 1));
const shown = tf.tidy(() => tf.cast(tf.tile(mask, [1, 1, 3]), 'float32') as tf.Tensor3D);
save('regions.png', [shown, a, b, stylize(model, content, [a, b], { masks: [mask, tf.sub(255, mask)] })]);
tf.dispose([content, a, b, mask]);
model.dispose();
