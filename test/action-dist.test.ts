/** The committed action bundle is the build of the current sources, and action.yml declares what the action reads. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './action-runner.js';

describe('action/dist', () => {
  it('is not stale: a fresh build of action/src/main.ts is byte for byte the committed bundle', () => {
    const out = mkdtempSync(join(tmpdir(), 'segqc-dist-'));
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['index.js', 'package.json']);
    for (const f of ['index.js', 'package.json']) {
      const fresh = readFileSync(join(out, f), 'utf8');
      const committed = readFileSync(join(ROOT, 'action/dist', f), 'utf8');
      expect(fresh === committed, `action/dist/${f} is stale: run npm run build and commit action/dist`).toBe(true);
    }
  });
});

describe('action/action.yml', () => {
  const yml = parse(readFileSync(join(ROOT, 'action/action.yml'), 'utf8')) as {
    runs: { using: string; main: string };
    inputs: Record<string, { default?: string }>;
    outputs: Record<string, unknown>;
  };

  it('runs the bundle on node24', () => {
    expect(yml.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('declares the inputs and outputs of the issue, with their defaults', () => {
    const defaults = Object.fromEntries(Object.entries(yml.inputs).map(([k, v]) => [k, v.default]));
    expect(defaults).toEqual({
      config: 'segqc.yaml',
      'github-token': '${{ github.token }}',
      comment: 'true',
      'fail-on': 'error',
      'guideline-change': 'warn',
      base: '',
      head: '',
      full: 'false',
      mode: 'check',
      shard: '',
      reports: 'segqc-report',
      'review-artifact': '',
      jobs: '',
    });
    expect(Object.keys(yml.outputs).sort()).toEqual(['errors', 'html', 'report', 'verdict', 'warnings']);
  });

  it('every input is read by the action, under the name the runner gives it', () => {
    const src = readFileSync(join(ROOT, 'action/src/inputs.ts'), 'utf8');
    for (const name of Object.keys(yml.inputs)) expect(src, name).toContain(`'${name}'`);
  });
});

describe('the documented workflows', () => {
  const dir = join(ROOT, 'action/workflows');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  type Step = { uses?: string; with?: Record<string, unknown> };
  type Workflow = { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, { steps: Step[]; permissions?: Record<string, string> }> };
  const wf = (f: string) => parse(readFileSync(join(dir, f), 'utf8')) as Workflow;

  it('are in the README exactly as in action/workflows/', () => {
    for (const f of readdirSync(dir)) expect(readme, f).toContain('```yaml\n' + readFileSync(join(dir, f), 'utf8'));
  });

  it('fork-safe: the check half reads only; the comment half checks nothing out and runs only mode: comment', () => {
    const check = wf('segqc-check.yml');
    expect(Object.keys(check.on)).toEqual(['pull_request']);
    expect(check.permissions).toEqual({ contents: 'read' });
    const comment = wf('segqc-comment.yml');
    expect(Object.keys(comment.on)).toEqual(['workflow_run']);
    const steps = Object.values(comment.jobs).flatMap((j) => j.steps);
    expect(steps.some((s) => s.uses?.startsWith('actions/checkout'))).toBe(false);
    expect(steps.find((s) => s.uses?.includes('segqc/action'))?.with).toMatchObject({ mode: 'comment' });
    expect(readFileSync(join(dir, 'segqc-comment.yml'), 'utf8')).not.toContain('pull_request_target');
  });

  it('the review page: uploaded un-zipped (archive: false, so named after its file) under the name the comment links', () => {
    for (const f of ['segqc.yml', 'segqc-check.yml']) {
      const steps = Object.values(wf(f).jobs).flatMap((j) => j.steps);
      const upload = steps.find((s) => s.uses === 'actions/upload-artifact@v7');
      expect(upload?.with, f).toEqual({ path: '${{ steps.segqc.outputs.html }}', archive: false });
    }
    const linked = [wf('segqc.yml'), wf('segqc-comment.yml')].map((w) => Object.values(w.jobs).flatMap((j) => j.steps).find((s) => s.uses?.includes('segqc/action'))?.with?.['review-artifact']);
    expect(linked).toEqual(['segqc-report.html', 'segqc-report.html']);
    expect(wf('segqc-comment.yml').permissions).toMatchObject({ actions: 'read' });
  });

  it('the matrix merges every shard it runs', () => {
    const m = wf('segqc-matrix.yml');
    const shards = (m.jobs.shard as unknown as { strategy: { matrix: { shard: number[] } } }).strategy.matrix.shard;
    const shardStep = m.jobs.shard.steps.find((s) => s.uses?.includes('segqc/action'))!;
    expect(String(shardStep.with!.shard)).toBe(`\${{ matrix.shard }}/${shards.length}`);
    expect(m.jobs.merge.steps.find((s) => s.uses?.includes('segqc/action'))?.with).toMatchObject({ mode: 'merge' });
  });
});
