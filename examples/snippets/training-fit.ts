import { initBackend } from '@tpfr/core';
import { createImageFolderDataset } from '@tpfr/models/data';
import { saveModel } from '@tpfr/models/node';
import { TpfrTrainer, type StepInfo } from '@tpfr/models/train';

await initBackend('wasm');

const data = createImageFolderDataset('./my-dataset', { size: 64, seed: 0 });
const model = TpfrTrainer.createModel('tiny', 0); // fresh weights drawn from the seed
const trainer = new TpfrTrainer(model, data, { steps: 5000, seed: 0, weights: { reconstruction: 25 } });

const stop = new AbortController(); // stop.abort() from a signal handler or a UI: the step in progress ends, then a checkpoint
const { stoppedBy } = await trainer.fit({
  checkpointDir: 'out/mine', // every 100 steps, at the end and on a stop
  checkpointEvery: 100,
  signal: stop.signal,
  timeLimitMs: 60 * 60 * 1000,
  onStep: (info: StepInfo) => {
    if (info.step % 50 === 0) console.log(info.step, info.learningRate, info.losses['main/reconstruction']);
  },
});
console.log('stopped by', stoppedBy);
// With emaDecay set: trainer.applyAveragedWeights() here, to save the averaged weights.
await saveModel(model, 'out/mine-final'); // a model folder for loadModel / tpfr stylize
trainer.dispose(); // optimizer state and image history (not the model)
model.dispose();
