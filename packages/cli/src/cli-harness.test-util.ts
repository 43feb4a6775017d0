import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { MICRO_MODEL } from '@tpfr/testing';
import { writeImage, saveModel } from '@tpfr/models/node';
import { TpfrTrainer } from '@tpfr/models/train';

/**
 * Captures what the CLI prints until `vi.restoreAllMocks()`: `stderr` (process.stderr.write),
 * `stdout` (console.log and process.stdout.write: commander's help), and `text`, all of it in
 * the order written. `reset()` empties all three.
 */
export function captureCliOutput(): { readonly text: string; readonly stdout: string; readonly stderr: string; reset(): void } {
  let [text, stdout, stderr] = ['', '', ''];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    const line = `${args.join(' ')}\n`;
    text += line;
    stdout += line;
  });
  return {
    get text() {
      return text;
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    reset: () => {
      [text, stdout, stderr] = ['', '', ''];
    },
  };
}

/** Saves the smallest seeded model the tests use (`MICRO_MODEL`), seeded. */
export async function writeMicroModel(dir: string, seed: number): Promise<void> {
  const model = TpfrTrainer.createModel(MICRO_MODEL, seed);
  try {
    await saveModel(model, dir);
  } finally {
    model.dispose();
  }
}

/** Writes seeded uniform noise `[height, width, 3]` as an image file (PNG or JPEG by extension). */
export function writeNoiseImage(path: string, height: number, width: number, seed: number): void {
  const image = tf.randomUniform([height, width, 3], 0, 255, 'float32', seed) as tf.Tensor3D;
  writeImage(path, image);
  image.dispose();
}

/**
 * The stylize tests' fixture: a temporary folder `dir` with a micro model (`modelDir`, seed 8), an
 * empty `folder` for content images and a 32² noise `style` image. `setUp()` (in beforeAll) writes
 * them on wasm and starts capturing the CLI's output; `cleanUp()` (in afterAll) undoes both.
 */
export function stylizeFixture(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const paths = { dir, modelDir: join(dir, 'model'), folder: join(dir, 'photos'), style: join(dir, 'style.png') };
  return {
    ...paths,
    async setUp(): Promise<ReturnType<typeof captureCliOutput>> {
      const output = captureCliOutput();
      await initBackend('wasm');
      await writeMicroModel(paths.modelDir, 8);
      mkdirSync(paths.folder);
      writeNoiseImage(paths.style, 32, 32, 4);
      return output;
    },
    cleanUp(): void {
      vi.restoreAllMocks();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
