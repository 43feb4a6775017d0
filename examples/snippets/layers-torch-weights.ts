import type { TorchStateDict } from '@tpfr/layers';

declare const stateDict: TorchStateDict;
// #region doc
import { PeerRecombination, loadTorchTpfrWeights } from '@tpfr/layers';
const layer = new PeerRecombination({ k: 5, peerPooling: 'shared' }); // 'shared' = the authors' pooling
layer.build([
  [null, null, null, 256],
  [null, null, null, 512],
  [null, null, null, null, 256],
  [null, null, null, null, 512],
]);
loadTorchTpfrWeights(layer, stateDict); // 'bidir' (two-stage) or 'att' (style-only), detected from the keys
// #endregion
