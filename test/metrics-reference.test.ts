import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareMasks, type LabelMetrics } from '../shared/metrics/compare.js';
import { loadNifti } from './metrics-nifti-loader.js';
import { close } from './close.js';

const dir = join(__dirname, 'fixtures', 'metrics');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));

describe('metric reference cases (fixtures/metrics/expected.json)', () => {
  for (const [name, c] of Object.entries<any>(expected)) {
    for (const surface of ['voxel', 'surfel'] as const) {
      it(`${name} (${surface})`, () => {
        const r = loadNifti(join(dir, c.reference));
        const p = loadNifti(join(dir, c.candidate));
        for (const [label, conv] of Object.entries<any>(c.labels)) {
          const want = { ...conv.voxel, ...(surface === 'surfel' ? conv.surfel : {}) };
          const m: LabelMetrics = compareMasks({ data: r.data, value: Number(label) }, { data: p.data, value: Number(label) }, r.geometry, {
            tolerances: c.tolerances_mm,
            surface,
          });
          for (const [k, v] of Object.entries<any>(want)) {
            if (k === 'nsd') for (const [t, x] of Object.entries<any>(v)) close(m.nsd[t], x, `${name} ${label} ${surface} nsd[${t}]`);
            else if (k.startsWith('components')) expect((m as any)[k], `${name} ${label} ${k}`).toBe(v);
            else close((m as any)[k], v, `${name} ${label} ${surface} ${k}`);
          }
        }
      });
    }
  }
});
