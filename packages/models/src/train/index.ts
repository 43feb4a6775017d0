/**
 * @tpfr/models/train: the authors' training scheme (`TpfrTrainer`): the three updates of a step,
 * the learning-rate schedule, weight averaging, `fit` with a stop signal, a time limit and a
 * per-step callback, and checkpoints that resume exactly (Node: folders on disk); the memory a
 * step needs (`estimateTrainStepMemory`), checked against a budget by `fit`.
 * @module
 */
export { TpfrTrainer } from './trainer.js';
export type { TrainerOptions, StepInfo, FitOptions, FitResult, ResumeOptions } from './trainer.js';
export { estimateTrainStepMemory, partParams, TrainMemoryBudgetError } from './memory-estimate.js';
export type { TrainMemoryEstimate, TrainMemoryOptions, PartParams } from './memory-estimate.js';
