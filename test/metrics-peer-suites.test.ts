import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareMasks } from '../shared/metrics/compare.js';
import { loadNifti } from './metrics-nifti-loader.js';

const dir = join(__dirname, 'fixtures', 'peer-suites');
const suite = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'));

function close(actual: number | null | undefined, want: number | null, what: string): void {
  if (want === null) {
    expect(actual ?? null, what).toBeNull();
    return;
  }
  const a = actual as number;
  const tol = Math.max(1e-9, Math.abs(want) * 1e-5);
  expect(typeof a === 'number' && Math.abs(a - want) <= tol, `${what}: got ${a}, want ${want}`).toBe(true);
}

describe('peer test suites (DeepMind surface-distance, MONAI)', () => {
  let checked = 0;
  for (const c of suite.cases) {
    it(c.id, () => {
      const r = loadNifti(join(dir, c.reference));
      const p = loadNifti(join(dir, c.candidate));
      expect(r.geometry.shape).toEqual(c.nifti_shape);
      const skip = new Set<string>((c.not_checked ?? []).map((x: any) => `${x.label}:${x.key}`));
      for (const label of c.labels as string[]) {
        const v = Number(label);
        const m = compareMasks({ data: r.data, value: v }, { data: p.data, value: v }, r.geometry, { tolerances: c.tolerances_mm, surface: c.surface });
        for (const [k, want] of Object.entries<any>(c.expected[label])) {
          if (k === 'nsd') {
            for (const [t, x] of Object.entries<any>(want)) {
              if (skip.has(`${label}:nsd[${t}]`)) continue;
              close(m.nsd[t], x, `${c.id} ${label} nsd[${t}]`);
              checked++;
            }
          } else {
            if (skip.has(`${label}:${k}`)) continue;
            close((m as any)[k], want, `${c.id} ${label} ${k}`);
            checked++;
          }
        }
      }
    });
  }
  it('checks all 362 values', () => expect(checked).toBe(362));
});
