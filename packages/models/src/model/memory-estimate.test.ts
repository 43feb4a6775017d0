import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { encodeExemplars, estimateStylizeMemory, MemoryBudgetError, stylize } from '@tpfr/models';
import { TpfrTrainer } from '@tpfr/models/train';

/** The real peak of a stylize call on wasm: tf.profile's peak tensor bytes above those before it. */
async function realPeak(
  preset: 'tiny' | 'paper',
  size: number,
  styleSize: number,
  styles: number,
  mapBudgetBytes?: number,
): Promise<{ real: number; estimate: number; plan: string }> {
  const model = TpfrTrainer.createModel(preset, 1);
  const c = tf.randomUniform([size, size, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  const s = Array.from({ length: styles }, (_, i) => tf.randomUniform([styleSize, styleSize, 3], 0, 255, 'float32', 2 + i) as tf.Tensor3D);
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => {
    const y = stylize(model, c, s, { range: '0-255', mapBudgetBytes });
    y.dataSync();
    y.dispose();
  });
  tf.dispose([c, ...s]);
  model.dispose();
  const e = estimateStylizeMemory(
    model,
    [size, size],
    { images: s.map(() => [styleSize, styleSize] as [number, number]) },
    { mapBudgetBytes },
  );
  return { real: info.peakBytes - before, estimate: e.peakBytes, plan: `${e.plan.encode}, codes on the ${e.plan.codes}` };
}

describe('estimateStylizeMemory', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  // `pnpm bench:memory` measures the paper preset at 256², 512² and 1024² the same way.
  for (const [preset, size, styleSize, styles] of [
    ['tiny', 256, 256, 1],
    ['tiny', 512, 256, 3],
    ['tiny', 1024, 512, 1],
    ['paper', 256, 256, 1],
  ] as const) {
    it(`is within 25 % of the real peak on wasm: ${preset}, ${size}² with ${styles} exemplar(s) of ${styleSize}²`, async () => {
      const { real, estimate } = await realPeak(preset, size, styleSize, styles);
      console.log(
        JSON.stringify({
          preset,
          size,
          styleSize,
          styles,
          estimateMiB: +(estimate / 2 ** 20).toFixed(1),
          peakMiB: +(real / 2 ** 20).toFixed(1),
        }),
      );
      expect(Math.abs(estimate - real) / real).toBeLessThan(0.25);
    }, 240_000);
  }

  // Small map budgets: the paths of 2048² and above (bands, codes in JS memory) at sizes a test affords.
  for (const [preset, size, styleSize, mapMiB] of [
    ['paper', 256, 256, 4],
    ['tiny', 512, 256, 1],
  ] as const) {
    it(`is within 25 % of the real peak on wasm in bands: ${preset}, ${size}², map budget ${mapMiB} MiB`, async () => {
      const { real, estimate, plan } = await realPeak(preset, size, styleSize, 1, mapMiB * 2 ** 20);
      console.log(
        JSON.stringify({
          preset,
          size,
          styleSize,
          mapMiB,
          plan,
          estimateMiB: +(estimate / 2 ** 20).toFixed(1),
          peakMiB: +(real / 2 ** 20).toFixed(1),
        }),
      );
      expect(plan).toBe('bands, codes on the host');
      expect(Math.abs(estimate - real) / real).toBeLessThan(0.25);
    }, 240_000);
  }

  it('grows with the pixels, pads to the multiple, and counts encoded exemplars without their encoding', () => {
    const model = TpfrTrainer.createModel('tiny', 1);
    const one = estimateStylizeMemory(model, [256, 256], { images: [[256, 256]] });
    const four = estimateStylizeMemory(model, [512, 512], { images: [[256, 256]] });
    expect(four.peakBytes).toBeGreaterThan(one.peakBytes);
    expect(four.phases.decode).toBeGreaterThan(3.5 * one.phases.decode); // the search's tiles are capped by its budget
    expect(estimateStylizeMemory(model, [253, 254], { images: [[256, 256]] }).peakBytes).toBe(one.peakBytes);
    const encoded = estimateStylizeMemory(model, [256, 256], { encoded: { pixels: 64 * 64 } });
    // One pool of the content's size is encoded with it, in one batch: one phase for both.
    expect(one.phases.encodeExemplars).toBe(0);
    expect(encoded.phases.encodeContent).toBeLessThan(one.phases.encodeContent);
    const apart = estimateStylizeMemory(model, [256, 256], { images: [[128, 128]] });
    expect(apart.phases.encodeExemplars).toBeGreaterThan(encoded.phases.encodeExemplars);
    expect(encoded.phases.decode).toBe(one.phases.decode);
    expect(estimateStylizeMemory(model, [256, 256], { images: [[256, 256]] }, { batch: 2 }).phases.decode).toBeGreaterThan(
      1.9 * one.phases.decode,
    );
    expect(one.plan.encode).toBe('whole');
    expect(estimateStylizeMemory(TpfrTrainer.createModel('paper', 1), [2048, 2048], { images: [[512, 512]] }).plan).toMatchObject({
      encode: 'bands',
      codes: 'host',
      decode: 'bands',
    });
    model.dispose();
  });

  it("stylize's memoryBudgetBytes refuses a call above it before allocating, with the estimate", () => {
    const model = TpfrTrainer.createModel('tiny', 1);
    const c = tf.randomUniform([300, 200, 3], 0, 255, 'int32', 1) as tf.Tensor3D;
    const s = tf.randomUniform([64, 64, 3], 0, 255, 'int32', 2) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    expect(() => stylize(model, c, s, { memoryBudgetBytes: 2 ** 20 })).toThrow(
      /stylize: expected a call within memoryBudgetBytes = 1\.0 MiB, received an estimated peak of \d+\.\d MiB \(in \w+, [^)]+\) for a content of 200×300 and 1 exemplar\(s\) of 64×64/,
    );
    expect(() => stylize(model, c, s, { memoryBudgetBytes: 2 ** 20 })).toThrow(MemoryBudgetError);
    expect(() => stylize(model, c, s, { memoryBudgetBytes: 2 ** 20, pipeline: { size: 128 } })).toThrow(/for a content of 128×128/); // resized, centre-cropped;
    const pool = encodeExemplars(model, s);
    expect(() => stylize(model, c, pool, { memoryBudgetBytes: 2 ** 20 })).toThrow(/and encoded exemplars/);
    expect(() => stylize(model, c, s, { memoryBudgetBytes: 0 })).toThrow(/memoryBudgetBytes > 0, received 0/);
    expect(tf.memory().numTensors).toBe(before + 2); // the pool's two codes
    const seen: number[] = [];
    const y = stylize(model, c, s, { memoryBudgetBytes: 2 ** 30, onMemoryEstimate: (e) => seen.push(e.peakBytes) });
    expect(y.shape).toEqual([300, 200, 3]);
    // Reported from the sizes the networks see: here the images as they are.
    expect(seen).toEqual([estimateStylizeMemory(model, [300, 200], { images: [[64, 64]] }).peakBytes]);
    tf.dispose([y, c, s]);
    pool.dispose();
    model.dispose();
  });
});
