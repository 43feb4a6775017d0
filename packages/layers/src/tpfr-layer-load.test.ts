import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

// The layer module is imported inside the test, not at the top of the file: a module that fails
// to load then fails this test (a test file whose imports fail has no test to fail).
it('registers PeerRecombination for deserialization as TpfrPeerRecombination', async () => {
  const { PeerRecombination } = await import('./tpfr-layer.js');
  expect(PeerRecombination.className).toBe('TpfrPeerRecombination');
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  expect(map.TpfrPeerRecombination?.[0]).toBe(PeerRecombination);
});
