import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const segqc = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('segqc guideline', () => {
  it('validate: a valid guideline prints its id, version and sha256 and exits 0', () => {
    const r = segqc('guideline', 'validate', 'guidelines/examples/liver-ct.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/liver-ct 1\.2\.0, 2 labels, 3 checklist items, sha256 [0-9a-f]{64}/);
  });

  it('validate: counts read as words (1 label, 0 checklist items)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segqc-gl-'));
    writeFileSync(join(dir, 'g.yaml'), 'schema_version: 1\nid: one\nversion: 1.0.0\ntitle: t\nlabels:\n  - name: Lesion\n    value: 1\n');
    const r = segqc('guideline', 'validate', join(dir, 'g.yaml'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: valid — one 1\.0\.0, 1 label, 0 checklist items, sha256 [0-9a-f]{64}\n$/);
  });

  it('validate and check: a key with a newline and a right-to-left override cannot forge lines or reorder text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segqc-gl-'));
    const guideline = 'schema_version: 1\nid: x\nversion: 1.0.0\ntitle: t\nlabels:\n  - name: L\n    value: 1\n"bad\\u202Ekey\\nforged line": 1\n';
    writeFileSync(join(dir, 'g.yaml'), guideline);
    writeFileSync(join(dir, 'segqc.yaml'), 'guideline: g.yaml\nsources:\n  - {format: png, path: "m/*.png"}\n');
    const shown = "unknown field 'bad\\u{202E}key␊forged line' in the guideline";
    const validate = segqc('guideline', 'validate', join(dir, 'g.yaml'));
    expect(validate.code).toBe(2);
    const check = segqc('check', dir);
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/^segqc check: error \[guideline\.invalid\] /);
    for (const out of [validate.stderr, check.stderr]) {
      expect(out).toContain(shown);
      expect(out).not.toMatch(/\u202E|^forged/m);
      expect(out.split('\n').filter((l) => l.includes('forged'))).toHaveLength(1);
    }
  });

  it('validate: every problem with file:line:column and a suggestion, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segqc-gl-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'schema_version: 1\nid: x\nversion: 1.0\ntitle: t\nlabels:\n  - name: A\n    value: 1\n    colour: "#fff"\n');
    const r = segqc('guideline', 'validate', f);
    expect(r.code).toBe(2);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/bad\.yaml:3:10: version must be a semantic version/);
    expect(out).toMatch(/bad\.yaml:8:5: unknown field 'colour'.*did you mean color\?/);
    expect(out).not.toMatch(/\n\s+at /);
  });

  it('labelconfig: a Label Studio config that enforces the checklist natively', () => {
    const r = segqc('guideline', 'labelconfig', 'guidelines/examples/pathology-nuclei.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^<View>/);
    expect(r.stdout).toContain('<Label value="Tumour region" background="#e6194b"/>');
    expect(r.stdout).toMatch(/<Choices name="segqc_checklist_whole_tile_reviewed"[^>]*required="true"/);
    expect(r.stdout).toMatch(/<TextArea name="segqc_attestation"/);
  });
});
