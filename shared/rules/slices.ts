/** `slices.gap`: a label that must cover a run of slices without gaps. */
import type { Geometry } from '../model.js';
import { is2D } from '../model.js';
import type { GuidelineLabel } from '../guideline/types.js';
import type { FindingDraft } from './findings.js';
import { boxLocation, sliceAxis } from './location.js';
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
    const location = { ...boxLocation([i0, j0, a, i1, j1, b], geometry, { file, labels: [label.name] }), slice: a };
    out.push({
      rule: 'slices.gap',
      label: label.name,
      facts: { label: label.name, first: a, last: b, before: s[t - 1], after: s[t], axis: sliceAxis(geometry) },
      value: `${a}-${b}`,
      limit: null,
      location,
    });
  }
  return out;
}
