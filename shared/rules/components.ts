/** `components.too_many` and `component.too_small`: how many pieces a label is in, and how small each may be. */
import type { Geometry } from '../model.js';
import type { GuidelineLabel } from '../guideline/types.js';
import type { FindingDraft } from './findings.js';
import { bboxLocation, size, sizeUnits, voxelSize, whereIs } from './findings.js';
import type { LabelShape } from './shape.js';

/** Checks the number of connected components and the size of each (one finding per small component). */
export function componentRules(label: GuidelineLabel, shape: LabelShape, geometry: Geometry, file?: string): FindingDraft[] {
  const out: FindingDraft[] = [];
  const units = sizeUnits(geometry);
  const vox = voxelSize(geometry);
  const n = shape.components.length;
  if (label.max_components !== undefined && n > label.max_components) {
    const extra = shape.components.slice(label.max_components);
    const largest = shape.components[0];
    out.push({
      rule: 'components.too_many',
      label: label.name,
      message: `${label.name} is in ${n} separate pieces; the guideline allows ${label.max_components}. Besides the largest (${size(
        largest.voxels * vox,
        units,
      )}) there ${extra.length === 1 ? 'is' : 'are'} ${extra
        .slice(0, 5)
        .map((c) => `${size(c.voxels * vox, units)} ${whereIs(c.bbox, geometry)}`)
        .join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}`,
      value: n,
      limit: label.max_components,
      location: bboxLocation(extra[0].bbox, file),
    });
  }
  const min = label.min_component_volume_mm3;
  if (min !== undefined && geometry.spacingKnown) {
    const piece = units === 'mm2' ? 'region' : 'component';
    for (const c of shape.components) {
      const v = c.voxels * vox;
      if (v >= min) continue;
      out.push({
        rule: 'component.too_small',
        label: label.name,
        message: `${label.name} ${piece} of ${size(v, units)} ${whereIs(c.bbox, geometry)} is below the guideline's minimum of ${size(min, units)}`,
        value: v,
        limit: min,
        location: bboxLocation(c.bbox, file),
      });
    }
  }
  return out;
}
