/** Which guideline label each label of a segmentation is: by name (case-insensitive), coded concept, or value. */
import type { CodedConcept, LabelInfo, MaskLayer, Segmentation } from '../model.js';
import { labelLayer, presentValues, voxelCount } from '../model.js';
import type { Guideline, GuidelineLabel } from '../guideline/types.js';
import type { FindingDraft } from './findings.js';
import { boundingBox } from '../metrics/bbox.js';
import { boxLocation } from './location.js';

/** A guideline label as found in one segmentation: the segmentation's values that hold it. */
export interface ResolvedLabel {
  label: GuidelineLabel;
  values: number[];
}

/** Formats whose label values are part of the data (a Label Studio reader numbers labels itself). */
const VALUED_FORMATS = new Set(['nifti', 'png', 'dicom-seg']);

const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

/** SNOMED CT is designated SCT, formerly SRT (DICOM PS3.16); the codes are the same. */
const scheme = (s: string) => (s.toUpperCase() === 'SRT' ? 'SCT' : s.toUpperCase());

const sameConcept = (a: CodedConcept | undefined, b: CodedConcept | undefined): boolean =>
  !!a && !!b && scheme(a.scheme) === scheme(b.scheme) && a.code.trim() === b.code.trim();

/** Maps the segmentation's labels onto the guideline's; unknown labels and value mismatches come back as drafts. */
export function resolveLabels(guideline: Guideline, seg: Segmentation): { labels: ResolvedLabel[]; drafts: FindingDraft[] } {
  const drafts: FindingDraft[] = [];
  const present = new Set(presentValues(seg));
  const infos = new Map<number, LabelInfo>();
  for (const l of seg.labels) if (!infos.has(l.value)) infos.set(l.value, l);
  for (const v of present) if (!infos.has(v)) infos.set(v, { value: v, name: null });
  const byLabel = new Map<GuidelineLabel, number[]>();
  const known = guideline.labels.map((l) => ({ value: l.value, name: l.name }));
  for (const info of [...infos.values()].sort((a, b) => a.value - b.value)) {
    const named = info.name !== null && info.name.trim() !== '';
    const match = named
      ? (guideline.labels.find((l) => norm(l.name) === norm(info.name as string)) ??
        guideline.labels.find((l) => sameConcept(l.concept, info.concept)))
      : guideline.labels.find((l) => l.value === info.value);
    if (!match) {
      if (!named && !present.has(info.value)) continue;
      const region = info.name ?? String(info.value);
      // Where the unknown label's voxels are, so that a reviewer can find them.
      const layer = present.has(info.value) ? labelLayer(seg, info.value) : null;
      const box = layer ? boundingBox(layer, seg.geometry.shape) : null;
      const location = box ? { region, ...boxLocation(box, seg.geometry, { file: seg.path, labels: [region] }) } : { region, labels: [region] };
      drafts.push({
        rule: 'label.unknown',
        label: info.name,
        facts: { name: info.name, value: info.value, known, ...(box ? { location } : {}) },
        value: info.name ?? info.value,
        limit: null,
        location,
      });
      continue;
    }
    if (named && VALUED_FORMATS.has(seg.format) && info.value !== match.value) {
      const name = info.name as string;
      drafts.push({
        rule: 'label.value_mismatch',
        label: match.name,
        facts: { name, value: info.value, guideline_name: match.name, guideline_value: match.value },
        value: info.value,
        limit: match.value,
        location: { region: name, labels: [name] },
      });
    }
    if (!present.has(info.value)) continue;
    const vs = byLabel.get(match) ?? [];
    vs.push(info.value);
    byLabel.set(match, vs);
  }
  const labels = guideline.labels.filter((l) => byLabel.has(l)).map((l) => ({ label: l, values: byLabel.get(l) as number[] }));
  return { labels, drafts };
}

/** Required labels with no voxel. */
export function requiredMissing(guideline: Guideline, resolved: ResolvedLabel[]): FindingDraft[] {
  const have = new Set(resolved.map((r) => r.label));
  return guideline.labels
    .filter((l) => l.required && !have.has(l))
    .map((l): FindingDraft => ({ rule: 'label.required_missing', label: l.name, facts: { label: l.name }, value: 0, limit: null }));
}

/** The voxels of a resolved label as a mask, without copying when one layer holds it under one value. */
export function resolvedMask(seg: Segmentation, values: number[]): { data: MaskLayer['data']; value: number } | null {
  if (values.length === 1) return labelLayer(seg, values[0]);
  const n = voxelCount(seg.geometry);
  const out = new Uint8Array(n);
  let any = false;
  for (const v of values) {
    const m = labelLayer(seg, v);
    if (!m) continue;
    any = true;
    const d = m.data;
    for (let i = 0; i < n; i++) if (d[i] === m.value) out[i] = 1;
  }
  return any ? { data: out, value: 1 } : null;
}

/** Which layers hold each value: overlap is only possible between different layers. */
export function layersHolding(seg: Segmentation, values: number[]): MaskLayer[] {
  return seg.layers.filter((l) => values.some((v) => l.values.includes(v)));
}
