/**
 * Stylizes every image of a folder in the style of one or more exemplars (one peer pool), with a
 * saved model: `node --import tsx examples/stylize-folder/stylize-folder.ts MODEL CONTENTS OUT STYLE…`.
 * Every content image meets the same exemplars; results are written as PNG.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tpfr/core';
import { stylize } from '@tpfr/models';
import { IMAGE_EXTENSIONS, loadModel, readImage, writeImage } from '@tpfr/models/node';

/** Options of {@link stylizeFolder}. */
export interface StylizeFolderOptions {
  /** A model folder (`pnpm demo`, `tpfr train` or `tpfr import-torch` write one). */
  model: string;
  /** The folder of content images (.png, .jpg). */
  contents: string;
  /** The style exemplars: one peer pool for every content image. */
  styles: string[];
  /** Where the results go, as `<name>.png`. */
  out: string;
  /** Called after each image. */
  onImage?: (file: string, done: number, total: number) => void;
}

/** Stylizes the folder; returns the files written. */
export async function stylizeFolder(o: StylizeFolderOptions): Promise<string[]> {
  const model = await loadModel(o.model);
  const styles = o.styles.map((f) => readImage(f)); // [h, w, 3] each, 0–255
  const files = readdirSync(o.contents)
    .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    .sort();
  mkdirSync(o.out, { recursive: true });
  const written: string[] = [];
  try {
    for (const [i, f] of files.entries()) {
      const content = readImage(join(o.contents, f)); // [H, W, 3], 0–255
      const result = stylize(model, content, styles); // [H, W, 3], 0–255
      const target = join(o.out, `${basename(f, extname(f))}.png`);
      writeImage(target, result);
      tf.dispose([content, result]);
      written.push(target);
      o.onImage?.(target, i + 1, files.length);
    }
  } finally {
    tf.dispose(styles);
    model.dispose();
  }
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [model, contents, out, ...styles] = process.argv.slice(2);
  if (!model || !contents || !out || styles.length === 0) {
    console.error('usage: stylize-folder.ts MODEL CONTENTS OUT STYLE…');
    process.exit(2);
  }
  await initBackend('wasm');
  await stylizeFolder({ model, contents, out, styles, onImage: (f, n, total) => console.log(`${n}/${total} ${f}`) });
}
