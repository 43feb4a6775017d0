import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { readTorchCheckpoint } from './index.js';
import { writeTorchCheckpoint } from '@tpfr/testing';

/**
 * Two files written by PyTorch 1.13 itself (gzipped, base64), from:
 *
 *     net = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2)); torch.manual_seed(0) before
 *     net[1].num_batches_tracked.fill_(5); net[1].running_mean.fill_(0.25)
 *     sd = net.state_dict()                  # an OrderedDict with _metadata (BUILD)
 *     base = torch.arange(6, dtype=torch.float32)
 *     sd['half'] = torch.tensor([1.5, -2.0, 65504.0], dtype=torch.float16)
 *     sd['bf'] = torch.tensor([1.0, -3.0], dtype=torch.bfloat16)
 *     sd['flag'] = torch.tensor([True, False, True])
 *     sd['idx'] = torch.tensor([-1, 2**40, 3])
 *     sd['t'] = base.view(2, 3).t()          # a transposed view of `base`'s storage
 *     sd['v'] = base[1:3]                    # offset 1 into the same storage
 *     torch.save(sd, f)                                           # zip
 *     torch.save(sd, f, _use_new_zipfile_serialization=False)     # legacy
 *
 * PyTorch writes memoised pickles (BINPUT/BINGET), storage keys that are ids (legacy) and
 * 64-byte aligned zip entries behind 'FB' extra fields; the writer of this repo does not have
 * to, so these are the check against the real thing.
 */
const TORCH_ZIP = [
  'H4sIAAAAAAACA6WWS2wbRRjH1484jkucEPowrwLlUYcmTmwndtKG2LjBBLYPZ5vCEqBmba+92zh2Pu/YjYQiWYJUlAtFVKhcCkdO',
  'XCrBgUOrXjlVgjNHDpw5cCrz2JidscCRvcl41+v5/f/fvL6ZnOzxSpLfL3Vd49KEpDWKhtnSZ0oa0iLbm9VsJihtcFfbXSzWq1W9',
  'iMx6zQpcbJT0hl5aMYsoANKkAq6wSrRnI9d0s2IgcBdRHYtG8k1kVq1AvqEXmma1lEd6zao38q1YADzhsDqMGQvX1Co6eBkSyFbr',
  'GrrEXgZgSHURXfCpHnwvbjdhWHYj8K/JUlh2yy7yh2AkzJ7Ic+CGQSI6hOAxBUZVHw2rYGoWBA3saXgNphmFMYNqjWMt2b0Hj8uu',
  'PZhg9BMIDitwhDYqut+ooxwfg2OMD9n8k4R/ivFPI3hGgWepe5S5H+foODzH6Odt+gVCn2D0iwheUuBlNUjpRrNWM2uV/Jau1eAV',
  'TmUOTjKVsK0ySVReZSqnEEwpMK2OciotrQERTmQeZpjIrC0SJSIxJhJHMKfAvHqEitSaW/mChoqGbuVRQytu6iVIMDF79M7Va5XO',
  '4CWpfgIWsD4emUWsPznJdE8jOKPAkopnpWRo1TK8xsms4lcdmWUqk4QUlvEgSJMwPXvwOgkzw+TOIlhR4A3VjSsWypDlxDJ0SkUT',
  'HcE3qeACrLJ2v2W3+20iKDPBcwjOK3CBxleuahW4yEvW69WOXI7KLcIai0+x47tE5NaZ3GUE7yjwLp3EZmkHVHsEkjTi6Cy8x9gN',
  'm32fsB8w9kMEVxTIUxMEH3XGjpJR0DDpQ1CgpOy+DkW8DjzXocRoHUFZgQqlW2Ds04aNmWu4Nm77VWK4yZAqgi0Fas1dqKsjGMMz',
  'D2kkN8A2/R3CKskc0NgFiy7hlt6wcF4AJLsse71iuGV0vkfh2i7s4O9uq2kVIjl52P/Nzt8rF3DvkpL7z+wUlBJcdpqZzWZiQm46',
  'yCWt//XzlfWRFHH+85f4T8SKlP9zXuKdo9nMQh/O7Dp6V7nXLi/dI/6fK7du9fYfk84I/rjpyX4DeGRfVBqPiMd2IfH8cPbXdAg/',
  'h3rEc0qIB3fIyYPGwzTaKfyRxv+4tHH5Lk38j93848ve/kFpivePZTPhA3cH827T8b+55vutj/GPDzL+kqO/zd9P6H34zw3m314m',
  'hfj/uKp924f//ID+g/Z/YhD/IUf/jz58MN2Hf3Kg9i9L9x99TNwflL64Sk4Fvh7uy7z7QjZzum93fH5Lpe8T91Q2+RnZ0rw93NO8',
  '+2I2szSA+8aGS3IR+7uffHqDpB5Pj1Tzr729tQzqHw8Q+4d3KpfJrumm9i5y6wTg3I/Gu0IST8gi7dxTghx5xysJO5jIOvcDng0N',
  'CWxUZJ25e4xjb3exXcbOxMvDYZ8Idzk7VzEf9fciHBNZZwYUWjwssHGRdWYvnr0tsnMHjznkF9h5kXVmDcFXZBMi61zzgu+IwCZF',
  '1rliefZrkV0QWedy49nDAYFdFFnnWuEnx1cO1l6eOdnnm7J/Pu6ZdiQS/n7ePndMHNpPxz5yfpTydgUXfTfkY0yQ1md1/wHVSyel',
  'wQ4AAA==',
].join('');
const TORCH_LEGACY = [
  'H4sIAAAAAAACA3WUW3PbRBTHJdlxEvVCubRQruXucDGyY8s2lCQtJRTUW9QA4tIKWZYttYqUv7RyWxjP+CUd4DPwwGPfeeSh/Tp8',
  'AB6YYabsatdOrAxK1qPds+d3/tpz9kyUX9Xw3982/zlz68G107WJcvmvEv0dQ6paJyRJ2k1iErtxaI+8JA3iCDLdYB2jljAgJPRs',
  'L+oHTgTlZ0uli+TermenwY9eitIY5aq1QBdTP04IFgzFKtFZEBFUjLJVZow4GmLRKGcZjenSMKHnEholVa8mfS/x+hcCl6iQVkzI',
  'VWuJemi1O14w9AkUl8SJ69fsjARhqtqJ18uCsG8TL0rjxB41VJSqVWuRxac7naGHMndRN8PYIdf5oooFa5nuaa7q3W631Wmikqt0',
  'dzMqTLlCsLRlSFVDMWT2R7Bc5W/sXf3FZ9KOEBw1ccyq5Pp6gZPiuE+D+2X/AFzTOhqe8Dn0BIUayh6eNOQ9PMUxTxM8Y+Jk/pn1',
  '6WeemgOttlv1ht5uNfCsAD0nQKcZ6HkOeoHgRRMv5XrqXM/LRUyj0azrGl4RmDMC8yrDvMYxrxO8YeJN63iOSbIoCqKhvePRbL91',
  'GKd3NA1vC1xV4FYY7h2Oe5fgPRPv57Wzjxs5CWqHaKs6O6wPBE0TtDqjNThtlaBpomWdzGlRtmP3HOL6XmqTxHFve33onCpyfolW',
  '2izl7X3Z7Wangw4NJNNAXRpoZYUH+JDgIxNn8zL1nXCAj+d4F+nSjLfGs9yst7tdKh3rlFeivA0mvLSHc0z4ec79hOCCiU8thXr0',
  'Btico57PS7Ouz8ifHSB3tA4uiiP5XBzJF4xscPIlgssmruSKB6EzxNV5dhyHM+61KZdmjZYUtoRiUyi+zrjbnPslwVcmvuaXt38X',
  'lkhX+wBDb+n4RjC+FYzvGON7zrhBcNOEbcmsR+CH+dvBvq7TbetwKKFCCb2cYCj34dKLVrqPPqd4BAMTw5wygv8/lEBQbm1RZ3pG',
  't5mOkBN2CCITcTbGbu5Fy5k4fYc4QG5PqhZdlZCOQfLeMW17mSGneVwNozHu+LN5HXfHuEfnSpqlPdrGbrDWOX9Z5cKtUwrXplSo',
  'x3LhIhS7SKXQshYLJ7BUqMflQhWphewfKWTyqFdj5cmfyTob+3P+HLCvsSGL2cJh+5z/qT/Mh5PB2Ycz+/bff97cXl6vzNGZj7RB',
  '/+mY0PH7RmlqWpMePf5Jme3beDS1yJI8fX0sHrEuTZ3/A55skN3tBgAA',
].join('');

const load = (b64: string): Uint8Array => new Uint8Array(gunzipSync(Buffer.from(b64, 'base64')));

/** name → [dtype, shape, values] as PyTorch printed them (16-bit floats as bits, bools as 0/1). */
const EXPECTED: Record<string, [string, number[], number[]]> = {
  '0.weight': ['float32', [2, 1, 1, 1], [-0.007486820220947266, 0.5364435911178589]],
  '0.bias': ['float32', [2], [-0.8230451345443726, -0.7359390258789062]],
  '1.weight': ['float32', [2], [1, 1]],
  '1.bias': ['float32', [2], [0, 0]],
  '1.running_mean': ['float32', [2], [0.25, 0.25]],
  '1.running_var': ['float32', [2], [1, 1]],
  '1.num_batches_tracked': ['int64', [], [5]],
  half: ['float16', [3], [15872, 49152, 31743]],
  bf: ['bfloat16', [2], [16256, 49216]],
  flag: ['bool', [3], [1, 0, 1]],
  idx: ['int64', [3], [-1, 1099511627776, 3]],
  t: ['float32', [3, 2], [0, 3, 1, 4, 2, 5]],
  v: ['float32', [2], [1, 2]],
};

describe('readTorchCheckpoint on files PyTorch wrote', () => {
  it.each([
    ['zip', TORCH_ZIP],
    ['legacy', TORCH_LEGACY],
  ] as const)('%s', (format, b64) => {
    const ck = readTorchCheckpoint(load(b64));
    expect(ck.format).toBe(format);
    expect(ck.ignored).toEqual([]);
    expect([...ck.tensors.keys()]).toEqual(Object.keys(EXPECTED));
    for (const [name, [dtype, shape, values]] of Object.entries(EXPECTED)) {
      const t = ck.tensors.get(name)!;
      expect([t.dtype, t.shape]).toEqual([dtype, shape]);
      expect([...t.data].map(Number)).toEqual(values);
    }
    // Rewritten by this repo's writer, it reads back the same.
    const again = readTorchCheckpoint(writeTorchCheckpoint(ck.tensors, { format }));
    expect([...again.tensors.values()]).toEqual([...ck.tensors.values()]);
  });
});
