/** Reads a guideline from YAML or JSON text: schema validation, then cross-field checks, every problem located. */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import schema from '../../guidelines/guideline.schema.json';
import { SegqcError } from '../errors.js';
import {
  byPosition,
  closest,
  compileSchema,
  crossFieldError,
  formatPath,
  listErrors,
  parseSource,
  schemaErrors,
  valueAt,
} from './document.js';
import type { PathSegment, SourceDocument } from './document.js';
import type { Guideline, GuidelineError, GuidelineLabel } from './types.js';
import { insideOf } from './types.js';

let validator: ValidateFunction | undefined;
const guidelineValidator = (): ValidateFunction => (validator ??= compileSchema(schema));

/** Names the object an error sits in, the way an annotator reads the guideline. */
export function describeGuidelinePath(path: PathSegment[], data: unknown): string {
  if (path.length === 0) return 'the guideline';
  const top = path[0];
  if (path.length >= 2 && typeof path[1] === 'number') {
    const entry = valueAt(data, path.slice(0, 2)) as Record<string, unknown> | undefined;
    const rest = path.length > 2 ? ` (${formatPath(path.slice(2))})` : '';
    if (top === 'labels' && typeof entry?.name === 'string') return `label '${entry.name}'${rest}`;
    if (top === 'checklist' && typeof entry?.id === 'string') return `checklist item '${entry.id}'${rest}`;
    if (top === 'agreement' && typeof entry?.label === 'string') return `the agreement rule for '${entry.label}'${rest}`;
  }
  if (top === 'review' && (path[1] === 'stages' || path[1] === 'reasons') && typeof path[2] === 'number') {
    const entry = valueAt(data, path.slice(0, 3)) as Record<string, unknown> | undefined;
    const rest = path.length > 3 ? ` (${formatPath(path.slice(3))})` : '';
    if (typeof entry?.id === 'string') return `${path[1] === 'stages' ? 'review stage' : 'review reason'} '${entry.id}'${rest}`;
  }
  return formatPath(path);
}

/** Validates guideline text; `guideline` is set only when there are no errors. */
export function validateGuideline(text: string, file: string): { guideline?: Guideline; errors: GuidelineError[] } {
  const parsed = parseSource(text, file);
  if (!parsed.doc) return { errors: parsed.errors };
  const errors = schemaErrors(guidelineValidator(), parsed.doc, describeGuidelinePath);
  if (errors.length > 0) return { errors: errors.sort(byPosition) };
  const guideline = parsed.doc.data as Guideline;
  const cross = crossFieldErrors(guideline, parsed.doc);
  if (cross.length > 0) return { errors: cross.sort(byPosition) };
  return { guideline, errors: [] };
}

/** Parses and validates a guideline; throws SegqcError('guideline.invalid') listing every problem. */
export function loadGuideline(text: string, file: string): Guideline {
  const { guideline, errors } = validateGuideline(text, file);
  if (!guideline) throw new SegqcError('guideline.invalid', listErrors(errors), { file });
  return guideline;
}

/** Checks the schema cannot express: unique names and values, references to existing labels, min ≤ max. */
function crossFieldErrors(g: Guideline, doc: SourceDocument): GuidelineError[] {
  const errors: GuidelineError[] = [];
  const err = (path: PathSegment[], message: string) => errors.push(crossFieldError(doc, path, message));
  const names = g.labels.map((l) => l.name);
  const byName = new Map<string, number>();
  const byValue = new Map<number, number>();
  g.labels.forEach((l, i) => {
    const key = l.name.toLowerCase();
    const prevName = byName.get(key);
    if (prevName !== undefined) err(['labels', i, 'name'], `label name '${l.name}' is used twice (labels[${prevName}] and labels[${i}]); names must be unique`);
    else byName.set(key, i);
    const prevValue = byValue.get(l.value);
    if (prevValue !== undefined) {
      err(['labels', i, 'value'], `label '${l.name}' has value ${l.value}, already used by label '${g.labels[prevValue].name}'; values must be unique`);
    } else byValue.set(l.value, i);
  });

  const refers = (path: PathSegment[], name: string, what: string) => {
    if (byName.has(name.toLowerCase()) && names.includes(name)) return;
    const guess = closest(name, names);
    err(path, `${what} names '${name}', which is not a label of this guideline${guess ? ` — did you mean ${guess}?` : ` (labels: ${names.join(', ')})`}`);
  };

  g.labels.forEach((l, i) => {
    const where = `label '${l.name}'`;
    const inside = insideOf(l);
    if (inside) {
      const path: PathSegment[] = typeof l.inside === 'string' ? ['labels', i, 'inside'] : ['labels', i, 'inside', 'label'];
      if (inside.label === l.name) err(path, `${where} cannot be inside itself`);
      else refers(path, inside.label, `'inside' of ${where}`);
    }
    (l.exclusive_with ?? []).forEach((n, j) => {
      if (n === l.name) err(['labels', i, 'exclusive_with', j], `${where} cannot be exclusive with itself`);
      else refers(['labels', i, 'exclusive_with', j], n, `'exclusive_with' of ${where}`);
    });
    minMax(l, i, err);
  });
  insideCycles(g.labels, err);

  const ids = new Map<string, number>();
  (g.checklist ?? []).forEach((c, i) => {
    const prev = ids.get(c.id);
    if (prev !== undefined) err(['checklist', i, 'id'], `checklist id '${c.id}' is used twice (checklist[${prev}] and checklist[${i}])`);
    else ids.set(c.id, i);
    if (c.when) {
      const key = 'label_present' in c.when ? 'label_present' : 'label_absent';
      const name = 'label_present' in c.when ? c.when.label_present : c.when.label_absent;
      refers(['checklist', i, 'when', key], name, `the condition of checklist item '${c.id}'`);
    }
  });

  const agreed = new Map<string, number>();
  (g.agreement ?? []).forEach((a, i) => {
    refers(['agreement', i, 'label'], a.label, `agreement rule ${i + 1}`);
    const prev = agreed.get(a.label);
    if (prev !== undefined) err(['agreement', i, 'label'], `label '${a.label}' has two agreement rules (agreement[${prev}] and agreement[${i}])`);
    else agreed.set(a.label, i);
    if (a.nsd_min !== undefined && a.tolerance_mm === undefined) {
      err(['agreement', i, 'nsd_min'], `the agreement rule for '${a.label}' sets nsd_min but no tolerance_mm: the surface distance needs a tolerance in mm`);
    }
  });
  reviewErrors(g, err);
  return errors;
}

/** The review loop: unique stage and reason ids, reasons that exist, an audit rate for audit stages. */
function reviewErrors(g: Guideline, err: (path: PathSegment[], message: string) => void): void {
  const review = g.review;
  if (!review) return;
  const reasonIds = (review.reasons ?? []).map((r) => r.id);
  const seenReasons = new Map<string, number>();
  (review.reasons ?? []).forEach((r, i) => {
    const prev = seenReasons.get(r.id);
    if (prev !== undefined) err(['review', 'reasons', i, 'id'], `review reason id '${r.id}' is used twice (review.reasons[${prev}] and review.reasons[${i}])`);
    else seenReasons.set(r.id, i);
  });
  const seenStages = new Map<string, number>();
  (review.stages ?? []).forEach((s, i) => {
    const where = `review stage '${s.id}'`;
    const prev = seenStages.get(s.id);
    if (prev !== undefined) err(['review', 'stages', i, 'id'], `review stage id '${s.id}' is used twice (review.stages[${prev}] and review.stages[${i}])`);
    else seenStages.set(s.id, i);
    if (Array.isArray(s.reviewers) && s.reviewers.includes('others')) {
      err(['review', 'stages', i, 'reviewers'], `${where} lists 'others' among its reviewers; write \`reviewers: others\` for anyone but the author, or list the reviewers by e-mail or name`);
    }
    if (s.items === 'audit' && !(review.audit_rate !== undefined && review.audit_rate > 0)) {
      err(['review', 'stages', i, 'items'], `${where} reviews the audit sample, but review.audit_rate is ${review.audit_rate === undefined ? 'not set' : '0'}: the stage would cover no item`);
    }
    if (typeof s.items === 'object') {
      s.items.findings.forEach((rule, j) => {
        if (rule.startsWith('review.')) err(['review', 'stages', i, 'items', 'findings', j], `${where} cannot cover items by a review finding ('${rule}'): reviews would decide which items need reviews`);
      });
    }
    (s.reasons ?? []).forEach((id, j) => {
      if (reasonIds.includes(id)) return;
      const guess = closest(id, reasonIds);
      const known = reasonIds.length ? ` (reasons: ${reasonIds.join(', ')})` : ': review.reasons lists none';
      err(['review', 'stages', i, 'reasons', j], `${where} offers the reason '${id}', which is not in review.reasons${guess ? ` — did you mean ${guess}?` : known}`);
    });
  });
}

function minMax(l: GuidelineLabel, i: number, err: (path: PathSegment[], message: string) => void): void {
  const where = `label '${l.name}'`;
  if (l.min_volume_mm3 !== undefined && l.max_volume_mm3 !== undefined && l.min_volume_mm3 > l.max_volume_mm3) {
    err(['labels', i, 'min_volume_mm3'], `${where}: min_volume_mm3 (${l.min_volume_mm3}) is larger than max_volume_mm3 (${l.max_volume_mm3})`);
  }
  if (l.min_component_volume_mm3 !== undefined && l.max_volume_mm3 !== undefined && l.min_component_volume_mm3 > l.max_volume_mm3) {
    err(
      ['labels', i, 'min_component_volume_mm3'],
      `${where}: min_component_volume_mm3 (${l.min_component_volume_mm3}) is larger than max_volume_mm3 (${l.max_volume_mm3})`,
    );
  }
}

function insideCycles(labels: GuidelineLabel[], err: (path: PathSegment[], message: string) => void): void {
  const container = new Map<string, string>();
  for (const l of labels) {
    const c = insideOf(l);
    if (c && c.label !== l.name) container.set(l.name, c.label);
  }
  labels.forEach((l, i) => {
    const chain = [l.name];
    let cur = container.get(l.name);
    while (cur !== undefined && !chain.includes(cur)) {
      chain.push(cur);
      cur = container.get(cur);
    }
    if (cur === l.name) err(['labels', i, 'inside'], `'inside' rules form a cycle: ${[...chain, l.name].join(' inside ')}`);
  });
}

/** Same as `loadGuideline`. */
export const parseGuideline = loadGuideline;
