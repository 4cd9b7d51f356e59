/** `volume.below_min` / `volume.above_max`: the label's total volume (area in 2D) against the guideline's limits. */
import type { Geometry } from '../model.js';
import type { GuidelineLabel } from '../guideline/types.js';
import { sizeOf, sizeUnits } from '../metrics/size.js';
import type { FindingDraft } from './findings.js';
import { boxLocation } from './location.js';
import type { LabelShape } from './shape.js';

/** Checks a drawn label's total size; skipped when the spacing is unknown (sizes would be pixels, limits are mm). */
export function volumeRules(label: GuidelineLabel, shape: LabelShape, geometry: Geometry, file?: string): FindingDraft[] {
  if (!geometry.spacingKnown || shape.voxels === 0) return [];
  const units = sizeUnits(geometry);
  const v = sizeOf(shape.voxels, geometry);
  const location = shape.bbox ? boxLocation(shape.bbox, geometry, { file, labels: [label.name] }) : null;
  const check = (rule: 'volume.below_min' | 'volume.above_max', limit: number): FindingDraft[] => [
    { rule, label: label.name, facts: { label: label.name, size: v, limit, units }, value: v, limit, location },
  ];
  if (label.min_volume_mm3 !== undefined && v < label.min_volume_mm3) return check('volume.below_min', label.min_volume_mm3);
  if (label.max_volume_mm3 !== undefined && v > label.max_volume_mm3) return check('volume.above_max', label.max_volume_mm3);
  return [];
}
