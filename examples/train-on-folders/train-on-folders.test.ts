import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { fromModelRange } from '@tpfr/models';
import { renderPhoto, paintWithClass } from '@tpfr/models/data';
import { loadModel, writeImage } from '@tpfr/models/node';
import { trainOnFolders } from './train-on-folders.js';

it('trains on image folders, stops on its signal, and a second run resumes and extends it', async () => {
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'tpfr-train-folders-'));
  try {
    const data = join(dir, 'data');
    const bytes = (x: tf.Tensor3D) => tf.tidy(() => tf.round(fromModelRange(x)));
    for (const [folder, make] of [
      ['photo', (i: number) => renderPhoto(i, 40)],
      ['stripes', (i: number) => paintWithClass(renderPhoto(10 + i, 40), 'stripes-pop', i)],
      ['dots', (i: number) => paintWithClass(renderPhoto(20 + i, 40), 'pointillist-pastel', i)],
    ] as const) {
      mkdirSync(join(data, folder), { recursive: true });
      for (let i = 0; i < 2; i++) {
        const x = make(i);
        const b = bytes(x);
        writeImage(join(data, folder, `${i}.png`), b);
        tf.dispose([x, b]);
      }
    }
    const checkpoint = join(dir, 'run');
    const stop = new AbortController();
    const first = await trainOnFolders({
      data,
      checkpoint,
      steps: 3,
      size: 32,
      signal: stop.signal,
      onStep: (i) => {
        if (i.step === 1) stop.abort();
      },
    });
    expect([first.resumed, first.stoppedBy, first.steps.length]).toEqual([false, 'signal', 1]);
    const second = await trainOnFolders({ data, checkpoint, steps: 3, size: 32 });
    expect([second.resumed, second.stoppedBy, second.steps.map((s) => s.step)]).toEqual([true, 'done', [2, 3]]);
    const third = await trainOnFolders({ data, checkpoint, steps: 4, size: 32 });
    expect(third.notes[0]).toBe('steps: 3 (checkpoint) → 4');
    expect(third.steps.map((s) => s.step)).toEqual([4]);
    const model = await loadModel(join(checkpoint, 'model'));
    expect(model.config.ngf).toBe(8);
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
