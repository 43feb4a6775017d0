/**
 * `readTorchCheckpoint`: the bytes of a `torch.save(state_dict)` file in, named typed arrays
 * out. No tfjs, no Node built-ins: works in browsers and Node alike.
 * @module
 */
import { CheckpointError } from './errors.js';
import { parseLegacyCheckpoint } from './legacy-format.js';
import { parseZipCheckpoint } from './zip-format.js';
import { sniff } from './sniff.js';
import { collectTensors } from './state-dict.js';
import { checkTensorInStorage, copyTensor } from './tensor-copy.js';
import type { ParsedCheckpoint, ReadTorchCheckpointOptions, TorchCheckpoint, TorchTensor } from './types.js';

/**
 * Reads a PyTorch checkpoint written by `torch.save(state_dict, path)`, in either format: zip
 * (PyTorch ≥ 1.6) or legacy (PyTorch < 1.6). Pickles are executed by a restricted unpickler that
 * only builds data: the only globals it accepts are `collections.OrderedDict`, the
 * `torch._utils._rebuild_tensor_v2` / `_rebuild_tensor` / `_rebuild_parameter(_with_state)`
 * functions and the `torch.*Storage` classes.
 *
 * Every tensor is copied out of its storage (offsets, shared storages and strided views are
 * honoured; strided views come out in C order) into a typed array of its own: the result does
 * not keep `bytes` alive. Dtypes: float32/float64 as `Float32Array`/`Float64Array`, float16 and
 * bfloat16 as their raw bits in a `Uint16Array` (see {@link float16ToFloat32},
 * {@link bfloat16ToFloat32}, {@link torchTensorToFloat32}), int64 as `BigInt64Array`, int32/16/8
 * as `Int32Array`/`Int16Array`/`Int8Array`, uint8 and bool as `Uint8Array`. A 0-d tensor (such as
 * `num_batches_tracked`) has shape `[]` and one element.
 *
 * Nothing is allocated for tensor data before every storage has been checked against the bytes
 * present and the total against `opts.maxBytes`.
 *
 * @param input the whole file (a `Uint8Array`; a Node `Buffer` will do).
 * @returns the format and the tensors by name, in state_dict order.
 * @throws {CheckpointError} for anything that is not a readable checkpoint: `reason` says why
 * (`not-a-checkpoint`, `truncated`, `corrupt`, `unsupported`, `unsafe-path`, `too-large`);
 * {@link ForbiddenGlobalError} (reason `forbidden-global`, with `global`, e.g. `os.system`) and
 * {@link UnknownOpcodeError} (reason `unknown-opcode`, with `opcode` and `offset`) are subclasses.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { readTorchCheckpoint } from '@tpfr/core/torch';
 * const { format, tensors } = readTorchCheckpoint(new Uint8Array(await readFile('net_G.pth')));
 * const w = tensors.get('model_enc.0.weight'); // { dtype: 'float32', shape: [32, 3, 7, 7], data }
 * ```
 */
export function readTorchCheckpoint(input: Uint8Array, opts: ReadTorchCheckpointOptions = {}): TorchCheckpoint {
  if (!(input instanceof Uint8Array)) {
    throw new CheckpointError(
      'not-a-checkpoint',
      'the file as a Uint8Array',
      input === null ? 'null' : typeof input === 'object' ? ((input as object).constructor?.name ?? 'an object') : typeof input,
    );
  }
  // A plain Uint8Array view: a Node Buffer's slice() would share memory instead of copying.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const maxBytes = opts.maxBytes ?? 4 * bytes.length + 2 ** 20;
  if (!(maxBytes >= 0)) throw new CheckpointError('corrupt', 'opts.maxBytes ≥ 0', String(opts.maxBytes));
  const sniffed = sniff(bytes);
  let parsed: ParsedCheckpoint;
  if (sniffed.kind === 'zip') parsed = parseZipCheckpoint(bytes);
  else if (sniffed.kind === 'legacy') parsed = parseLegacyCheckpoint(bytes);
  else {
    throw new CheckpointError(
      'not-a-checkpoint',
      "a PyTorch checkpoint (a zip starting 'PK\\x03\\x04', or a legacy file starting with the pickled magic number 80 02 8a 0a 6c fc 9c 46 f9 20 6a a8 50 19)",
      sniffed.description,
    );
  }

  const { tensors: refs, ignored } = collectTensors(parsed.root, parsed.where, parsed.pickleBytes);
  // Check everything, then allocate.
  let total = 0;
  for (const { name, ref } of refs) {
    total += checkTensorInStorage(name, ref);
    if (!(total <= maxBytes)) {
      throw new CheckpointError(
        'too-large',
        `at most ${maxBytes} bytes of tensor data (opts.maxBytes)`,
        `${total} bytes by tensor '${name}'`,
      );
    }
  }
  const tensors = new Map<string, TorchTensor>();
  for (const { name, ref } of refs) {
    const region = parsed.regions.get(ref.storage.key)!;
    const data = copyTensor(ref, region);
    tensors.set(name, { name, dtype: ref.storage.info.dtype, shape: [...ref.shape], data } as TorchTensor);
  }
  return { format: parsed.format, tensors, ignored };
}
