import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import { STORAGE_DTYPES, TORCH_DTYPES, type TorchDType, type TorchDTypeInfo } from './dtypes.js';
import {
  collectTensors,
  STATE_DICT_GLOBALS,
  STATE_DICT_GLOBALS_TEXT,
  StorageRef,
  storageResolver,
  StorageType,
  TensorRef,
  toIndex,
} from './state-dict.js';
import { PickleGlobal, unpickle } from './unpickler.js';
import { bytes, global, int, intTuple, OP, str, thrown } from '@tpfr/testing/torch-craft';

const W = 'data.pkl (byte 7)';
const F32 = TORCH_DTYPES.float32;
const tuple = (...items: unknown[]): readonly unknown[] => Object.freeze(items);
const call = (name: string, args: readonly unknown[], where = W): unknown => {
  const impl = STATE_DICT_GLOBALS.get(name);
  if (impl?.call === undefined) throw new Error(`${name} is not callable`);
  return impl.call(args, where);
};
/** The PickleGlobal the unpickler pushes for an allowed global. */
const pglobal = (name: string): PickleGlobal => new PickleGlobal(name, STATE_DICT_GLOBALS.get(name)!);
const storageClass = (storage: string): PickleGlobal => pglobal(`torch.${storage}`);
const ref = (shape: number[] = [2], key = '0'): TensorRef =>
  new TensorRef(
    new StorageRef(key, F32, 8),
    0,
    shape,
    shape.map(() => 1),
  );

/** A corrupt-file CheckpointError with the message `readTorchCheckpoint: expected …, received …`. */
function expectCorrupt(f: () => unknown, expected: string, received: string): CheckpointError {
  const e = thrown(f);
  expect(e.reason).toBe('corrupt');
  expect(e.expected).toBe(expected);
  expect(e.received).toBe(received);
  expect(e.message).toBe(`readTorchCheckpoint: expected ${expected}, received ${received}`);
  return e;
}

describe('toIndex: pickled ints (number or bigint) as non-negative safe integers', () => {
  it.each([
    [0, 0],
    [7, 7],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    [0n, 0],
    [5n, 5],
    [BigInt(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
  ] as const)('%s → %s (a number)', (v, n) => {
    const r = toIndex(v, 'x');
    expect(typeof r).toBe('number');
    expect(r).toBe(n);
  });

  it.each([
    [-1, 'the number -1'],
    [-1n, 'the number -1'],
    [BigInt(Number.MAX_SAFE_INTEGER) + 1n, 'the number 9007199254740992'],
    [2n ** 64n, 'the number 18446744073709551616'],
    [2 ** 53, 'the number 9007199254740992'],
    [1.5, 'the number 1.5'],
    [Number.NaN, 'the number NaN'],
    [Number.POSITIVE_INFINITY, 'the number Infinity'],
    ['3', "'3'"],
    [true, 'True'],
    [null, 'None'],
    [tuple(1), 'a tuple of 1'],
  ])('rejects %s', (v, received) => {
    expectCorrupt(() => toIndex(v, 'the thing'), 'the thing as a non-negative integer', received);
  });
});

describe('_rebuild_tensor_v2 / _rebuild_tensor: a window of a storage', () => {
  const storage = new StorageRef('0', F32, 24);

  it('v2 with 6 arguments (and the 7th, metadata) gives offset, size and stride', () => {
    for (const extra of [[], [new Map()]]) {
      const t = call('torch._utils._rebuild_tensor_v2', [storage, 3, tuple(2, 3), tuple(1, 2), false, new Map(), ...extra]);
      expect(t).toBeInstanceOf(TensorRef);
      const r = t as TensorRef;
      expect(r.storage).toBe(storage);
      expect(r.offset).toBe(3);
      expect(r.shape).toEqual([2, 3]);
      expect(r.stride).toEqual([1, 2]);
    }
  });

  it('the old _rebuild_tensor (4 arguments), bigint offsets and sizes, a 0-d tensor', () => {
    const r = call('torch._utils._rebuild_tensor', [storage, 5n, tuple(4n), tuple(1n)]) as TensorRef;
    expect(r).toBeInstanceOf(TensorRef);
    expect([r.storage, r.offset, r.shape, r.stride]).toEqual([storage, 5, [4], [1]]);
    const scalar = call('torch._utils._rebuild_tensor', [storage, 23, tuple(), tuple()]) as TensorRef;
    expect([scalar.offset, scalar.shape, scalar.stride]).toEqual([23, [], []]);
  });

  it('a list (not only a tuple) as size and stride', () => {
    const r = call('torch._utils._rebuild_tensor_v2', [storage, 0, [2, 2], [2, 1], false, new Map()]) as TensorRef;
    expect([r.shape, r.stride]).toEqual([
      [2, 2],
      [2, 1],
    ]);
  });

  it.each([
    ['torch._utils._rebuild_tensor_v2', 5, '_rebuild_tensor_v2 with 6 to 7 arguments'],
    ['torch._utils._rebuild_tensor_v2', 8, '_rebuild_tensor_v2 with 6 to 7 arguments'],
    ['torch._utils._rebuild_tensor_v2', 0, '_rebuild_tensor_v2 with 6 to 7 arguments'],
    ['torch._utils._rebuild_tensor', 3, '_rebuild_tensor with 4 arguments'],
    ['torch._utils._rebuild_tensor', 5, '_rebuild_tensor with 4 arguments'],
  ])('%s with %i arguments', (name, n, expected) => {
    const args = [storage, 0, tuple(1), tuple(1), false, new Map(), new Map(), null].slice(0, n);
    expectCorrupt(() => call(name, args), `${expected} in ${W}`, `${n}`);
  });

  it('the first argument must be a storage', () => {
    expectCorrupt(
      () => call('torch._utils._rebuild_tensor_v2', ['0', 0, tuple(1), tuple(1), false, new Map()]),
      `a storage as the first argument of _rebuild_tensor_v2 in ${W}`,
      "'0'",
    );
    expectCorrupt(
      () => call('torch._utils._rebuild_tensor', [ref(), 0, tuple(1), tuple(1)]),
      `a storage as the first argument of _rebuild_tensor in ${W}`,
      'TensorRef',
    );
  });

  it('size, stride and offset: tuples of non-negative integers, the same rank', () => {
    const v2 = (offset: unknown, size: unknown, stride: unknown): unknown =>
      call('torch._utils._rebuild_tensor_v2', [storage, offset, size, stride, false, new Map()]);
    expectCorrupt(() => v2(0, 6, tuple(1)), `the size of a tensor in ${W} as a tuple of integers`, 'the number 6');
    expectCorrupt(() => v2(0, new Map(), tuple(1)), `the size of a tensor in ${W} as a tuple of integers`, 'a dict of 0');
    expectCorrupt(() => v2(0, tuple(2, -3), tuple(3, 1)), `the size of a tensor in ${W}[1] as a non-negative integer`, 'the number -3');
    expectCorrupt(() => v2(0, tuple(2), null), `the stride of a tensor in ${W} as a tuple of integers`, 'None');
    expectCorrupt(() => v2(0, tuple(2, 3), tuple(3, 1.5)), `the stride of a tensor in ${W}[1] as a non-negative integer`, 'the number 1.5');
    expectCorrupt(() => v2(0, tuple(2, 3), tuple(3)), `a stride of the size's rank (2) in ${W}`, 'rank 1');
    expectCorrupt(() => v2(0, tuple(2), tuple(1, 1)), `a stride of the size's rank (1) in ${W}`, 'rank 2');
    expectCorrupt(() => v2(-1, tuple(2), tuple(1)), `the storage offset of a tensor in ${W} as a non-negative integer`, 'the number -1');
    expectCorrupt(() => v2('4', tuple(2), tuple(1)), `the storage offset of a tensor in ${W} as a non-negative integer`, "'4'");
  });
});

describe('_rebuild_parameter(_with_state): the tensor it wraps', () => {
  it('returns its first argument', () => {
    const t = ref();
    expect(call('torch._utils._rebuild_parameter', [t, true, new Map()])).toBe(t);
    expect(call('torch._utils._rebuild_parameter_with_state', [t, false, new Map(), new Map()])).toBe(t);
  });

  it.each([
    ['_rebuild_parameter', 3, [2, 4]],
    ['_rebuild_parameter_with_state', 4, [3, 5]],
  ] as const)('%s needs exactly %i arguments and a tensor first', (fn, n, wrong) => {
    const name = `torch._utils.${fn}`;
    for (const k of wrong) {
      const args = [ref(), true, new Map(), new Map(), null].slice(0, k);
      expectCorrupt(() => call(name, args), `${fn} with ${n} arguments in ${W}`, `${k}`);
    }
    const args = [new StorageRef('0', F32, 1), true, new Map(), new Map()].slice(0, n);
    expectCorrupt(() => call(name, args), `a tensor as the first argument of ${fn} in ${W}`, 'StorageRef');
  });
});

describe('collections.OrderedDict', () => {
  it('OrderedDict() is a new empty dict each time', () => {
    const a = call('collections.OrderedDict', []);
    expect(a).toBeInstanceOf(Map);
    expect((a as Map<unknown, unknown>).size).toBe(0);
    expect(call('collections.OrderedDict', [])).not.toBe(a);
  });

  it('rejects arguments (a list of pairs)', () => {
    expectCorrupt(
      () => call('collections.OrderedDict', [[tuple('a', 1)]]),
      `collections.OrderedDict() without arguments in ${W}`,
      '1 arguments',
    );
    expectCorrupt(() => call('collections.OrderedDict', [1, 2]), `collections.OrderedDict() without arguments in ${W}`, '2 arguments');
  });
});

describe('STATE_DICT_GLOBALS: the allow-list', () => {
  const callables = [
    'collections.OrderedDict',
    'torch._utils._rebuild_tensor_v2',
    'torch._utils._rebuild_tensor',
    'torch._utils._rebuild_parameter',
    'torch._utils._rebuild_parameter_with_state',
  ];
  const storages: [string, TorchDType][] = [
    ['torch.FloatStorage', 'float32'],
    ['torch.DoubleStorage', 'float64'],
    ['torch.HalfStorage', 'float16'],
    ['torch.BFloat16Storage', 'bfloat16'],
    ['torch.LongStorage', 'int64'],
    ['torch.IntStorage', 'int32'],
    ['torch.ShortStorage', 'int16'],
    ['torch.CharStorage', 'int8'],
    ['torch.ByteStorage', 'uint8'],
    ['torch.BoolStorage', 'bool'],
    ['torch.UntypedStorage', 'uint8'],
    ['torch.storage.UntypedStorage', 'uint8'],
  ];

  it('exactly the callables and the storage classes, each storage class with its dtype', () => {
    expect([...STATE_DICT_GLOBALS.keys()].sort()).toEqual([...callables, ...storages.map(([n]) => n)].sort());
    for (const name of callables) expect(typeof STATE_DICT_GLOBALS.get(name)!.call).toBe('function');
    for (const [name, dtype] of storages) {
      const impl = STATE_DICT_GLOBALS.get(name)!;
      expect(impl).toBeInstanceOf(StorageType);
      expect(impl.kind).toBe('storage-type');
      expect(impl.call).toBeUndefined();
      expect((impl as StorageType).info).toBe(TORCH_DTYPES[dtype]);
    }
  });

  it('the text names every callable and every typed storage dtype', () => {
    for (const name of callables) expect(STATE_DICT_GLOBALS_TEXT).toContain(name);
    expect(STATE_DICT_GLOBALS_TEXT).toContain('torch.<Type>Storage for ');
    for (const dtype of ['float32', 'float16', 'bfloat16', 'uint8', 'bool', 'int8']) expect(STATE_DICT_GLOBALS_TEXT).toContain(dtype);
  });
});

describe('storageResolver: persistent ids', () => {
  const zipPid = (type: unknown, key: unknown = '0', numel: unknown = 4, location: unknown = 'cpu'): readonly unknown[] =>
    tuple('storage', type, key, location, numel);
  const legacyPid = (view: unknown, numel: unknown = 10, key = '140'): readonly unknown[] =>
    tuple('storage', storageClass('FloatStorage'), key, 'cuda:0', numel, view);

  it('one StorageRef per key, checked once, shared by every reference', () => {
    const checked: StorageRef[] = [];
    const { load, storages } = storageResolver(false, (r) => checked.push(r));
    const a = load(zipPid(storageClass('HalfStorage'), '0', 6), W);
    expect(a).toBeInstanceOf(StorageRef);
    expect([a.key, a.info, a.numel, a.viewOffset, a.viewNumel]).toEqual(['0', TORCH_DTYPES.float16, 6, 0, 6]);
    expect(load(zipPid(storageClass('HalfStorage'), '0', 6n), W)).toBe(a);
    const b = load(zipPid(storageClass('LongStorage'), 'k_1.x-2', 2), W);
    expect([b.key, b.info.dtype, b.numel]).toEqual(['k_1.x-2', 'int64', 2]);
    expect(checked).toEqual([a, b]);
    expect([...storages]).toEqual([
      ['0', a],
      ['k_1.x-2', b],
    ]);
  });

  it('check runs before the storage is registered and its error propagates', () => {
    const { load, storages } = storageResolver(false, (r) => {
      throw new CheckpointError('truncated', `storage ${r.key}`, 'less');
    });
    expect(thrown(() => load(zipPid(storageClass('FloatStorage')), W)).reason).toBe('truncated');
    expect(storages.size).toBe(0);
  });

  it('every reference to a key has one dtype and size', () => {
    const { load } = storageResolver(false, () => {});
    load(zipPid(storageClass('FloatStorage'), '3', 4), W);
    expectCorrupt(
      () => load(zipPid(storageClass('IntStorage'), '3', 4), 'here'),
      "every reference to storage '3' with one dtype and size (float32 × 4)",
      'int32 × 4 in here',
    );
    expectCorrupt(
      () => load(zipPid(storageClass('FloatStorage'), '3', 5), 'here'),
      "every reference to storage '3' with one dtype and size (float32 × 4)",
      'float32 × 5 in here',
    );
  });

  it.each([
    [false, "a persistent id ('storage', type, key, location, numel) in W"],
    [true, "a persistent id ('storage', type, key, location, numel, view) in W"],
  ])('legacy %s: the shape of the persistent id', (legacy, expected) => {
    const { load } = storageResolver(legacy, () => {});
    const ok = legacy ? legacyPid(null) : zipPid(storageClass('FloatStorage'));
    expect(load(ok, 'W')).toBeInstanceOf(StorageRef);
    expectCorrupt(() => load([...ok], 'W'), expected, `a list of ${ok.length}`);
    expectCorrupt(() => load(tuple(...ok, null), 'W'), expected, `a tuple of ${ok.length + 1}`);
    expectCorrupt(() => load(tuple(...ok.slice(0, -1)), 'W'), expected, `a tuple of ${ok.length - 1}`);
    expectCorrupt(() => load(tuple('module', ...ok.slice(1)), 'W'), expected, `a tuple of ${ok.length}`);
    expectCorrupt(() => load('storage', 'W'), expected, "'storage'");
  });

  it('the storage class, key, location and element count', () => {
    const { load } = storageResolver(false, () => {});
    const F = storageClass('FloatStorage');
    expectCorrupt(() => load(zipPid('FloatStorage'), W), `a storage class in the persistent id in ${W}`, "'FloatStorage'");
    expectCorrupt(
      () => load(zipPid(pglobal('collections.OrderedDict')), W),
      `a storage class in the persistent id in ${W}`,
      'the global collections.OrderedDict',
    );
    const badKey = `a storage key made of letters, digits, '_', '.', '-' in ${W}`;
    expectCorrupt(() => load(zipPid(F, 0), W), badKey, 'the number 0');
    for (const key of ['', '../x', '.hidden', '-x', 'a/b', '0/../../x', 'a b', 'x\n', 'data\\0']) {
      expectCorrupt(() => load(zipPid(F, key), W), badKey, `'${key}'`);
    }
    expectCorrupt(() => load(zipPid(F, '0', 4, null), W), `a device string in the persistent id in ${W}`, 'None');
    expectCorrupt(() => load(zipPid(F, '7', -2), W), "the element count of storage '7' as a non-negative integer", 'the number -2');
    expect(load(zipPid(F, '_a.B-9', 0, ''), W).numel).toBe(0);
  });

  it('legacy views (key, offset, size) of a root storage', () => {
    const checked: StorageRef[] = [];
    const { load, storages } = storageResolver(true, (r) => checked.push(r));
    const v = load(legacyPid(tuple('140', 2, 3)), W);
    expect([v.key, v.info, v.numel, v.viewOffset, v.viewNumel]).toEqual(['140', F32, 10, 2, 3]);
    const root = storages.get('140')!;
    expect(v).not.toBe(root);
    expect([root.viewOffset, root.viewNumel]).toEqual([0, 10]);
    expect(load(legacyPid(null), W)).toBe(root);
    const end = load(legacyPid(tuple('140', 4n, 6n)), W);
    expect([end.viewOffset, end.viewNumel]).toEqual([4, 6]);
    const whole = load(legacyPid(tuple('140', 0, 10)), W);
    expect([whole.viewOffset, whole.viewNumel]).toEqual([0, 10]);
    expect(checked).toEqual([root]);
  });

  it('legacy views: the tuple, its offset and size, inside the root', () => {
    const { load } = storageResolver(true, () => {});
    const badView = `a storage view (key, offset, size) or None in ${W}`;
    expectCorrupt(() => load(legacyPid(['140', 0, 1]), W), badView, 'a list of 3');
    expectCorrupt(() => load(legacyPid(tuple('140', 0)), W), badView, 'a tuple of 2');
    expectCorrupt(() => load(legacyPid(tuple('140', 0, 1, 1)), W), badView, 'a tuple of 4');
    expectCorrupt(() => load(legacyPid(0), W), badView, 'the number 0');
    expectCorrupt(
      () => load(legacyPid(tuple('140', -1, 1)), W),
      "the offset of a view of storage '140' as a non-negative integer",
      'the number -1',
    );
    expectCorrupt(() => load(legacyPid(tuple('140', 1, 'x')), W), "the size of a view of storage '140' as a non-negative integer", "'x'");
    expectCorrupt(() => load(legacyPid(tuple('140', 2, 9)), W), "a view inside storage '140' (10 elements)", 'elements [2, 11)');
    expectCorrupt(() => load(legacyPid(tuple('140', 8, 3)), W), "a view inside storage '140' (10 elements)", 'elements [8, 11)');
    expectCorrupt(() => load(legacyPid(tuple('140', 11, 0)), W), "a view inside storage '140' (10 elements)", 'elements [11, 11)');
  });

  it('zip storages are whole roots (no views)', () => {
    const { load } = storageResolver(false, () => {});
    const r = load(zipPid(storageClass('FloatStorage'), '0', 4), W);
    expect([r.viewOffset, r.viewNumel]).toEqual([0, 4]);
  });
});

describe('collectTensors: the unpickled dict → named tensors', () => {
  it('the top level must be a dict', () => {
    for (const [root, received] of [
      [[ref()], 'a list of 1'],
      [ref(), 'TensorRef'],
      [null, 'None'],
      [3, 'the number 3'],
    ] as const) {
      const e = thrown(() => collectTensors(root, 'archive/data.pkl', 100));
      expect(e.reason).toBe('not-a-checkpoint');
      expect(e.message).toBe(
        `readTorchCheckpoint: expected a dict of tensors (a state_dict) as the value of archive/data.pkl, received ${received}`,
      );
    }
  });

  it('tensors in dict order, nested dicts flattened with ".", other values ignored', () => {
    const [a, b, c, d] = [ref([1]), ref([2]), ref([3]), ref([4])];
    const root = new Map<unknown, unknown>([
      ['conv.weight', a],
      ['epoch', 3],
      [
        'state_dict',
        new Map<unknown, unknown>([
          [
            'enc',
            new Map<unknown, unknown>([
              [0, b],
              ['name', 'x'],
            ]),
          ],
          ['bias', c],
        ]),
      ],
      [7, d],
      ['empty', new Map()],
      ['list', [a]],
      ['tuple', tuple(a)],
      ['none', null],
      ['storage', new StorageRef('0', F32, 1)],
    ]);
    const { tensors, ignored } = collectTensors(root, 'W', 100);
    expect(tensors.map((t) => t.name)).toEqual(['conv.weight', 'state_dict.enc.0', 'state_dict.bias', '7']);
    expect(tensors.map((t) => t.ref)).toEqual([a, b, c, d]);
    expect(tensors[1]!.ref).toBe(b);
    expect(ignored).toEqual(['epoch', 'state_dict.enc.name', 'list', 'tuple', 'none', 'storage']);
  });

  it('an empty dict', () => {
    expect(collectTensors(new Map(), 'W', 0)).toEqual({ tensors: [], ignored: [] });
  });

  it('the same tensor under two names is two entries; one name twice is refused', () => {
    const t = ref();
    expect(
      collectTensors(
        new Map([
          ['a', t],
          ['b', t],
        ]),
        'W',
        10,
      ).tensors,
    ).toEqual([
      { name: 'a', ref: t },
      { name: 'b', ref: t },
    ]);
    const clash = new Map<unknown, unknown>([
      ['a.b', t],
      ['a', new Map([['b', ref()]])],
    ]);
    expectCorrupt(() => collectTensors(clash, 'W', 10), 'unique tensor names in W', "'a.b' twice");
  });

  it('dicts nested up to 16 deep are walked; deeper ones are listed as ignored', () => {
    const chain = (levels: number): Map<unknown, unknown> => {
      let inner = new Map<unknown, unknown>([['t', ref()]]);
      for (let i = levels - 1; i >= 0; i--) inner = new Map<unknown, unknown>([[`k${i}`, inner]]);
      return inner;
    };
    const keys = (n: number): string => Array.from({ length: n }, (_, i) => `k${i}`).join('.');
    // The root plus 16 nested dicts: the tensor sits in the 16th.
    expect(collectTensors(chain(16), 'W', 100)).toMatchObject({ tensors: [{ name: `${keys(16)}.t` }], ignored: [] });
    expect(collectTensors(chain(17), 'W', 100)).toEqual({ tensors: [], ignored: [keys(17)] });
    // A dict that contains itself stops at the depth limit.
    const cyclic = new Map<unknown, unknown>();
    cyclic.set('self', cyclic);
    expect(collectTensors(cyclic, 'W', 100)).toEqual({ tensors: [], ignored: [Array(17).fill('self').join('.')] });
  });

  it('at most `budget` dict entries are visited (shared dicts)', () => {
    const flat = new Map<unknown, unknown>([
      ['a', ref()],
      ['b', 1],
      ['c', ref()],
    ]);
    expect(collectTensors(flat, 'W', 3).tensors).toHaveLength(2);
    expectCorrupt(() => collectTensors(flat, 'W', 2), 'at most 2 dict entries in W (one per pickle byte)', 'more (shared or cyclic dicts)');
    // One dict shared twice at each of 10 levels: 2 + 4 + … + 2^10 dict entries and 2^10 tensor
    // entries (3070) from eleven small dicts.
    let shared = new Map<unknown, unknown>([['t', ref()]]);
    for (let i = 0; i < 10; i++)
      shared = new Map<unknown, unknown>([
        ['l', shared],
        ['r', shared],
      ]);
    expect(collectTensors(shared, 'W', 3070).tensors).toHaveLength(2 ** 10);
    expectCorrupt(
      () => collectTensors(shared, 'W', 3069),
      'at most 3069 dict entries in W (one per pickle byte)',
      'more (shared or cyclic dicts)',
    );
  });
});

describe('a state-dict pickle through the unpickler', () => {
  /** `torch.save(OrderedDict(...))` as PyTorch 2.x writes it: memoised storage class, a parameter, `_metadata` set by BUILD. */
  function pickle(): Uint8Array {
    const rebuild = (key: string, storage: string, numel: number, offset: number, shape: number[], stride: number[]): Uint8Array[] => [
      global('torch._utils', '_rebuild_tensor_v2'),
      bytes(OP.MARK, OP.MARK, str('storage')),
      global('torch', storage),
      bytes(str(key), str('cpu'), int(numel), OP.TUPLE, OP.BINPERSID, int(offset), intTuple(shape), intTuple(stride), OP.NEWFALSE),
      global('collections', 'OrderedDict'),
      bytes(OP.EMPTY_TUPLE, OP.REDUCE, OP.TUPLE, OP.REDUCE),
    ];
    const metadata = bytes(OP.EMPTY_DICT, str('_metadata'), global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE, OP.SETITEM);
    return bytes(
      OP.PROTO2,
      global('collections', 'OrderedDict'),
      OP.EMPTY_TUPLE,
      OP.REDUCE,
      OP.MARK,
      str('w'),
      global('torch._utils', '_rebuild_parameter'),
      OP.MARK,
      ...rebuild('0', 'FloatStorage', 12, 2, [2, 3], [3, 1]),
      OP.NEWTRUE,
      global('collections', 'OrderedDict'),
      OP.EMPTY_TUPLE,
      OP.REDUCE,
      OP.TUPLE,
      OP.REDUCE,
      str('idx'),
      ...rebuild('1', 'LongStorage', 1, 0, [], []),
      str('t'),
      ...rebuild('0', 'FloatStorage', 12, 0, [3, 2], [1, 3]),
      OP.SETITEMS,
      metadata,
      0x62 /* BUILD */,
      OP.STOP,
    );
  }

  it('tensors share the storage of their key; _metadata leaves no trace', () => {
    const checked: string[] = [];
    const { load, storages } = storageResolver(false, (r) => checked.push(`${r.key}:${r.info.dtype}×${r.numel}`));
    const pkl = pickle();
    const { value } = unpickle(pkl, 0, {
      where: 'data.pkl',
      globals: STATE_DICT_GLOBALS,
      allowedText: STATE_DICT_GLOBALS_TEXT,
      persistentLoad: load,
    });
    expect(checked).toEqual(['0:float32×12', '1:int64×1']);
    const { tensors, ignored } = collectTensors(value, 'data.pkl', pkl.length);
    expect(ignored).toEqual([]);
    expect(tensors.map(({ name, ref: r }) => [name, r.storage.key, r.storage.info.dtype, r.offset, r.shape, r.stride])).toEqual([
      ['w', '0', 'float32', 2, [2, 3], [3, 1]],
      ['idx', '1', 'int64', 0, [], []],
      ['t', '0', 'float32', 0, [3, 2], [1, 3]],
    ]);
    expect(tensors[0]!.ref.storage).toBe(storages.get('0'));
    expect(tensors[2]!.ref.storage).toBe(tensors[0]!.ref.storage);
  });
});

describe('StorageRef / TensorRef', () => {
  it('a root storage is its own view', () => {
    const info: TorchDTypeInfo = STORAGE_DTYPES.get('IntStorage')!;
    const s = new StorageRef('k', info, 5);
    expect([s.key, s.info, s.numel, s.viewOffset, s.viewNumel]).toEqual(['k', info, 5, 0, 5]);
    const v = new StorageRef('k', info, 5, 1, 2);
    expect([v.viewOffset, v.viewNumel]).toEqual([1, 2]);
  });
});
