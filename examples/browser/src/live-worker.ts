/**
 * The worker's side of live mode: one {@link LiveSession} at a time, frames from the page's camera
 * (image bitmaps, one in flight), and the frames kept for the check. The tensor count is taken
 * before the session starts and after it stops, here in the worker where the tensors live.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TpfrModel } from '@tpfr/models';
import { bitmapToPixels, toRgba } from './images.js';
import { LiveSession } from './live.js';
import type { FromWorker, RecordedFrame, ToWorker } from './protocol.js';

type LiveMessage = Extract<ToWorker, { type: `live-${string}` }>;
type Post = (m: FromWorker, transfer?: Transferable[]) => void;

let session: LiveSession | undefined;
let tensorsBefore = 0;
/** The frames being kept for the check, and how many are still to come. */
let recording: { id: number; left: number; frames: RecordedFrame[] } | undefined;

/** Whether a message is one of live mode's. */
export function isLiveMessage(m: ToWorker): m is LiveMessage {
  return m.type.startsWith('live-');
}

/** Frees the live session, if any (a new model, a new session). */
export function stopLive(): void {
  session?.dispose();
  session = undefined;
  recording = undefined;
}

export async function handleLive(msg: LiveMessage, model: TpfrModel, post: Post): Promise<void> {
  switch (msg.type) {
    case 'live-start': {
      stopLive();
      tensorsBefore = tf.memory().numTensors;
      session = await LiveSession.create(model, msg.styles, { size: msg.size, controls: msg.controls });
      post({ type: 'live-started', id: msg.id, exemplars: session.exemplars, tensorsBefore });
      return;
    }
    case 'live-frame': {
      if (!session) {
        msg.frame.close();
        throw new Error('live: expected a started camera session, received a frame after stop');
      }
      const input = bitmapToPixels(msg.frame);
      const keep = recording;
      if (keep && keep.frames.length === 0) session.reset();
      const r = await session.frame(input, { strength: msg.strength, graph: !!keep });
      if (keep) {
        keep.frames.push({ input, output: r.output.slice(), graph: r.graph ?? [], strength: msg.strength });
        if (--keep.left === 0) {
          recording = undefined;
          post({ type: 'live-recorded', id: keep.id, frames: keep.frames });
        }
      }
      const rgba = toRgba(r.output, r.width, r.height);
      post({ type: 'live-frame', id: msg.id, rgba, width: r.width, height: r.height, ms: r.ms }, [rgba.buffer]);
      return;
    }
    case 'live-record': {
      if (!session) throw new Error('live: expected a started camera session to record, received none');
      if (!(Number.isInteger(msg.frames) && msg.frames > 0))
        throw new Error(`live: expected a number of frames ≥ 1 to record, received ${msg.frames}`);
      recording = { id: msg.id, left: msg.frames, frames: [] };
      return;
    }
    case 'live-stop': {
      stopLive();
      post({ type: 'live-stopped', id: msg.id, tensorsBefore, tensorsAfter: tf.memory().numTensors });
      return;
    }
  }
}
