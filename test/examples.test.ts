import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import reportSchema from '../guidelines/report.schema.json';
import { expectNoInternalError } from './no-internal.js';

const root = join(__dirname, '..');
const examples = join(root, 'examples');

function segqc(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const listFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? listFiles(join(dir, n)) : [join(dir, n)]));

let tmp: string;
const validateReport = new Ajv2020({ allErrors: true, strict: false }).compile(reportSchema);

function runCheck(dataset: string, extra: string[] = []) {
  const json = join(tmp, `${dataset.replace(/\W/g, '_')}-${Math.random().toString(36).slice(2)}.json`);
  const md = json.replace(/\.json$/, '.md');
  const r = segqc(['check', dataset, '--json', json, '--markdown', md, ...extra]);
  const report = r.code === 0 || r.code === 1 ? JSON.parse(readFileSync(json, 'utf8')) : null;
  expectNoInternalError(report, r.stderr);
  return { ...r, report, markdown: report ? readFileSync(md, 'utf8') : '' };
}

const findingKeys = (report: any) =>
  report.items.flatMap((it: any) => it.findings.map((f: any) => `${it.id} ${f.severity} ${f.rule} ${f.label ?? '-'} ${f.annotator ?? '-'}`)).sort();

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'segqc-examples-'));
});

describe('bundled examples', () => {
  it('are what scripts/make-examples.ts generates (deterministic, up to date)', () => {
    const out = join(tmp, 'regen');
    const r = spawnSync(process.execPath, [join(root, 'scripts/run-ts.mjs'), join(root, 'scripts/make-examples.ts')], {
      env: { ...process.env, SEGQC_EXAMPLES_OUT: out },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const committed = listFiles(examples).map((f) => relative(examples, f)).sort();
    expect(listFiles(out).map((f) => relative(out, f)).sort()).toEqual(committed);
    for (const f of committed) expect(readFileSync(join(out, f)).equals(readFileSync(join(examples, f))), f).toBe(true);
  });

  it('liver-ct: exactly the deliberate findings, a valid JSON report, exit 1', () => {
    const r = runCheck('examples/liver-ct');
    expect(r.code, r.stderr).toBe(1);
    expect(validateReport(r.report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(findingKeys(r.report)).toEqual([
      'ct_002 error containment.outside Liver tumour rater1',
      'ct_002 warning components.too_many Liver rater1',
      'ct_003 error attestation.missing - rater1',
      'ct_003 error checklist.missing - rater1',
      'ct_003 error volume.below_min Liver rater1',
      'ct_003 warning components.too_many Liver rater1',
      'ct_003 warning slices.gap Liver rater1',
      'ct_004 error dataset.missing_annotation - -',
      'ct_005 error geometry.mismatch - rater2',
      'ct_005 warning attestation.stale_guideline - rater2',
    ]);
    const t = r.report.totals;
    expect([t.items, t.annotations, t.errors, t.warnings, t.items_without_annotations]).toEqual([5, 5, 6, 4, 1]);
    expect(r.report.verdict).toBe('fail');
    // Two raters on ct_001 agree within the guideline's thresholds.
    const agree = r.report.items.find((i: any) => i.id === 'ct_001').agreement;
    expect(agree.map((a: any) => a.label).sort()).toEqual(['Liver', 'Liver tumour']);
    for (const a of agree) expect(a.dice).toBeGreaterThan(0.9);
    // 10 % audit rate over 5 items: one item, the same on every run.
    expect(r.report.audit_sample).toHaveLength(1);
    expect(runCheck('examples/liver-ct').report.audit_sample).toEqual(r.report.audit_sample);
    // Sizes in physical units: the stray island is 2,274 mm³ (58 voxels of 2.8 x 2.8 x 5 mm).
    const island = r.report.items.find((i: any) => i.id === 'ct_002').findings.find((f: any) => f.rule === 'components.too_many');
    expect(island.message).toMatch(/2,274 mm³ at slices 19–21/);
    expect(r.markdown).toContain('containment.outside');
    expect(r.stdout).toMatch(/6 errors, 4 warnings — gate \(fail on error\): FAIL/);
  });

  it('liver-ct-review: one item accepted, one rejected with two reasons, one pending at peer and, as the audit sample, at senior review', () => {
    const r = runCheck('examples/liver-ct-review');
    expect(r.code, r.stderr).toBe(1);
    expect(validateReport(r.report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(findingKeys(r.report)).toEqual([
      'ct_002 error review.rejected - rater1',
      'ct_003 error review.pending - rater1',
      'ct_003 error review.pending - rater1',
    ]);
    expect(r.report.audit_sample).toEqual(['ct_003']);
    const status = (id: string) => r.report.items.find((i: any) => i.id === id).reviews.map((s: any) => `${s.stage} ${s.status}`);
    expect([status('ct_001'), status('ct_002'), status('ct_003')]).toEqual([['peer accepted'], ['peer rejected'], ['peer pending', 'senior pending']]);
    const rejected = r.report.items.find((i: any) => i.id === 'ct_002').findings[0];
    expect(rejected.message).toMatch(/by rater2@hospital\.example .*Boundary includes adjacent structures; A lesion is not segmented/);
    expect(r.report.review.stages.map((s: any) => [s.id, s.items_covered, s.items_reviewed, s.items_accepted, s.items_rejected, s.items_pending])).toEqual([
      ['peer', 3, 2, 1, 1, 1],
      ['senior', 1, 0, 0, 0, 1],
    ]);
    expect(r.report.annotators[0].open_rejections.map((o: any) => [o.item, o.reasons])).toEqual([['ct_002', ['boundary_loose', 'missed_lesion']]]);
    expect(r.stdout).toContain('audit sample at stage senior: ct_003 pending');
    expect(r.markdown).toContain('### Review');
    expect(r.markdown).toContain('Open rejections per annotator (1)');
  });

  it('pathology (Label Studio): exactly the deliberate findings, areas in mm² from the task spacing field', () => {
    const r = runCheck('examples/pathology');
    expect(r.code, r.stderr).toBe(1);
    expect(validateReport(r.report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(findingKeys(r.report)).toEqual([
      'tile_002 error containment.outside Tumour nucleus ana@lab.example',
      'tile_002 error dataset.missing_annotation - -',
      'tile_002 error overlap.forbidden Tumour region ana@lab.example',
      'tile_003 error checklist.incomplete - ben@lab.example',
      'tile_003 error dataset.missing_annotation - -',
      'tile_003 error label.unknown Necrosis ben@lab.example',
    ]);
    // review.min_annotations is 2: the two single-annotator tiles are short of one, not without annotations.
    expect(r.report.totals.items_without_annotations).toBe(0);
    const short = r.report.items.find((i: any) => i.id === 'tile_002').findings.find((f: any) => f.rule === 'dataset.missing_annotation');
    expect([short.value, short.limit]).toEqual([1, 2]);
    const tile1 = r.report.items.find((i: any) => i.id === 'tile_001');
    const region = tile1.annotations[0].labels.find((l: any) => l.label === 'Tumour region');
    expect(region.units).toBe('mm2');
    // A disc of radius 80 px at 0.0005 mm/px: π·80²·0.0005² ≈ 0.005027 mm².
    expect(Math.abs(region.volume - Math.PI * 80 * 80 * 0.0005 ** 2) / region.volume).toBeLessThan(0.01);
    expect(r.report.brush_alpha_threshold).toBe(128);
    expect(r.report.annotators.map((a: any) => a.annotator)).toEqual(['ana@lab.example', 'ben@lab.example']);
  });

  it('--fail-on never --override-config passes the gate; --quiet prints the verdict line only', () => {
    const r = segqc(['check', 'examples/pathology', '--fail-on', 'never', '--override-config', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/gate \(fail on never\): PASS/);
  });

  it('a corrupt mask is a format.unreadable finding on its item, and the run goes on', () => {
    const ds = join(tmp, 'corrupt');
    cpSync(join(examples, 'liver-ct'), ds, { recursive: true });
    const good = readFileSync(join(ds, 'labels/rater1/ct_002.nii.gz'));
    writeFileSync(join(ds, 'labels/rater1/ct_002.nii.gz'), good.subarray(0, good.length >> 1));
    const r = runCheck(ds);
    expect(r.code, r.stderr).toBe(1);
    const f = r.report.items.find((i: any) => i.id === 'ct_002').findings;
    expect(f.map((x: any) => x.rule)).toEqual(['format.unreadable']);
    expect(f[0].message).toMatch(/labels\/rater1\/ct_002\.nii\.gz cannot be read: .*truncated/);
    expect(r.report.items).toHaveLength(5);
  });

  it('names, markup and paths from the dataset are escaped in Markdown', () => {
    const ds = join(tmp, 'escape');
    cpSync(join(examples, 'pathology'), ds, { recursive: true });
    const p = join(ds, 'exports/project-3.json');
    writeFileSync(p, readFileSync(p, 'utf8').replace(/"Necrosis"/g, '"<img src=x onerror=alert(1)> | **bold**"'));
    const r = runCheck(ds);
    expect(r.code, r.stderr).toBe(1);
    expect(r.markdown).not.toContain('<img src=x');
    expect(r.markdown).toContain('&lt;img src=x onerror=alert');
    expect(r.markdown).not.toMatch(/[^\\]\*\*bold/);
  });

  it('a bad segqc.yaml exits 2 with the file, line and what is wrong', () => {
    const ds = join(tmp, 'badcfg');
    cpSync(join(examples, 'pathology'), ds, { recursive: true });
    writeFileSync(join(ds, 'segqc.yaml'), 'guideline: guideline.yaml\nsources:\n  - format: tiff\n    path: "*.tif"\n');
    const r = segqc(['check', ds]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/segqc\.yaml.*3:/);
    expect(r.stderr).toMatch(/labelstudio, nifti, dicom-seg or png/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
