import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ChannelSlice, channelSlice } from './channel-slice.js';
import { describeLayerContract } from '@tpfr/testing/layers';

describeLayerContract({
  name: 'ChannelSlice',
  make: () => channelSlice({ start: 1, size: 2 }),
  inputShapes: [[2, 3, 4, 5]],
  symbolicShapes: [[null, null, 5]],
  trainableWeights: 0,
});

describe('ChannelSlice', () => {
  it('keeps the requested channels; size -1 runs to the last', () => {
    const x = tf.tensor4d([0, 1, 2, 3], [1, 1, 1, 4]);
    const y = new ChannelSlice({ start: 1 }).apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    tf.dispose([x, y]);
  });
  it('rejects a slice past the channels', () => {
    expect(() => new ChannelSlice({ start: 3, size: 2 }).computeOutputShape([null, 2, 2, 4])).toThrow(/TpfrChannelSlice: expected/);
  });
});
