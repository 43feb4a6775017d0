import { expect, it } from 'vitest';
import { CliError } from './errors.js';
import { parseMemorySize } from './memory-size.js';

it('reads MiB by default, or MiB and GiB with their unit', () => {
  expect(parseMemorySize('--memory-budget', '3000')).toBe(3000 * 2 ** 20);
  expect(parseMemorySize('--memory-budget', '3000MiB')).toBe(3000 * 2 ** 20);
  expect(parseMemorySize('--memory-budget', '3.5GiB')).toBe(3.5 * 2 ** 30);
  expect(parseMemorySize('--memory-budget', '2 G')).toBe(2 * 2 ** 30);
  expect(parseMemorySize('--memory-budget', '512m')).toBe(512 * 2 ** 20);
});

it('refuses anything else as a usage error naming the option', () => {
  for (const bad of ['', 'lots', '0', '-3', '3TB', '1e3', 'GiB', '3 GiB extra']) {
    let error: unknown;
    try {
      parseMemorySize('--memory-budget', bad);
    } catch (e) {
      error = e;
    }
    expect(error, bad).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toBe(
      `option --memory-budget: expected a size in MiB or GiB (e.g. 3000, 3000MiB, 3.5GiB), received '${bad}'`,
    );
  }
});
