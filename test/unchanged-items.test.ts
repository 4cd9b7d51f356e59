/**
 * `segqc diff --full` checks an item the pull request leaves byte for byte alone once, not once per side: the head's
 * report and masks are the base's. The analysis is the same as checking both sides, and the head's files of those
 * items are never read.
 */
import { describe, expect, it } from 'vitest';
import { loadDatasetContext } from '../shared/dataset/context.js';
import { analyzePullRequest, type ChangedFile } from '../shared/dataset/pull-request.js';
import type { DatasetTree } from '../shared/dataset/tree.js';
import { labelDiffs, type SideMasks } from '../shared/report/diff.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { readNifti } from '../shared/formats/nifti.js';
import { axisGeometry, type Geometry } from '../shared/model.js';
import { MemoryGitRepository } from './memory-git.js';

const GRID = axisGeometry([16, 14, 6], [1, 1, 2]);

/** An organ box (label 1) with a lesion (label 2) inside, shifted by `dx` voxels; `island` adds a stray voxel of 1. */
function mask(dx: number, island = false, g: Geometry = GRID): Uint8Array {
  const [nx, ny, nz] = g.shape;
  const data = new Uint8Array(nx * ny * nz);
  for (let k = 1; k < Math.min(nz, 5); k++) for (let j = 2; j < 10; j++) for (let i = 2 + dx; i < 10 + dx; i++) data[i + nx * (j + ny * k)] = 1;
  data[5 + dx + nx * (5 + ny * Math.min(2, nz - 1))] = 2;
  data[6 + dx + nx * (5 + ny * Math.min(2, nz - 1))] = 2;
  if (island) data[nx - 1 + nx * (ny - 1 + ny * (nz - 1))] = 1;
  return encodeNifti({ geometry: g, data }, { gzip: true });
}

const GUIDELINE = `schema_version: 1
id: organ
version: 1.0.0
title: Organ and lesion
labels:
  - name: Organ
    value: 1
    required: true
    max_components: 1
  - name: Lesion
    value: 2
    inside: { label: Organ, tolerance_mm: 1 }
agreement:
  - label: Organ
    dice_min: 0.95
`;
const CONFIG = `guideline: guideline.yaml
sources:
  - format: nifti
    path: labels/*/*.nii.gz
    annotator: "{dir}"
`;

const IDS = ['case01', 'case02', 'case03', 'case04', 'case05'];

/** A repository with two raters per case on main, and a PR that changes case02's rater2 and adds an attestation to case04. */
function repository() {
  const repo = new MemoryGitRepository();
  const files: Record<string, string | Uint8Array> = { 'segqc.yaml': CONFIG, 'guideline.yaml': GUIDELINE };
  IDS.forEach((id, n) => {
    files[`labels/rater1/${id}.nii.gz`] = mask(0);
    files[`labels/rater2/${id}.nii.gz`] = mask(n % 2, n === 3);
  });
  const baseSha = repo.commit(files);
  const headSha = repo.commit(
    {
      'labels/rater2/case02.nii.gz': mask(2, true),
      'labels/rater1/case04.segqc.json': JSON.stringify({ annotator: 'rater1', guideline: { id: 'organ', version: '1.0.0' }, checklist: {} }),
    },
    { branch: 'pr', parent: baseSha },
  );
  return { repo, baseSha, headSha };
}

/** A tree that does not know its files' object ids (a working directory, or an adapter without them). */
const withoutIds = (t: DatasetTree): DatasetTree => ({ name: t.name, list: () => t.list(), read: (p) => t.read(p), directories: t.directories && (() => t.directories!()) });

function analyze(repo: MemoryGitRepository, baseSha: string, headSha: string, ids: boolean, wrap: (t: DatasetTree) => DatasetTree = (t) => t) {
  const base = wrap(repo.commitTree(baseSha, ''));
  const head = wrap(repo.commitTree(headSha, ''));
  const changed: ChangedFile[] = repo.changedFiles(baseSha, headSha, '');
  return analyzePullRequest({
    base: ids ? base : withoutIds(base),
    head: ids ? head : withoutIds(head),
    baseSha,
    headSha,
    changed,
    context: loadDatasetContext(base, 'segqc.yaml'),
    failOn: 'error',
    full: true,
    shard: null,
    toolVersion: '0.0.0-test',
  });
}

describe('diff --full on items the PR leaves alone', () => {
  it('gives the analysis of checking both sides, reading the head only for the items the PR touches', () => {
    const { repo, baseSha, headSha } = repository();
    const both = analyze(repo, baseSha, headSha, false);
    const headReadsBoth = repo.reads.filter((r) => r.startsWith(headSha.slice(0, 7))).length;
    repo.reads.length = 0;
    const once = analyze(repo, baseSha, headSha, true);
    expect(JSON.stringify(once)).toBe(JSON.stringify(both));
    // Every item is in the diff; the three untouched ones are marked unchanged, and case02's rater2 mask changed.
    expect(once.diff.items.map((d) => [d.id, d.unchanged === true])).toEqual([
      ['case01', true],
      ['case02', false],
      ['case03', true],
      ['case04', false],
      ['case05', true],
    ]);
    expect(once.report.totals.items).toBe(5);
    expect(once.diff.items[1].labels.some((l) => l.dice !== null && l.dice < 1)).toBe(true);
    // Checking both sides read all ten masks of the head and case04's new sidecar; checking unchanged items once reads
    // the head's files of case02 and case04 only.
    expect(headReadsBoth).toBe(11);
    const headReads = repo.reads.filter((r) => r.startsWith(headSha.slice(0, 7))).map((r) => r.slice(8)).sort();
    expect(headReads).toEqual(['labels/rater1/case02.nii.gz', 'labels/rater1/case04.nii.gz', 'labels/rater1/case04.segqc.json', 'labels/rater2/case02.nii.gz', 'labels/rater2/case04.nii.gz']);
    expect(repo.reads.filter((r) => r.startsWith(baseSha.slice(0, 7)) && r.endsWith('.nii.gz')).length).toBe(10);
  });

  it('checks the head again when the base report names the base commit (a file git could not give)', () => {
    const { repo, baseSha, headSha } = repository();
    // case03's rater1 mask cannot be read on either side: its finding says from which commit.
    const failing = (t: DatasetTree): DatasetTree => ({
      ...t,
      objectId: t.objectId?.bind(t),
      read: (p) => {
        if (p === 'labels/rater1/case03.nii.gz') throw new Error('object store unavailable');
        return t.read(p);
      },
    });
    const a = analyze(repo, baseSha, headSha, true, failing);
    const base = a.baseReport.items.find((r) => r.id === 'case03')!;
    const head = a.report.items.find((r) => r.id === 'case03')!;
    expect(JSON.stringify(base)).toContain(`commit ${baseSha.slice(0, 7)}`);
    expect(JSON.stringify(head)).toContain(`commit ${headSha.slice(0, 7)}`);
    expect(JSON.stringify(head)).not.toContain(`commit ${baseSha.slice(0, 7)}`);
  });
});

describe('labelDiffs of a mask with itself', () => {
  it('are what comparing it with an identical copy gives, at any tolerance, in 3D and 2D', () => {
    const flat = axisGeometry([16, 14, 1], [0.5, 0.5, 1]);
    for (const [g, bytes] of [[GRID, mask(1, true)], [flat, mask(0, true, flat)]] as const) {
      const seg = readNifti(bytes, 'm.nii.gz');
      const copy = readNifti(bytes, 'm.nii.gz');
      const side = (s: typeof seg): SideMasks => new Map([['m.nii.gz', s]]);
      for (const tol of [0, 0.5, 2]) {
        const self = labelDiffs(side(seg), side(seg), tol);
        expect(self).toEqual(labelDiffs(side(seg), side(copy), tol));
        expect(self.map((l) => [l.dice, l.nsd, l.hd95])).toEqual([
          [1, 1, 0],
          [1, 1, 0],
        ]);
      }
      expect(g.shape[0]).toBe(16);
    }
  });
});
