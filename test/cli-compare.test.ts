import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import type { Geometry } from '../shared/model.js';
import { axisGeometry } from '../shared/model.js';
import { close } from './close.js';

const root = join(__dirname, '..');
const metrics = join(__dirname, 'fixtures', 'metrics');
const expected = JSON.parse(readFileSync(join(metrics, 'expected.json'), 'utf8'));

function segqc(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp: string;
const grid = (over: Partial<Geometry> = {}): Geometry => ({ ...axisGeometry([8, 8, 4], [1, 1, 2]), ...over });

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'segqc-compare-'));
  const a = new Uint8Array(256);
  a.fill(1, 0, 64);
  a[200] = 2;
  writeFileSync(join(tmp, 'a.nii'), encodeNifti({ geometry: grid(), data: a }));
  writeFileSync(join(tmp, 'b_spacing.nii'), encodeNifti({ geometry: grid({ spacing: [1, 1, 3] }), data: a }));
  writeFileSync(join(tmp, 'c_shape.nii'), encodeNifti({ geometry: grid({ shape: [8, 8, 2] }), data: a.subarray(0, 128) }));
  writeFileSync(join(tmp, 'trunc.nii.gz'), encodeNifti({ geometry: grid(), data: a }, { gzip: true }).subarray(0, 60));
});

describe('segqc compare', () => {
  for (const [name, c] of Object.entries<any>(expected)) {
    for (const surface of ['voxel', 'surfel']) {
      it(`--json reproduces ${name} (${surface})`, () => {
        const r = segqc('compare', join(metrics, c.reference), join(metrics, c.candidate), '--json', '--surface', surface, '--tolerance', c.tolerances_mm.join(','), '--labels', Object.keys(c.labels).join(','));
        expect(r.code, r.stderr).toBe(0);
        const lines = r.stdout.trim().split('\n');
        expect(lines).toHaveLength(1);
        const out = JSON.parse(lines[0]);
        expect(out.surface).toBe(surface);
        expect(out.tolerances_mm).toEqual(c.tolerances_mm);
        expect(Object.keys(out.reference).sort()).toEqual(['path', 'shape', 'spacing']);
        expect(r.stdout).not.toMatch(/NaN|Infinity/);
        const labels = Object.keys(c.labels).map(Number);
        for (const row of out.labels) {
          const conv = c.labels[String(row.label)];
          const want = { ...conv.voxel, ...(surface === 'surfel' ? conv.surfel : {}) };
          for (const [k, v] of Object.entries<any>(want)) {
            if (k === 'nsd') for (const [t, x] of Object.entries<any>(v)) close(row.nsd[t], x, `${name} nsd[${t}]`);
            else if (k.startsWith('components')) expect(row[k]).toBe(v);
            else close(row[k], v, `${name} ${k}`);
          }
        }
        expect(out.labels.map((l: any) => l.label)).toEqual(labels);
      });
    }
  }

  it('prints a readable table by default and honours --labels', () => {
    const r = segqc('compare', join(tmp, 'a.nii'), join(tmp, 'a.nii'), '--labels', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/label\s+dice\s+iou\s+hd\s+hd95\s+assd\s+nsd@1\s+nsd@2/);
    const rows = r.stdout.trim().split('\n').filter((l) => /^\s*\d/.test(l));
    expect(rows).toHaveLength(1);
    expect(rows[0].trim().split(/\s+/).slice(0, 3)).toEqual(['2', '1', '1']);
  });

  it('gives null, never NaN, where a value is undefined (one side empty)', () => {
    const r = segqc('compare', join(tmp, 'a.nii'), join(tmp, 'a.nii'), '--labels', '3', '--json');
    const row = JSON.parse(r.stdout).labels[0];
    expect(row.label).toBe(3);
    // Both empty: the policy of fixtures/SOURCES.md.
    expect([row.dice, row.hd, row.nsd['1']]).toEqual([1, 0, 1]);
  });

  it('refuses inputs on different grids, printing both, unless --ignore-geometry', () => {
    const r = segqc('compare', join(tmp, 'a.nii'), join(tmp, 'b_spacing.nii'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/geometry\.mismatch.*spacing reference \(1, 1, 2\) vs candidate \(1, 1, 3\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(segqc('compare', join(tmp, 'a.nii'), join(tmp, 'b_spacing.nii'), '--ignore-geometry').code).toBe(0);
    const s = segqc('compare', join(tmp, 'a.nii'), join(tmp, 'c_shape.nii'), '--ignore-geometry');
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/shape reference \(8, 8, 4\) vs candidate \(8, 8, 2\)/);
  });

  it('exits 2 with the file and the problem for unreadable input and usage errors, never a stack trace', () => {
    const t = segqc('compare', join(tmp, 'a.nii'), join(tmp, 'trunc.nii.gz'));
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/format\.truncated\] .*trunc\.nii\.gz: /);
    const missing = segqc('compare', join(tmp, 'a.nii'), join(tmp, 'nope.nii'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.nii.*cannot be read \(ENOENT\)/);
    const usage = segqc('compare', join(tmp, 'a.nii'));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/compare takes two files/);
    const big = segqc('compare', join(tmp, 'a.nii'), join(tmp, 'a.nii'), '--max-voxels', '100');
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/format\.too_large/);
    for (const r of [t, missing, usage, big]) expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(segqc('--help').stdout).toMatch(/segqc compare <reference> <candidate>/);
  });
  it('label names from the files are neutralized in the table', () => {
    const name = 'Liver\u202Egpj.exe\nforged 1 1 1';
    const task = [{ id: 1, data: { image: 'x.png' }, annotations: [{ id: 11, completed_by: 1, result: [{ id: 'r1', type: 'rectanglelabels', from_name: 'tag', to_name: 'image', original_width: 10, original_height: 10, image_rotation: 0, value: { x: 0, y: 0, width: 50, height: 50, rotation: 0, rectanglelabels: [name] } }] }] }];
    const f = join(tmp, 'ls\u202Ename.json');
    writeFileSync(f, JSON.stringify(task));
    const r = segqc('compare', f, f);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    const rows = r.stdout.split('\n').filter((l) => l.includes('Liver'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^1 Liver\\u\{202E\}gpj\.exe␊forged 1 1 1 +1 +1 +0 /);
    expect(r.stdout).toContain('ls\\u{202E}name.json');
  });
});
