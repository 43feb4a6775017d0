import { createImageFolderDataset } from '@tpfr/models/data';
import { TpfrTrainer } from '@tpfr/models/train';

// #region doc
const data = createImageFolderDataset('./my-dataset', { size: 64, seed: 0 }); // the same data: other data is refused
const trainer = await TpfrTrainer.resume('out/mine', data, { steps: 8000 }); // 5000 → 8000 steps
console.log('resumed at step', trainer.step, trainer.notes); // notes: what changed, and how the schedule goes on
await trainer.fit({ checkpointDir: 'out/mine' });
// #endregion
