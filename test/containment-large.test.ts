/**
 * Containment on 2D images large enough that a column's distances take only some of the container's rows (those a
 * sampled bound allows) and that growing the container changes only part of a row: against an exhaustive search over
 * the envelope's edge pixels, measured whole and edit by edit.
 */
import { describe, expect, test } from 'vitest';
import { axisGeometry, type Vec3 } from '../shared/model.js';
import { outsideEnvelope } from '../shared/rules/containment.js';
import { fillHoles } from '../shared/rules/envelope.js';
import { recordEdit } from '../shared/rules/mask-edits.js';
import { prng } from './fuzz/prng.js';
import { trackedPair } from './tracked-masks.js';

const rng = (seed: number) => prng(seed).next;

/** Every inner pixel outside the envelope against every envelope pixel with a face neighbour outside it. */
function bruteForce(inner: Uint8Array, outer: Uint8Array, sh: Vec3, spacing: Vec3, tol: number) {
  const [nx, ny] = sh;
  const env = outer.slice();
  fillHoles(env, sh);
  const edge: number[] = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      if (env[j * nx + i] !== 1) continue;
      const open = (i > 0 && env[j * nx + i - 1] !== 1) || (i < nx - 1 && env[j * nx + i + 1] !== 1) || (j > 0 && env[(j - 1) * nx + i] !== 1) || (j < ny - 1 && env[(j + 1) * nx + i] !== 1);
      if (open) edge.push(i, j);
    }
  }
  let voxels = 0;
  let farthest = 0;
  for (let x = 0; x < inner.length; x++) {
    if (inner[x] !== 2 || env[x] === 1) continue;
    const i = x % nx, j = Math.floor(x / nx);
    let best = Infinity;
    for (let t = 0; t < edge.length; t += 2) best = Math.min(best, ((edge[t] - i) * spacing[0]) ** 2 + ((edge[t + 1] - j) * spacing[1]) ** 2);
    if (best <= tol * tol * (1 + 1e-9)) continue;
    voxels++;
    farthest = Math.max(farthest, best);
  }
  return { voxels, farthest: Math.sqrt(farthest) };
}

describe('containment distances on a large 2D image', () => {
  test.each([1, 2, 3])('case %i: a large disc with a hole, grown past its edge and cut, and strokes far out and along it', (seed) => {
    const rnd = rng(seed * 6151);
    const sh: Vec3 = [300 + seed * 11, 240 + seed * 7, 1];
    const [nx, ny] = sh;
    const spacing: Vec3 = [0.4 + rnd(), 0.4 + rnd(), 1];
    const g = { ...axisGeometry(sh, spacing), spacingKnown: true };
    const { edits, memo, outerBuf, innerBuf } = trackedPair(nx * ny);
    const [cx, cy, r] = [110 + Math.floor(rnd() * 30), 100 + Math.floor(rnd() * 20), 70 + Math.floor(rnd() * 15)];
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const d2 = (i - cx) ** 2 + (j - cy) ** 2;
        if (d2 <= r * r && d2 > 100) outerBuf[j * nx + i] = 1;
      }
    }
    let outer = outerBuf.subarray(0), inner = innerBuf.subarray(0);
    outsideEnvelope({ data: inner, value: 2 }, { data: outer, value: 1 }, g, 1, undefined, memo, edits);
    let checked = 0;
    for (let step = 0; step < 24; step++) {
      // The container grown past its edge or cut near it (every third step), else an inner box far out, near the
      // edge, or erased.
      const container = step % 3 === 2;
      const t = rnd() * 2 * Math.PI;
      const far = !container && rnd() < 0.5;
      const reach = far ? r + 20 + rnd() * 80 : r - 6 + rnd() * 16;
      const i0 = Math.max(0, Math.min(nx - 1, Math.round(cx + reach * Math.cos(t)))), j0 = Math.max(0, Math.min(ny - 1, Math.round(cy + reach * Math.sin(t))));
      const b: [number, number, number, number] = [i0, j0, Math.min(nx - 1, i0 + 4 + Math.floor(rnd() * 14)), Math.min(ny - 1, j0 + 3 + Math.floor(rnd() * 10))];
      const buf = container ? outerBuf : innerBuf;
      const v = (container ? 1 : 2) * (rnd() < 0.75 ? 1 : 0);
      for (let j = b[1]; j <= b[3]; j++) for (let i = b[0]; i <= b[2]; i++) buf[j * nx + i] = v;
      const next = buf.subarray(0);
      recordEdit(edits, container ? outer : inner, next, b);
      if (container) outer = next;
      else inner = next;
      for (const tol of [0, 2.5]) {
        const want = bruteForce(inner, outer, sh, spacing, tol);
        const whole = outsideEnvelope({ data: inner.slice(), value: 2 }, { data: outer.slice(), value: 1 }, g, tol);
        const edited = outsideEnvelope({ data: inner, value: 2 }, { data: outer, value: 1 }, g, tol, undefined, memo, edits);
        expect(whole.voxels, `step ${step} tolerance ${tol}`).toBe(want.voxels);
        expect(whole.farthest).toBeCloseTo(want.farthest, 9);
        expect(edited, `step ${step} tolerance ${tol}`).toEqual(whole);
        if (want.voxels > 0 && want.farthest > 20) checked++;
      }
    }
    // Pixels far out were measured (where the bound leaves out most of the disc's rows).
    expect(checked).toBeGreaterThan(10);
  });
});
