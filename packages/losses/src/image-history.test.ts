import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { initBackend, ShapeError, TpfrError, ValueError } from '@tpfr/core';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { createRng } from '@tpfr/core/utils';
import { DEFAULT_IMAGE_HISTORY_SIZE, ImageHistory } from './image-history.js';

/** A batch of `[1, 1, 1]` images with values `ids`, so each image is identified by its value. */
const batch = (ids: number[]) => tf.tensor4d(ids, [ids.length, 1, 1, 1]);
const values = (t: tf.Tensor) => Array.from(t.dataSync());

describeEachBackend('ImageHistory', () => {
  it('stores and returns new images until full', async () => {
    expect(DEFAULT_IMAGE_HISTORY_SIZE).toBe(50);
    expect(new ImageHistory().size).toBe(50);
    // the history's lifetime: it keeps one copy per stored image until dispose()
    await expectNoLeaks(() => {
      const history = new ImageHistory({ size: 3, seed: 1 });
      const before = tf.memory().numTensors;
      const x = batch([1, 2]);
      const out = history.query(x);
      expect(values(out)).toEqual([1, 2]);
      expect(history.length).toBe(2);
      x.dispose();
      expect(tf.memory().numTensors - before).toBe(2 + 1); // 2 stored copies + the output
      history.dispose();
      return out;
    }, 'ImageHistory (query + dispose)');
  });

  test.prop([fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 4 })], { seed: 42, numRuns: 15 })(
    'once full, returns either the new image or a stored one that the new image replaces; leaks nothing',
    async (seed, size) => {
      const before = tf.memory().numTensors;
      const history = new ImageHistory({ size, seed });
      const stored = new Set<number>();
      let next = 1;
      let swaps = 0;
      for (let step = 0; step < 12; step++) {
        const ids = [next++, next++];
        const x = batch(ids);
        const out = history.query(x);
        x.dispose(); // the history owns copies; its output survives the input's disposal
        values(out).forEach((v, i) => {
          if (v === ids[i]) {
            if (stored.size < size) stored.add(v);
          } else {
            expect(stored.has(v)).toBe(true); // a past image...
            stored.delete(v);
            stored.add(ids[i]); // ...replaced by the new one
            swaps++;
          }
        });
        out.dispose();
        expect(history.length).toBe(Math.min(size, 2 * (step + 1)));
      }
      expect(swaps).toBeGreaterThan(0);
      history.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('is deterministic for a seed', () => {
    const run = (seed: number) => {
      const history = new ImageHistory({ size: 2, seed });
      const seen: number[] = [];
      for (let i = 0; i < 10; i++) {
        const x = batch([i]);
        const out = history.query(x);
        seen.push(...values(out));
        tf.dispose([x, out]);
      }
      history.dispose();
      return seen;
    };
    expect(run(7)).toEqual(run(7));
    const r = createRng(3).next;
    const xs = Array.from({ length: 100 }, r);
    xs.forEach((v) => expect(v >= 0 && v < 1).toBe(true));
  });

  it('returned tensors are owned by the caller and survive the history', async () => {
    const history = new ImageHistory({ size: 1, random: () => 0.9 }); // 0.9 > 0.5: always swap once full
    const a = batch([1]);
    const b = batch([2]);
    const first = history.query(a);
    const second = history.query(b);
    expect(values(second)).toEqual([1]);
    history.dispose();
    history.dispose(); // twice is fine
    expect(values(first)).toEqual([1]);
    expect(values(second)).toEqual([1]);
    expect(() => history.query(a)).toThrow(TpfrError);
    expect(() => history.query(a)).toThrow(/^ImageHistory.query: the history was disposed/);
    tf.dispose([a, b, first, second]);
    // inside tf.tidy: the stored copies survive, the output is the caller's
    await expectNoLeaks(() => {
      const p2 = new ImageHistory({ size: 2 });
      const out = tf.tidy(() => p2.query(batch([5])));
      expect(p2.length).toBe(1);
      expect(tf.memory().numTensors).toBeGreaterThanOrEqual(2); // the kept copy and the output
      p2.dispose();
      expect(values(out)).toEqual([5]);
      return out;
    }, 'query in tidy');
  });

  it('size 0 passes images through', async () => {
    const history = new ImageHistory({ size: 0 });
    const x = batch([4, 5]);
    await expectNoLeaks(() => {
      const out = history.query(x);
      expect(values(out)).toEqual([4, 5]);
      expect(history.length).toBe(0);
      return out;
    }, 'pass-through');
    x.dispose();
  });

  it('throws clear errors', () => {
    expect(() => new ImageHistory({ size: -1 })).toThrow(ValueError);
    expect(() => new ImageHistory({ size: 1.5 })).toThrow(/ImageHistory: expected size to be an integer >= 0, received 1.5/);
    const history = new ImageHistory({ size: 4 });
    const x = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const y = tf.zeros([1, 3, 2, 3]) as tf.Tensor4D;
    tf.dispose(history.query(x));
    expect(() => history.query(y)).toThrow(ShapeError);
    expect(() => history.query(y)).toThrow(/^ImageHistory.query: expected images of shape \[B, 2, 2, 3\].*received shape \[1,3,2,3\]/);
    expect(() => history.query(tf.zeros([2, 2, 3]) as unknown as tf.Tensor4D)).toThrow(/rank 4/);
    tf.dispose([x, y]);
    history.dispose();
  });
});

it('snapshots and restores its images', async () => {
  await initBackend('cpu');
  const history = new ImageHistory({ size: 3, seed: 1 });
  const a = tf.ones([2, 2, 2, 3]) as tf.Tensor4D;
  tf.dispose(history.query(a));
  const snap = history.snapshot();
  expect(snap?.shape).toEqual([2, 2, 2, 3]);
  const other = new ImageHistory({ size: 3, seed: 1 });
  other.restore(snap);
  expect(other.length).toBe(2);
  expect(() => new ImageHistory({ size: 1 }).restore(snap)).toThrow(/ImageHistory.restore: expected at most size = 1 images/);
  tf.dispose([a, snap!]);
  history.dispose();
  other.dispose();
});
