import { expect } from 'vitest';

/** Asserts a metric against a reference value: relative error 1e-5; `null` where the value is undefined. */
export function close(actual: number | null | undefined, want: number | null, what: string): void {
  if (want === null) {
    expect(actual ?? null, what).toBeNull();
    return;
  }
  expect(actual, what).not.toBeNull();
  const a = actual as number;
  const tol = Math.abs(want) < 1e-4 ? Math.max(1e-9, Math.abs(want) * 1e-5) : Math.abs(want) * 1e-5;
  expect(Math.abs(a - want) <= tol, `${what}: got ${a}, want ${want}`).toBe(true);
}
