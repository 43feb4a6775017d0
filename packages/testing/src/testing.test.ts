import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { availableBackends, collectTensors, crc32, expectNoLeaks, featureMapArb, matrixArb } from '@tpfr/testing';
import { initBackend } from '@tpfr/core';

it('expectNoLeaks passes clean code and names a leak', async () => {
  await initBackend('cpu');
  await expect(expectNoLeaks(() => tf.tidy(() => tf.add(tf.ones([2]), 1)))).resolves.toBe(1);
  let leaked: tf.Tensor | undefined;
  await expect(
    expectNoLeaks(() => {
      leaked = tf.ones([2]);
      tf.ones([1]).clone();
    }, 'leaky'),
  ).rejects.toThrow(/leaky leaked 3 tensor/);
  leaked?.dispose();
  tf.disposeVariables();
  expect(collectTensors({ a: [tf.scalar(1)], b: 'x' })).toHaveLength(1);
});

it('lists the backends that work here', async () => {
  expect(await availableBackends()).toEqual(['cpu', 'wasm']);
});

test.prop([featureMapArb({ integerRange: 2 }), matrixArb([1, 3], [2, 2])], { seed: 4, numRuns: 10 })(
  'arbitraries honour their bounds',
  (fm, mat) => {
    expect(fm.data.length).toBe(fm.shape.reduce((a, b) => a * b, 1));
    expect(fm.data.every((v) => Number.isInteger(v) && Math.abs(v) <= 2)).toBe(true);
    expect(mat.shape[1]).toBe(2);
    void fc;
  },
);

it('crc32 is the CRC-32 of zip and PNG, whatever the length (slice-by-8 and the tail)', () => {
  const bitwise = (b: Uint8Array): number => {
    let c = ~0;
    for (const x of b) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the check value of CRC-32/ISO-HDLC
  expect(crc32(new Uint8Array(0))).toBe(0);
  for (let n = 1; n < 40; n++) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    expect(crc32(b), `${n} bytes`).toBe(bitwise(b));
  }
});
