import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, ValueError } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { createSyntheticDataset } from '../data/synthetic.js';
import { HELD_OUT_STYLE_CLASSES, SYNTHETIC_STYLE_CLASSES } from '../data/style-classes.js';
import { evaluateStylization, styleDistanceReduction } from './evaluate.js';
import { disposeStyleStatistics, styleDistance, styleStatistics, type StyleStatistics } from './style-statistics.js';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('styleDistanceReduction / evaluateStylization', () => {
  it('is 0 for the content itself and 1 for the style itself', async () => {
    const ds = createSyntheticDataset({ size: 32 });
    const content = ds.photo(0);
    const style = ds.painting('wave-sunset', 0);
    expect(styleDistanceReduction(content, content, style)).toBeCloseTo(0, 6);
    expect(styleDistanceReduction(style, content, style)).toBeCloseTo(1, 6);
    // A painting of the right class (different scene) gets most of the way.
    const other = ds.painting('wave-sunset', 1);
    expect(styleDistanceReduction(other, content, style)).toBeGreaterThan(0.5);
    const report = evaluateStylization([
      { content, style, result: style },
      { content, style, result: content },
    ]);
    expect(report.perItem).toHaveLength(2);
    expect(report.perItem[0].styleDistanceReduction).toBeCloseTo(1, 6);
    expect(report.perItem[1].styleDistanceReduction).toBeCloseTo(0, 6);
    expect(report.perItem[1].edgeCorrelation).toBeCloseTo(1, 5);
    expect(report.styleDistanceReduction).toBeCloseTo(0.5, 6);
    expect(report.edgeCorrelation).toBeCloseTo((report.perItem[0].edgeCorrelation + 1) / 2, 6);
    expect(() => evaluateStylization([])).toThrow(ValueError);
    await expectNoLeaks(() => styleDistanceReduction(other, content, style), 'styleDistanceReduction');
    await expectNoLeaks(() => evaluateStylization([{ content, style, result: other }]), 'evaluateStylization');
    tf.dispose([content, style, other]);
  });
});

describe('synthetic style classes are distinguishable by the style distance', () => {
  it('same-class paintings are closer than different-class ones, and photos are farther still', () => {
    const perClass = 3;
    const ds = createSyntheticDataset({ size: 64, seed: 1 });
    const stats = (img: tf.Tensor3D): StyleStatistics => {
      const s = styleStatistics(img);
      img.dispose();
      return s;
    };
    const paintings = SYNTHETIC_STYLE_CLASSES.map((c) => Array.from({ length: perClass }, (_, i) => stats(ds.painting(c, i))));
    const photos = Array.from({ length: perClass }, (_, i) => stats(ds.photo(i)));
    const n = SYNTHETIC_STYLE_CLASSES.length;
    const d = (a: number, i: number, b: number, j: number) => styleDistance(paintings[a][i], paintings[b][j]);
    let same = 0,
      sameN = 0,
      diff = 0,
      diffN = 0;
    for (let a = 0; a < n; a++) {
      let classSame = 0,
        classSameN = 0,
        classPhoto = 0,
        classDiff = 0,
        classDiffN = 0;
      for (let i = 0; i < perClass; i++) {
        for (let j = 0; j < perClass; j++) {
          if (i !== j) {
            classSame += d(a, i, a, j);
            classSameN++;
          }
          classPhoto += styleDistance(photos[j], paintings[a][i]);
          for (let b = 0; b < n; b++)
            if (b !== a) {
              classDiff += d(a, i, b, j);
              classDiffN++;
            }
        }
      }
      const name = SYNTHETIC_STYLE_CLASSES[a];
      // Per class: another painting of the class is nearer than a photo, and nearer than other classes on average.
      expect(classSame / classSameN, `${name}: same-class vs photo`).toBeLessThan(classPhoto / (perClass * perClass));
      expect(classSame / classSameN, `${name}: same-class vs other classes`).toBeLessThan(classDiff / classDiffN);
      same += classSame;
      sameN += classSameN;
      diff += classDiff;
      diffN += classDiffN;
      if (HELD_OUT_STYLE_CLASSES.includes(name)) expect(classSame / classSameN).toBeLessThan(0.75 * (classDiff / classDiffN));
    }
    expect(same / sameN).toBeLessThan(0.6 * (diff / diffN));
    paintings.flat().concat(photos).forEach(disposeStyleStatistics);
  });
});
