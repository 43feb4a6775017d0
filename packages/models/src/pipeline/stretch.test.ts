import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { expectNoLeaks, fixturesPresent } from '@tpfr/testing';
import { initBackend, ShapeError, ValueError } from '@tpfr/core';
import { readImage } from '../image-io/file-io.js';
import { minMaxStretch } from './index.js';
import { torchFixturesDir } from '@tpfr/testing/torch-fixtures';

beforeAll(async () => {
  await initBackend('cpu');
});

it("stretches each image's min–max over all channels to 0–255 as imageio: floor((x − min)/(max − min)·255 + 0.499999999)", async () => {
  tf.tidy(() => {
    // The midpoint lands on 127.999999999 → 127, as imageio writes it.
    const img = tf.tensor3d([-1, 0, 1, -0.5, 0.5, 0.25], [1, 2, 3]);
    const out = minMaxStretch(img);
    expect(out.dtype).toBe('int32');
    expect(out.shape).toEqual([1, 2, 3]);
    expect(Array.from(out.dataSync())).toEqual([0, 127, 255, 64, 191, 159]);
    // Per image of a batch: the second image has its own min and max.
    const batch = tf.tensor4d([-1, 0, 1, -0.5, 0.5, 0.25, 10, 20, 30, 40, 50, 60], [2, 1, 2, 3]);
    expect(Array.from(minMaxStretch(batch).dataSync())).toEqual([0, 127, 255, 64, 191, 159, 0, 51, 102, 153, 204, 255]);
    // Any range in: an already 0–255 image with its own extremes.
    expect(Array.from(minMaxStretch(tf.tensor3d([50, 100, 150, 200, 100, 50], [2, 1, 3], 'int32')).dataSync())).toEqual([
      0, 85, 170, 255, 85, 0,
    ]);
  });
  const batch = tf.randomUniform([2, 5, 4, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  await expectNoLeaks(() => minMaxStretch(batch), 'minMaxStretch');
  batch.dispose();
});

it("defines a constant image as 0 and, on request, keeps imageio's unstretched mapping of images within [0, 1]", () => {
  tf.tidy(() => {
    expect(Array.from(minMaxStretch(tf.fill([2, 2, 3], 0.3) as tf.Tensor3D).dataSync())).toEqual(new Array(12).fill(0));
    expect(Array.from(minMaxStretch(tf.fill([1, 2, 2, 3], -7) as tf.Tensor4D).dataSync())).toEqual(new Array(12).fill(0));
    const unit = tf.tensor3d([0.2, 0.5, 0.6, 0.25, 0.3, 0.4], [1, 2, 3]);
    expect(Array.from(minMaxStretch(unit, { unitInterval: 'imageio' }).dataSync())).toEqual([51, 127, 153, 64, 77, 102]); // float32 0.3 · 255 = 76.500003
    expect(Array.from(minMaxStretch(unit).dataSync())).toEqual([0, 191, 255, 32, 64, 127]);
    // A constant within [0, 1] under imageio's rule: x·255 + 0.499999999.
    expect(Array.from(minMaxStretch(tf.fill([1, 1, 3], 1) as tf.Tensor3D, { unitInterval: 'imageio' }).dataSync())).toEqual([
      255, 255, 255,
    ]);
    // Outside [0, 1] the rule changes nothing.
    expect(Array.from(minMaxStretch(tf.tensor3d([-1, 0, 1], [1, 1, 3]), { unitInterval: 'imageio' }).dataSync())).toEqual([0, 127, 255]);
  });
});

it('checks its inputs, naming the function', () => {
  tf.tidy(() => {
    expect(() => minMaxStretch(tf.tensor3d([0, NaN, 1], [1, 1, 3]))).toThrow(
      /minMaxStretch: expected finite values in the image of shape \[1,1,3\], received NaN at flat index 1/,
    );
    expect(() => minMaxStretch(tf.tensor3d([0, Infinity, 1], [1, 1, 3]))).toThrow(ValueError);
    expect(() => minMaxStretch(tf.zeros([4, 3]) as unknown as tf.Tensor3D)).toThrow(ShapeError);
    expect(() => minMaxStretch(tf.zeros([1, 1, 3]) as tf.Tensor3D, { unitInterval: 'clip' as 'stretch' })).toThrow(
      /minMaxStretch: expected unitInterval 'stretch' or 'imageio'/,
    );
  });
});

const root = torchFixturesDir();
const dir = join(root, 'pipeline_g8_256');
const have = fixturesPresent(
  existsSync(join(dir, 'stylized_float.f32')),
  `stretch.test.ts: the torch fixture check, no ${dir} (set TPFR_TORCH_FIXTURES to the torch-generator fixtures folder)`,
);
it.skipIf(!have)("turns the fixture's float output into its imageio PNG exactly", () => {
  tf.tidy(() => {
    const bytes = readFileSync(join(dir, 'stylized_float.f32'));
    const nchw = tf.tensor4d(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), [1, 3, 256, 256]);
    const got = minMaxStretch(tf.transpose(nchw, [0, 2, 3, 1]) as tf.Tensor4D, { unitInterval: 'imageio' }).dataSync();
    const want = readImage(join(dir, 'stylized.png')).dataSync();
    let exact = 0;
    for (let i = 0; i < want.length; i++) if (got[i] === want[i]) exact++;
    console.log(`stretch.test.ts: stylized.png: ${exact}/${want.length} values exact`);
    expect(exact).toBe(want.length);
  });
});
