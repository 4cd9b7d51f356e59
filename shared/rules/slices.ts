/** `slices.gap`: a label that must cover a run of slices without gaps. */
import type { Geometry } from '../model.js';
import { is2D } from '../model.js';
import type { GuidelineLabel } from '../guideline/types.js';
import type { FindingDraft } from './findings.js';
import type { LabelShape } from './shape.js';

/** One finding per run of empty slices between the first and last slice of the label. */
export function sliceRules(label: GuidelineLabel, shape: LabelShape, geometry: Geometry, file?: string): FindingDraft[] {
  if (!label.contiguous_slices || is2D(geometry) || shape.slices.length < 2) return [];
  const out: FindingDraft[] = [];
  const s = shape.slices;
  const [i0, j0, , i1, j1] = shape.bbox ?? [0, 0, 0, 0, 0, 0];
  for (let t = 1; t < s.length; t++) {
    if (s[t] === s[t - 1] + 1) continue;
    const a = s[t - 1] + 1;
    const b = s[t] - 1;
    const range = a === b ? `slice ${a} is` : `slices ${a}–${b} are`;
    out.push({
      rule: 'slices.gap',
      label: label.name,
      message: `${label.name} skips slices: ${range} empty between slice ${s[t - 1]} and slice ${s[t]}; the guideline asks for contiguous slices`,
      value: `${a}-${b}`,
      limit: null,
      location: { ...(file ? { file } : {}), slice: a, bbox: [i0, j0, a, i1, j1, b] },
    });
  }
  return out;
}
