/**
 * Trains a model on your own image folders, then resumes the run for more steps:
 * `node --import tsx examples/train-on-folders/train-on-folders.ts DATA CHECKPOINT [STEPS]`.
 * DATA holds a `photo/` folder and one folder per style class (`monet/`, `ukiyoe/`, …).
 * Ctrl-C stops after the current step with a checkpoint; running the script again resumes it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend } from '@tpfr/core';
import { createImageFolderDataset } from '@tpfr/models/data';
import { TpfrTrainer, type FitResult, type StepInfo } from '@tpfr/models/train';

/** Options of {@link trainOnFolders}. */
export interface TrainOnFoldersOptions {
  /** The dataset root: `photo/` and one folder per style class. */
  data: string;
  /** The checkpoint folder; the model ends up in `<checkpoint>/model`. */
  checkpoint: string;
  /** Steps in all (default 1000). */
  steps?: number;
  /** Side of the training crops (default 64). */
  size?: number;
  /** Stops the run (after the current step, with a checkpoint). */
  signal?: AbortSignal;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
}

/**
 * Trains the tiny preset on the folders, or resumes the run in `checkpoint` (extended to
 * `steps` if it has fewer).
 */
export async function trainOnFolders(o: TrainOnFoldersOptions): Promise<FitResult & { resumed: boolean; notes: string[] }> {
  const steps = o.steps ?? 1000;
  const data = createImageFolderDataset(o.data, { size: o.size ?? 64, seed: 0 });
  const resumed = existsSync(join(o.checkpoint, 'trainer.json'));
  const trainer = resumed
    ? await TpfrTrainer.resume(o.checkpoint, data, { steps }) // refuses other data, says what changed
    : new TpfrTrainer(TpfrTrainer.createModel('tiny', 0), data, { steps, seed: 0 });
  try {
    const result = await trainer.fit({ checkpointDir: o.checkpoint, checkpointEvery: 100, signal: o.signal, onStep: o.onStep });
    return { ...result, resumed, notes: trainer.notes };
  } finally {
    trainer.dispose();
    trainer.model.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [data, checkpoint, steps] = process.argv.slice(2);
  if (!data || !checkpoint) {
    console.error('usage: train-on-folders.ts DATA CHECKPOINT [STEPS]');
    process.exit(2);
  }
  await initBackend('wasm');
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const r = await trainOnFolders({
    data,
    checkpoint,
    steps: steps ? Number(steps) : undefined,
    signal: stop.signal,
    onStep: (i) => console.log(`step ${i.step}/${i.steps}`, i.losses),
  });
  for (const note of r.notes) console.log(note);
  console.log(`${r.resumed ? 'resumed, ' : ''}stopped by ${r.stoppedBy}; model in ${join(checkpoint, 'model')}`);
}
