/** The assert every dataset test makes: no finding came from segqc's `internal` net (a defect, never the data). */
import { expect } from 'vitest';
import { isInternalFinding } from '../shared/dataset/check.js';
import type { Finding } from '../shared/rules/types.js';

/** Fails when any item of a report holds an `internal` finding, or the CLI's stderr reports an internal error. */
export function expectNoInternalError(report: { items: Array<{ id: string; findings: Finding[] }> } | null, stderr = ''): void {
  const hits = (report?.items ?? []).flatMap((i) => i.findings.filter(isInternalFinding).map((f) => `${i.id}: ${f.message}`));
  expect(hits, 'findings made by the internal-error net').toEqual([]);
  expect(stderr).not.toMatch(/internal error/);
}
