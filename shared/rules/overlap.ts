/** `overlap.forbidden`: labels declared `exclusive_with` each other share voxels (only possible across separate layers). */
import type { Geometry, Segmentation } from '../model.js';
import type { Box, MaskRef } from '../metrics/bbox.js';
import { emptyBox, extendBox } from '../metrics/bbox.js';
import { sizeOf, sizeUnits } from '../metrics/size.js';
import type { FindingDraft } from './findings.js';
import { boxLocation } from './location.js';
import { layersHolding } from './labels.js';
import type { ResolvedLabel } from './labels.js';

/** A drawn label with its mask and box, as the overlap rule needs it. */
export interface DrawnLabel {
  resolved: ResolvedLabel;
  mask: MaskRef;
  bbox: Box | null;
}

/** Voxels held by both masks, searched on the intersection of their boxes. */
export function overlapOf(a: MaskRef, ab: Box, b: MaskRef, bb: Box, geometry: Geometry): { voxels: number; bbox: Box | null } {
  const lo = [Math.max(ab[0], bb[0]), Math.max(ab[1], bb[1]), Math.max(ab[2], bb[2])];
  const hi = [Math.min(ab[3], bb[3]), Math.min(ab[4], bb[4]), Math.min(ab[5], bb[5])];
  if (lo[0] > hi[0] || lo[1] > hi[1] || lo[2] > hi[2]) return { voxels: 0, bbox: null };
  const [nx, ny] = geometry.shape;
  let voxels = 0;
  const box = emptyBox();
  for (let k = lo[2]; k <= hi[2]; k++) {
    for (let j = lo[1]; j <= hi[1]; j++) {
      const row = (k * ny + j) * nx;
      for (let i = lo[0]; i <= hi[0]; i++) {
        const x = row + i;
        if (a.data[x] !== a.value || b.data[x] !== b.value) continue;
        voxels++;
        extendBox(box, i, j, k);
      }
    }
  }
  return voxels === 0 ? { voxels, bbox: null } : { voxels, bbox: box };
}

/** One finding per pair of exclusive labels that overlap. */
export function overlapRules(seg: Segmentation, drawn: DrawnLabel[], file?: string): FindingDraft[] {
  const out: FindingDraft[] = [];
  const g = seg.geometry;
  const byName = new Map(drawn.map((d) => [d.resolved.label.name, d]));
  const done = new Set<string>();
  for (const a of drawn) {
    for (const otherName of a.resolved.label.exclusive_with ?? []) {
      const b = byName.get(otherName);
      if (!b || !a.bbox || !b.bbox) continue;
      const key = [a.resolved.label.name, otherName].sort().join('\u0000');
      if (done.has(key)) continue;
      done.add(key);
      const la = layersHolding(seg, a.resolved.values);
      const lb = layersHolding(seg, b.resolved.values);
      if (la.length === 1 && lb.length === 1 && la[0] === lb[0]) continue;
      const o = overlapOf(a.mask, a.bbox, b.mask, b.bbox, g);
      if (o.voxels === 0 || !o.bbox) continue;
      const name = a.resolved.label.name;
      const size = sizeOf(o.voxels, g);
      const location = { ...boxLocation(o.bbox, g, { file, labels: [name, otherName] }), region: `${name} / ${otherName}` };
      out.push({
        rule: 'overlap.forbidden',
        label: name,
        facts: { label: name, other: otherName, overlap: { voxels: o.voxels, size, units: sizeUnits(g) }, location },
        value: size,
        limit: 0,
        location,
      });
    }
  }
  return out;
}
