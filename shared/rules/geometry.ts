/** `geometry.mismatch`: a mask's grid against its image's, compared like numpy's allclose (rtol 1e-5, atol 1e-3 mm). */
import type { Geometry } from '../model.js';
import type { FindingDraft } from './findings.js';
import { allClose } from '../geometry.js';

const vec = (v: readonly number[]) => `(${v.map((x) => String(Number(x.toPrecision(6)))).join(', ')})`;

/** One finding per aspect (shape, spacing, origin, direction) in which the mask and the image differ. */
export function geometryRules(mask: Geometry, image: Geometry, imagePath: string, maskPath?: string): FindingDraft[] {
  const out: FindingDraft[] = [];
  const add = (aspect: 'shape' | 'spacing' | 'origin' | 'direction', m: string, i: string, unit = '') =>
    out.push({
      rule: 'geometry.mismatch',
      label: null,
      facts: { aspect, mask: m, image: i, unit, image_path: imagePath },
      value: m,
      limit: i,
      location: maskPath ? { file: maskPath } : null,
    });
  if (mask.shape.some((s, t) => s !== image.shape[t])) {
    add('shape', mask.shape.join('x'), image.shape.join('x'));
    return out;
  }
  if (!mask.spacingKnown || !image.spacingKnown) return out;
  if (!allClose(mask.spacing, image.spacing)) add('spacing', vec(mask.spacing), vec(image.spacing), 'mm');
  if (!allClose(mask.origin, image.origin)) add('origin', vec(mask.origin), vec(image.origin), 'mm');
  if (!allClose(mask.direction.flat(), image.direction.flat())) {
    add('direction', mask.direction.map(vec).join(' '), image.direction.map(vec).join(' '));
  }
  return out;
}
