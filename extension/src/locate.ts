/** Which editor regions a finding is about: the regions of its label(s) that have pixels in its bounding box. */
import type { Segmentation } from '../../shared/model.js';
import type { LabelStudioRegion } from '../../shared/formats/labelstudio.js';
import type { Finding } from '../../shared/rules/types.js';
import { frameOf, pixelAt } from './strokes.js';

const norm = (s: string) => s.trim().toLowerCase();

/** The finding's label and the labels its location names (both labels of an overlap; an unknown label's own name). */
function labelsOf(f: Finding): Set<string> {
  const out = new Set<string>();
  if (f.label) out.add(norm(f.label));
  for (const l of f.location?.labels ?? []) out.add(norm(l));
  return out;
}

function hasPixelIn(data: ArrayLike<number>, width: number, height: number, bbox: NonNullable<Finding['location']>['bbox']): boolean {
  if (!bbox) return true;
  const [i0, j0, k0, i1, j1] = bbox;
  if (k0 > 0) return false;
  const frame = frameOf(data);
  for (let j = Math.max(0, j0); j <= Math.min(height - 1, j1); j++) {
    for (let i = Math.max(0, i0); i <= Math.min(width - 1, i1); i++) if (pixelAt(data, frame, width, i, j)) return true;
  }
  return false;
}

/** Export ids of the regions a finding points at; empty when it is about no region (a missing label). */
export function regionsOfFinding(f: Finding, regions: LabelStudioRegion[], seg: Segmentation | null): string[] {
  const labels = labelsOf(f);
  const candidates = regions.filter((r) => labels.has(norm(r.label)));
  if (candidates.length <= 1 || !seg || !f.location?.bbox) return candidates.map((r) => r.id);
  const [w, h] = seg.geometry.shape;
  const inBox = candidates.filter((r) => hasPixelIn(seg.layers[r.layer].data, w, h, f.location?.bbox));
  return (inBox.length > 0 ? inBox : candidates).map((r) => r.id);
}
