/**
 * Errors of {@link readTorchCheckpoint}. Every message reads
 * `readTorchCheckpoint: expected X, received Y` and most name the byte offset or zip entry.
 * @module
 */
import { TpfrError } from '../errors.js';

/** What went wrong, for code that branches on it. */
export type CheckpointErrorReason =
  /** The bytes are not a PyTorch checkpoint (empty, a PNG, a plain zip, ...). */
  | 'not-a-checkpoint'
  /** The file ends before a structure it declares (a pickle, a storage, a zip record). */
  | 'truncated'
  /** A structure has an impossible or inconsistent value (a negative size, a bad magic number...). */
  | 'corrupt'
  /** A valid PyTorch feature this reader does not handle (compressed entries, big-endian data...). */
  | 'unsupported'
  /** The pickle calls a global outside the allow-list: see {@link ForbiddenGlobalError}. */
  | 'forbidden-global'
  /** The pickle holds an opcode outside the supported set: see {@link UnknownOpcodeError}. */
  | 'unknown-opcode'
  /** A zip entry's name leaves its folder (`..`, an absolute path, a drive letter). */
  | 'unsafe-path'
  /** The tensors need more memory than `maxBytes` allows. */
  | 'too-large';

/** The checkpoint could not be read. Raised by {@link readTorchCheckpoint}, never anything else. */
export class CheckpointError extends TpfrError {
  /** The kind of failure. */
  readonly reason: CheckpointErrorReason;
  /** What the reader expected, in words. */
  readonly expected: string;
  /** What it found instead. */
  readonly received: string;
  /**
   * @param reason the kind of failure.
   * @param expected what the reader expected, in words.
   * @param received what it found.
   * @param fn the public function, `readTorchCheckpoint`.
   */
  constructor(reason: CheckpointErrorReason, expected: string, received: string, fn = 'readTorchCheckpoint') {
    super(fn, `expected ${expected}, received ${received}`);
    this.reason = reason;
    this.expected = expected;
    this.received = received;
  }
}

/** The pickle names a global (`module.name`) that a state_dict never needs, e.g. `os.system`. */
export class ForbiddenGlobalError extends CheckpointError {
  /** The rejected global, `module.name` (`os.system`, `builtins.eval`, ...). */
  readonly global: string;
  /** Byte offset of the GLOBAL / STACK_GLOBAL opcode in its pickle. */
  readonly offset: number;
  /**
   * @param global `module.name`.
   * @param offset byte offset of the opcode in its pickle.
   * @param where the pickle (`archive/data.pkl`, ...).
   * @param allowed the allow-list in words.
   */
  constructor(global: string, offset: number, where: string, allowed: string) {
    super('forbidden-global', `only the globals a state_dict uses (${allowed})`, `global ${global} at byte ${offset} of ${where}`);
    this.global = global;
    this.offset = offset;
  }
}

/** The pickle holds an opcode this reader does not execute (sets, ext codes, protocol-0 text...). */
export class UnknownOpcodeError extends CheckpointError {
  /** The opcode byte. */
  readonly opcode: number;
  /** Its byte offset in the pickle. */
  readonly offset: number;
  /**
   * @param opcode the opcode byte.
   * @param offset its byte offset in the pickle.
   * @param where the pickle (`archive/data.pkl`, ...).
   */
  constructor(opcode: number, offset: number, where: string) {
    const hex = `0x${opcode.toString(16).padStart(2, '0')}`;
    const printable = opcode >= 0x20 && opcode < 0x7f ? ` '${String.fromCharCode(opcode)}'` : '';
    super(
      'unknown-opcode',
      'a pickle opcode of the state_dict subset (protocol 2 to 5)',
      `opcode ${hex}${printable} at byte ${offset} of ${where}`,
    );
    this.opcode = opcode;
    this.offset = offset;
  }
}
