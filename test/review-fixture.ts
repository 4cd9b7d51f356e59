/**
 * A small abdominal CT dataset in a git repository, for the review page: a synthetic CT (air, fat, soft tissue, a
 * brighter liver on the patient's right, a vertebra) at 2×2×5 mm, two raters' liver and tumour label maps, and a
 * head commit in which rater1 trims the liver's dome and draws the tumour out of the liver (a planted
 * `containment.outside`) while rater2 leaves a stray island.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Geometry } from '../shared/model.js';
import { axisGeometry } from '../shared/model.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';

export const GRID: Geometry = axisGeometry([160, 128, 24], [2, 2, 5], [-160, -128, -60]);
const [NX, NY, NZ] = GRID.shape;

/** A deterministic pseudo-random number in [0, 1) for a voxel. */
const noise = (x: number) => {
  const s = Math.sin(x * 12.9898) * 43758.5453;
  return s - Math.floor(s);
};

/** Millimetres of voxel (i, j, k) from the grid's first voxel. */
const mm = (i: number, j: number, k: number) => [i * 2, j * 2, k * 5];

const inEllipse = (p: number[], c: number[], r: number[]) => p.reduce((s, x, a) => s + ((x - c[a]) / r[a]) ** 2, 0) <= 1;

// In LPS with an identity direction, i grows toward the patient's left: the liver (patient right) has small i.
const LIVER_C = [110, 110, 55], LIVER_R = [70, 55, 50];
const BODY_C = [160, 128], BODY_R = [150, 105];

/** The CT in Hounsfield units. */
export function ctImage(): Int16Array {
  const out = new Int16Array(NX * NY * NZ);
  for (let k = 0; k < NZ; k++)
    for (let j = 0; j < NY; j++)
      for (let i = 0; i < NX; i++) {
        const p = mm(i, j, k);
        const x = i + NX * (j + NY * k);
        const body = ((p[0] - BODY_C[0]) / BODY_R[0]) ** 2 + ((p[1] - BODY_C[1]) / BODY_R[1]) ** 2;
        let hu = -1000;
        if (body <= 1) hu = body > 0.8 ? -100 : 35;
        if (inEllipse(p, LIVER_C, LIVER_R) && body <= 0.8) hu = 62;
        if (inEllipse(p, [95, 120, 60], [12, 12, 12])) hu = 25;
        if (inEllipse([p[0], p[1]], [160, 200], [18, 16])) hu = 650;
        if (inEllipse([p[0], p[1]], [160, 200], [10, 9])) hu = 250;
        if (inEllipse(p, [215, 150, 55], [20, 25, 40])) hu = 160;
        out[x] = hu + Math.round((noise(x) - 0.5) * 30);
      }
  return out;
}

/** A rater's label map: the liver (1) between slices [kLow, kHigh) and a tumour (2) ball, optionally an island. */
function labels(o: { kHigh: number; liverDx: number; tumour: { c: number[]; r: number }; island?: boolean }): Uint8Array {
  const out = new Uint8Array(NX * NY * NZ);
  for (let k = 0; k < NZ; k++)
    for (let j = 0; j < NY; j++)
      for (let i = 0; i < NX; i++) {
        const p = mm(i, j, k);
        const x = i + NX * (j + NY * k);
        if (k < o.kHigh && inEllipse(p, [LIVER_C[0] + o.liverDx, LIVER_C[1], LIVER_C[2]], LIVER_R)) out[x] = 1;
        if (inEllipse(p, o.tumour.c, [o.tumour.r, o.tumour.r, o.tumour.r])) out[x] = 2;
        if (o.island && inEllipse(p, [230, 90, 60], [8, 8, 6])) out[x] = 1;
      }
  return out;
}

export const GUIDELINE = `schema_version: 1
id: liver-review
version: 1.0.0
title: Liver and tumour, contrast CT
modalities: [CT]
labels:
  - name: Liver
    value: 1
    color: "#d2691e"
    required: true
    max_components: 1
  - name: Liver tumour
    value: 2
    color: "#ff2d2d"
    inside: { label: Liver, tolerance_mm: 2 }
agreement:
  - label: Liver
    dice_min: 0.9
    nsd_min: 0.85
    tolerance_mm: 2
`;

export const CONFIG = `guideline: guideline.yaml
sources:
  - format: nifti
    path: labels/*/*.nii.gz
    images: images/{id}.nii.gz
    annotator: "{dir}"
gate:
  fail-on: error
`;

const nifti = (data: Uint8Array | Int16Array) => encodeNifti({ geometry: GRID, data }, { gzip: true });

function write(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}

/** Creates the repository in `dir` (base commit, then head commit); returns their SHAs. */
export function makeReviewRepo(dir: string, extraConfig = ''): { base: string; head: string } {
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=t@x', '-c', 'user.name=t', ...a], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  mkdirSync(dir, { recursive: true });
  const tumour = { c: [100, 110, 55], r: 12 };
  write(dir, {
    'guideline.yaml': GUIDELINE,
    'segqc.yaml': CONFIG + extraConfig,
    'images/abd_001.nii.gz': nifti(ctImage()),
    'labels/rater1/abd_001.nii.gz': nifti(labels({ kHigh: NZ, liverDx: 0, tumour })),
    'labels/rater2/abd_001.nii.gz': nifti(labels({ kHigh: NZ, liverDx: 2, tumour })),
  });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'base');
  const base = git('rev-parse', 'HEAD');
  write(dir, {
    // The dome trimmed (slices 16 and up), the tumour moved to the liver's edge: part of it lies outside.
    'labels/rater1/abd_001.nii.gz': nifti(labels({ kHigh: 16, liverDx: 0, tumour: { c: [60, 150, 45], r: 14 } })),
    'labels/rater2/abd_001.nii.gz': nifti(labels({ kHigh: NZ, liverDx: 2, tumour, island: true })),
  });
  git('add', '-A');
  git('commit', '-qm', 'head: rater1 trims the dome and moves the tumour');
  return { base, head: git('rev-parse', 'HEAD') };
}
