/** An error the command line reports as a one-line message with exit code 1 or 2. */
export class CliError extends Error {
  /** Exit code: 2 for bad usage (options), 1 for everything else. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Parses a positive integer option or throws a usage error naming it. */
export function positiveInt(name: string, value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`option ${name}: expected a positive integer, received '${value}'`, 2);
  return n;
}

/** Parses a non-negative integer option or throws a usage error naming it. */
export function nonNegativeInt(name: string, value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`option ${name}: expected an integer >= 0, received '${value}'`, 2);
  return n;
}
