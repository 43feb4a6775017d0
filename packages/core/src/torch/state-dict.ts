/**
 * What the pickle of a `torch.save(state_dict)` means: the allowed globals (`OrderedDict`, the
 * tensor-rebuild functions, the storage classes), the persistent ids of storages, and the walk
 * that turns the unpickled dict into named tensor references. Nothing here touches tensor bytes.
 * @module
 */
import { CheckpointError } from './errors.js';
import { STORAGE_DTYPES, TORCH_DTYPES, type TorchDTypeInfo } from './dtypes.js';
import { describe, isTuple, type GlobalImpl, PickleGlobal } from './unpickler.js';

/** A storage that the pickle refers to by key; its bytes live elsewhere in the file. */
export class StorageRef {
  constructor(
    /** The key of the storage's bytes: `data/<key>` in a zip, an entry of the key list in legacy files. */
    readonly key: string,
    /** The dtype of the storage class (`torch.FloatStorage` → float32). */
    readonly info: TorchDTypeInfo,
    /** Elements of the whole (root) storage. */
    readonly numel: number,
    /** Legacy storage views (PyTorch < 0.4): element offset of this view in the root storage. */
    readonly viewOffset = 0,
    /** Elements of this view (the root's numel when not a view). */
    readonly viewNumel = numel,
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a window of a storage. */
export class TensorRef {
  constructor(
    /** The storage (or legacy storage view) the tensor's elements live in. */
    readonly storage: StorageRef,
    /** In elements, from the start of `storage`'s view. */
    readonly offset: number,
    /** PyTorch's size. */
    readonly shape: number[],
    /** In elements. */
    readonly stride: number[],
  ) {}
}

const fail = (expected: string, received: string): CheckpointError => new CheckpointError('corrupt', expected, received);

/** A non-negative safe integer from a pickled int (number or bigint). */
export function toIndex(v: unknown, what: string): number {
  if (typeof v === 'bigint' && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (Number.isSafeInteger(v) && (v as number) >= 0) return v as number;
  throw fail(`${what} as a non-negative integer`, describe(v));
}

function toIndexTuple(v: unknown, what: string): number[] {
  if (!isTuple(v) && !Array.isArray(v)) throw fail(`${what} as a tuple of integers`, describe(v));
  return v.map((d, i) => toIndex(d, `${what}[${i}]`));
}

function rebuildTensor(args: readonly unknown[], fn: string, where: string, minArgs: number, maxArgs: number): TensorRef {
  if (args.length < minArgs || args.length > maxArgs) {
    throw fail(`${fn} with ${minArgs === maxArgs ? minArgs : `${minArgs} to ${maxArgs}`} arguments in ${where}`, `${args.length}`);
  }
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw fail(`a storage as the first argument of ${fn} in ${where}`, describe(storage));
  const shape = toIndexTuple(size, `the size of a tensor in ${where}`);
  const strides = toIndexTuple(stride, `the stride of a tensor in ${where}`);
  if (strides.length !== shape.length) {
    throw fail(`a stride of the size's rank (${shape.length}) in ${where}`, `rank ${strides.length}`);
  }
  return new TensorRef(storage, toIndex(offset, `the storage offset of a tensor in ${where}`), shape, strides);
}

function rebuildParameter(args: readonly unknown[], fn: string, where: string, n: number): TensorRef {
  if (args.length !== n) throw fail(`${fn} with ${n} arguments in ${where}`, `${args.length}`);
  if (!(args[0] instanceof TensorRef)) throw fail(`a tensor as the first argument of ${fn} in ${where}`, describe(args[0]));
  return args[0];
}

const STORAGE_GLOBALS: [string, TorchDTypeInfo][] = [
  ...[...STORAGE_DTYPES].map(([name, info]): [string, TorchDTypeInfo] => [`torch.${name}`, info]),
  // Untyped storages (PyTorch 2.x, saved on their own) hold bytes: tensors on them are uint8.
  ['torch.UntypedStorage', TORCH_DTYPES.uint8],
  ['torch.storage.UntypedStorage', TORCH_DTYPES.uint8],
];

/** The storage class a global stands for. */
export class StorageType implements GlobalImpl {
  readonly kind = 'storage-type';
  /** @param info the dtype of the storage class. */
  constructor(readonly info: TorchDTypeInfo) {}
}

/** The globals a state_dict pickle may use, by `module.name`. */
export const STATE_DICT_GLOBALS: ReadonlyMap<string, GlobalImpl> = new Map<string, GlobalImpl>([
  [
    'collections.OrderedDict',
    {
      call: (args, where) => {
        if (args.length === 0) return new Map();
        throw fail(`collections.OrderedDict() without arguments in ${where}`, `${args.length} arguments`);
      },
    },
  ],
  ['torch._utils._rebuild_tensor_v2', { call: (a, w) => rebuildTensor(a, '_rebuild_tensor_v2', w, 6, 7) }],
  ['torch._utils._rebuild_tensor', { call: (a, w) => rebuildTensor(a, '_rebuild_tensor', w, 4, 4) }],
  ['torch._utils._rebuild_parameter', { call: (a, w) => rebuildParameter(a, '_rebuild_parameter', w, 3) }],
  ['torch._utils._rebuild_parameter_with_state', { call: (a, w) => rebuildParameter(a, '_rebuild_parameter_with_state', w, 4) }],
  ...STORAGE_GLOBALS.map(([name, info]): [string, GlobalImpl] => [name, new StorageType(info)]),
]);

/** The allow-list in words, for the message of a rejected global. */
export const STATE_DICT_GLOBALS_TEXT =
  'collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_tensor, torch._utils._rebuild_parameter, torch._utils._rebuild_parameter_with_state, torch.<Type>Storage for float32/64, float16, bfloat16, int8/16/32/64, uint8, bool';

/** A storage key: a plain file name, so that `data/<key>` stays inside the archive folder. */
const SAFE_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Resolves `('storage', storage_type, key, location, numel[, view_metadata])` (legacy files have
 * the sixth element) into one {@link StorageRef} per key, shared by every tensor on it.
 * @param check called once per new key, before anything is allocated: throws if the file cannot
 * hold `numel` elements of that dtype.
 */
export function storageResolver(
  legacy: boolean,
  check: (ref: StorageRef) => void,
): { load: (pid: unknown, where: string) => StorageRef; storages: Map<string, StorageRef> } {
  const storages = new Map<string, StorageRef>();
  const load = (pid: unknown, where: string): StorageRef => {
    const n = legacy ? 6 : 5;
    if (!isTuple(pid) || pid.length !== n || pid[0] !== 'storage') {
      throw fail(`a persistent id ('storage', type, key, location, numel${legacy ? ', view' : ''}) in ${where}`, describe(pid));
    }
    const [, type, key, location, numelRaw, view] = pid;
    if (!(type instanceof PickleGlobal) || !(type.impl instanceof StorageType))
      throw fail(`a storage class in the persistent id in ${where}`, describe(type));
    if (typeof key !== 'string' || !SAFE_KEY.test(key))
      throw fail(`a storage key made of letters, digits, '_', '.', '-' in ${where}`, describe(key));
    if (typeof location !== 'string') throw fail(`a device string in the persistent id in ${where}`, describe(location));
    const info = type.impl.info;
    const numel = toIndex(numelRaw, `the element count of storage '${key}'`);
    let root = storages.get(key);
    if (root === undefined) {
      root = new StorageRef(key, info, numel);
      check(root);
      storages.set(key, root);
    } else if (root.info !== info || root.numel !== numel) {
      throw fail(
        `every reference to storage '${key}' with one dtype and size (${root.info.dtype} × ${root.numel})`,
        `${info.dtype} × ${numel} in ${where}`,
      );
    }
    if (legacy && view !== null) {
      if (!isTuple(view) || view.length !== 3) throw fail(`a storage view (key, offset, size) or None in ${where}`, describe(view));
      const offset = toIndex(view[1], `the offset of a view of storage '${key}'`);
      const size = toIndex(view[2], `the size of a view of storage '${key}'`);
      if (offset + size > numel) throw fail(`a view inside storage '${key}' (${numel} elements)`, `elements [${offset}, ${offset + size})`);
      return new StorageRef(key, info, numel, offset, size);
    }
    return root;
  };
  return { load, storages };
}

/** A tensor reference with its state_dict name. */
export interface NamedTensorRef {
  /** The state_dict key (flattened with `.` for nested dicts). */
  readonly name: string;
  /** Where its elements are. */
  readonly ref: TensorRef;
}

/**
 * The tensors of an unpickled checkpoint, in dict order. The top level must be a dict; nested
 * dicts (`{'state_dict': {...}, 'epoch': 3}`) are flattened with `.`; entries that are neither
 * tensors nor dicts are listed in `ignored`.
 */
export function collectTensors(root: unknown, where: string, budget: number): { tensors: NamedTensorRef[]; ignored: string[] } {
  if (!(root instanceof Map))
    throw new CheckpointError('not-a-checkpoint', `a dict of tensors (a state_dict) as the value of ${where}`, describe(root));
  const tensors: NamedTensorRef[] = [];
  const ignored: string[] = [];
  const names = new Set<string>();
  let visits = 0;
  const walk = (dict: Map<unknown, unknown>, prefix: string, depth: number): void => {
    for (const [k, v] of dict) {
      if (++visits > budget)
        throw fail(`at most ${budget} dict entries in ${where} (one per pickle byte)`, 'more (shared or cyclic dicts)');
      const name = prefix + String(k);
      if (v instanceof TensorRef) {
        if (names.has(name)) throw fail(`unique tensor names in ${where}`, `'${name}' twice`);
        names.add(name);
        tensors.push({ name, ref: v });
      } else if (v instanceof Map && depth < 16) {
        walk(v, `${name}.`, depth + 1);
      } else {
        ignored.push(name);
      }
    }
  };
  walk(root, '', 0);
  return { tensors, ignored };
}
