/** `volume.below_min` / `volume.above_max`: the label's total volume (area in 2D) against the guideline's limits. */
import type { Geometry } from '../model.js';
import type { GuidelineLabel } from '../guideline/types.js';
import type { FindingDraft } from './findings.js';
import { size, sizeUnits, voxelSize } from './findings.js';
import type { LabelShape } from './shape.js';

/** Checks a drawn label's total size; skipped when the spacing is unknown (sizes would be pixels, limits are mm). */
export function volumeRules(label: GuidelineLabel, shape: LabelShape, geometry: Geometry): FindingDraft[] {
  if (!geometry.spacingKnown || shape.voxels === 0) return [];
  const units = sizeUnits(geometry);
  const v = shape.voxels * voxelSize(geometry);
  const what = units === 'mm2' ? 'area' : 'volume';
  const location = shape.bbox ? { bbox: shape.bbox } : null;
  if (label.min_volume_mm3 !== undefined && v < label.min_volume_mm3) {
    return [
      {
        rule: 'volume.below_min',
        label: label.name,
        message: `${label.name} ${what} is ${size(v, units)}, below the guideline's minimum of ${size(label.min_volume_mm3, units)}`,
        value: v,
        limit: label.min_volume_mm3,
        location,
      },
    ];
  }
  if (label.max_volume_mm3 !== undefined && v > label.max_volume_mm3) {
    return [
      {
        rule: 'volume.above_max',
        label: label.name,
        message: `${label.name} ${what} is ${size(v, units)}, above the guideline's maximum of ${size(label.max_volume_mm3, units)}`,
        value: v,
        limit: label.max_volume_mm3,
        location,
      },
    ];
  }
  return [];
}
