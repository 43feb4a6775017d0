import type * as tf from '@tensorflow/tfjs-core';
import { estimateStylizeMemory, stylize, type TpfrModel } from '@tpfr/models';

declare const model: TpfrModel, photo: tf.Tensor3D, painting: tf.Tensor3D;
// #region doc
const e = estimateStylizeMemory(model, [2048, 2048], { images: [[512, 512]] });
console.log(`${(e.peakBytes / 2 ** 20).toFixed(0)} MiB at the peak, in ${e.peakPhase}`);
// Refused before anything is allocated when the estimate is above the budget (MemoryBudgetError):
const out = stylize(model, photo, painting, { memoryBudgetBytes: 3 * 2 ** 30 });
// #endregion
out.dispose();
