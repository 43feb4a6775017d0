import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { collectTimings } from '@tpfr/core/utils';
import { peerRecombination, stackPeers } from '@tpfr/layers';

it("the layer times each stage's attention transforms, neighbour search and attention", async () => {
  await initBackend('wasm');
  const layer = peerRecombination({ k: 3 });
  const [c, s] = [tf.randomNormal([1, 3, 3, 8], 0, 1, 'float32', 1), tf.randomNormal([1, 3, 3, 16], 0, 1, 'float32', 2)];
  const [pc, ps] = [
    stackPeers(tf.randomNormal([2, 2, 2, 8], 0, 1, 'float32', 3) as tf.Tensor4D, 1),
    stackPeers(tf.randomNormal([2, 2, 2, 16], 0, 1, 'float32', 4) as tf.Tensor4D, 1),
  ];
  const names = async (stages: 'two-stage' | 'style-only') => {
    const { result, parts } = await collectTimings(() => layer.apply([c, s, pc, ps], { stages }) as tf.Tensor[]);
    tf.dispose(result);
    return Object.keys(parts).sort();
  };
  const stage = (n: number) => [`stage ${n}: attention`, `stage ${n}: attention transforms`, `stage ${n}: neighbour search`];
  expect(await names('two-stage')).toEqual([...stage(1), ...stage(2)]);
  expect(await names('style-only')).toEqual(stage(1));
  tf.dispose([c, s, pc, ps]);
  layer.dispose();
});
