/**
 * @tpfr/layers/torch: the mapping between PyTorch state_dicts and @tpfr's layers, for importers
 * of the authors' networks (`@tpfr/models` uses it for their whole generator). The root entry
 * has `loadTorchTpfrWeights`, which is what a user of the TPFR layer alone calls.
 * @module
 */
export {
  loadTorchTpfrWeights,
  detectTorchTpfrVariant,
  torchImageToNhwc,
  stateDictTensorValues,
  getStateDictTensor,
  torchTpfrWeightSpecs,
  torchTpfrKeyShapes,
  torchTpfrIgnoredKeys,
  torchShapeOf,
  writeTorchValues,
} from '../torch-import.js';
export type {
  TorchStateDict,
  StateDictTensorJson,
  TorchTpfrVariant,
  StateDictTensor,
  StateDictTensors,
  TorchLayout,
  TorchWeightSpec,
} from '../torch-import.js';
