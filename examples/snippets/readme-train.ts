import { initBackend } from '@tpfr/core';
import { createImageFolderDataset } from '@tpfr/models/data';
import { saveModel } from '@tpfr/models/node';
import { TpfrTrainer } from '@tpfr/models/train';

await initBackend('wasm');
// my-data/photo/*.jpg, and one folder per style class: my-data/monet/*.jpg, my-data/ukiyoe/*.png, …
const data = createImageFolderDataset('my-data', { size: 64 });
const trainer = new TpfrTrainer(TpfrTrainer.createModel('tiny'), data, { steps: 5000 });
const { stoppedBy } = await trainer.fit({ checkpointDir: 'out/run', timeLimitMs: 3_600_000, onStep: (s) => console.log(s.step, s.losses) });
// Later, or after Ctrl-C: `await TpfrTrainer.resume('out/run', data)` goes on exactly where it stopped.
console.log(`stopped by ${stoppedBy}`); // 'steps', 'time-limit' or 'signal'
await saveModel(trainer.model, 'out/my-model');
