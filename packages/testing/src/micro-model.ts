import type { ModelConfigInput } from '@tpfr/models';

/**
 * The smallest model the tests train and stylize with: the tiny preset with 4 generator and 4
 * discriminator filters and one residual block (`TpfrModel.create(MICRO_MODEL)`,
 * `TpfrTrainer.createModel(MICRO_MODEL, seed)`). A test that needs another network spreads it:
 * `{ ...MICRO_MODEL, upsampling: 'nearest' }`.
 */
export const MICRO_MODEL = { preset: 'tiny', ngf: 4, ndf: 4, residualBlocks: 1 } as const satisfies ModelConfigInput;
