import { readFileSync } from 'node:fs';
import { PeerRecombination, loadTorchTpfrWeights, type TorchStateDict } from '@tpfr/layers';

const stateDict = JSON.parse(readFileSync('peer-layer.json', 'utf8')) as TorchStateDict;
const layer = new PeerRecombination({ k: 5, peerPooling: 'shared' }); // 'shared' = the authors' pooling
layer.build([
  [null, null, null, 256],
  [null, null, null, 512],
  [null, null, null, null, 256],
  [null, null, null, null, 512],
]);
loadTorchTpfrWeights(layer, stateDict); // 'bidir' (two-stage) or 'att' (one-stage), detected from the keys
