/** `components.too_many` and `component.too_small`: how many pieces a label is in, and how small each may be. */
import type { Geometry } from '../model.js';
import type { GuidelineLabel } from '../guideline/types.js';
import { sizeOf, sizeUnits } from '../metrics/size.js';
import type { FindingDraft } from './findings.js';
import { boxLocation } from './location.js';
import type { LabelShape } from './shape.js';

/** Pieces besides the allowed ones that a `components.too_many` message lists. */
const LISTED = 5;

/** Checks the number of connected components and the size of each (one finding per small component). */
export function componentRules(label: GuidelineLabel, shape: LabelShape, geometry: Geometry, file?: string): FindingDraft[] {
  const out: FindingDraft[] = [];
  const units = sizeUnits(geometry);
  const n = shape.components.length;
  const labels = [label.name];
  const at = (rank: number) => boxLocation(shape.components[rank].bbox, geometry, { file, labels, component: rank + 1 });
  if (label.max_components !== undefined && n > label.max_components) {
    const first = label.max_components;
    const listed = shape.components.slice(first, first + LISTED);
    out.push({
      rule: 'components.too_many',
      label: label.name,
      facts: {
        label: label.name,
        count: n,
        allowed: label.max_components,
        units,
        largest: sizeOf(shape.components[0].voxels, geometry),
        others: listed.map((c, t) => ({ size: sizeOf(c.voxels, geometry), location: at(first + t) })),
        more: n - first - listed.length,
      },
      value: n,
      limit: label.max_components,
      location: at(first),
    });
  }
  const min = label.min_component_volume_mm3;
  if (min !== undefined && geometry.spacingKnown) {
    shape.components.forEach((c, rank) => {
      const v = sizeOf(c.voxels, geometry);
      if (v >= min) return;
      const location = at(rank);
      out.push({ rule: 'component.too_small', label: label.name, facts: { label: label.name, size: v, min, units, location }, value: v, limit: min, location });
    });
  }
  return out;
}
