import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { TpfrTrainer } from '../../packages/models/src/train/index.ts';
import { gflop, modelFlops } from './flops.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it('counts a convolution, a transposed convolution and a dense layer as by hand', () => {
  const input = tfl.input({ shape: [null, null, 3] });
  const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
  const up = tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 4, strides: 2, padding: 'same' }).apply(conv) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 5 }).apply(up) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  const layers = modelFlops(model, [[1, 8, 8, 3]]);
  // conv: 2·8·8·3·3·3·4; transposed: over its 8×8 input, 2·8·8·4·4·4·2; dense on 16×16 rows: 2·256·2·5.
  expect(layers.map((l) => [l.className, l.flops])).toEqual([
    ['Conv2D', 2 * 64 * 9 * 3 * 4],
    ['Conv2DTranspose', 2 * 64 * 16 * 4 * 2],
    ['Dense', 2 * 256 * 2 * 5],
  ]);
  model.dispose();
});

it("counts the paper preset's encoder at 256² and its TPFR layer at latent 64² as by hand", () => {
  const model = TpfrTrainer.createModel('paper', 1);
  const conv = (pixels: number, k: number, cin: number, cout: number) => 2 * pixels * k * k * cin * cout;
  const encoder =
    conv(256 * 256, 7, 3, 64) +
    conv(128 * 128, 3, 64, 128) +
    conv(64 * 64, 3, 128, 256) +
    12 * conv(64 * 64, 3, 256, 256) +
    conv(64 * 64, 1, 256, 768) +
    (32 * 32 + 16 * 16 + 8 * 8) * conv(1, 3, 256, 256);
  expect(gflop(modelFlops(model.encoder, [[1, 256, 256, 3]]))).toBeCloseTo(encoder / 1e9, 9);
  const layer = modelFlops(model.parts().recombination, [
    [1, 64, 64, 256],
    [1, 64, 64, 512],
    [1, 1, 64, 64, 256],
    [1, 1, 64, 64, 512],
  ]);
  const n = 64 * 64;
  expect(gflop(layer, 'search')).toBeCloseTo((2 * n * n * 256 + 2 * n * n * 257) / 1e9, 9);
  // Transforms: 256→128→64→1 (stage 1), 512→256→128→1 (stage 2), on the 2n rows; attention over k = 5.
  const transforms = 2 * n * 2 * (256 * 128 + 128 * 64 + 64 + 512 * 256 + 256 * 128 + 128);
  expect(gflop(layer, 'attention')).toBeCloseTo((transforms + 2 * n * 5 * 512 + 2 * n * 5 * 256) / 1e9, 9);
  model.dispose();
});
