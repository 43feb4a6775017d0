import { describeLayerContract } from '@tpfr/testing/layers';
import { residualBlock } from './residual-block.js';

describeLayerContract({
  name: 'ResidualBlock',
  make: () => residualBlock(),
  inputShapes: [[2, 5, 6, 4]],
  symbolicShapes: [[null, null, 4]],
  trainableWeights: 5,
  atol: 1e-5,
});
describeLayerContract({
  name: 'ResidualBlock (per-channel PReLU, no bias)',
  make: () => residualBlock({ preluAlpha: 'per-channel', useBias: false }),
  inputShapes: [[2, 4, 4, 3]],
  trainableWeights: 3,
  atol: 1e-5,
});
