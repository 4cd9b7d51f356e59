/**
 * The words of findings: every message is rendered here from a rule's facts and location, and nowhere else. The
 * terminal, Markdown, job summary and editor panel show these messages; readers of the report use the data.
 */
import type { SizeUnits } from '../metrics/size.js';
import type { JsonExpectation, JsonSyntaxError } from '../formats/json-syntax.js';
import type { AgreementMiss, Amount, AttestationProblem, FindingDraft, FindingLocation, StageCoverage, StageRef } from '../rules/types.js';

/**
 * An integer with en-US thousands separators, as toLocaleString('en-US') writes it, without loading the locale data
 * (the first toLocaleString call takes tens of ms: it would fall on the first stroke that gives a finding).
 */
export function grouped(n: number): string {
  if (!(Math.abs(n) < 1e21)) return n.toLocaleString('en-US');
  const s = String(Math.abs(n));
  let out = s.slice(0, s.length % 3 || 3);
  for (let i = out.length; i < s.length; i += 3) out += `,${s.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/** A number with three significant digits and no exponent for everyday magnitudes. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1000) return grouped(Math.round(x));
  if (a < 1e-3) return x.toPrecision(3);
  return String(Number(x.toPrecision(3)));
}

/** A size with its unit: "12.3 mm³", "1,520,000 mm³ (1,520 mL)", "0.004 mm²", "52 pixels". */
export function size(x: number, units: SizeUnits): string {
  if (units === 'px') return `${num(x)} pixel${x === 1 ? '' : 's'}`;
  if (units === 'mm2') return `${num(x)} mm²`;
  return x >= 10000 ? `${num(x)} mm³ (${num(x / 1000)} mL)` : `${num(x)} mm³`;
}

/** A count of voxels (pixels in 2D) with its size: "12 voxels (30 mm³)", "4 pixels (1 mm²)", "52 pixels". */
export function amount(a: Amount): string {
  const word = `${a.units === 'mm3' ? 'voxel' : 'pixel'}${a.voxels === 1 ? '' : 's'}`;
  return a.units === 'px' ? `${a.voxels} ${word}` : `${a.voxels} ${word} (${size(a.size, a.units)})`;
}

/** Millimetres to a tenth, without trailing zeros: coordinates keep their integer digits. */
const tenth = (v: number) => String(+v.toFixed(1) + 0);

const range = (a: number, b: number) => (a === b ? `slice ${a}` : `slices ${a}–${b}`);

/** A patient LPS coordinate as a viewer shows it, each axis by the side it points to: "R 12.3 P 45 S 102". */
export function patientText([x, y, z]: readonly number[]): string {
  const side = (v: number, neg: string, pos: string) => `${v < 0 ? neg : pos} ${tenth(Math.abs(v))}`;
  return `${side(x, 'R', 'L')} ${side(y, 'A', 'P')} ${side(z, 'I', 'S')}`;
}

/**
 * Where a located box is: in 3D its slices, their plane and its centre in the slice in voxels and patient mm,
 * "at slices 19–21 (axial, around (95, 60) px, R 12.3 P 45 S 102 mm)"; in 2D its centre, "around pixel (12, 30)",
 * with millimetres "(6, 15 mm)" when the spacing is known.
 */
export function whereText(loc: FindingLocation): string {
  const c = loc.center;
  const px = c ? `(${Math.round(c[0])}, ${Math.round(c[1])})` : null;
  const mm = loc.center_mm;
  if (loc.slices) {
    const at = `at ${range(loc.slices[0], loc.slices[1])}`;
    const inside = [loc.axis, px ? `around ${px} px` : null, mm ? `${patientText(mm)} mm` : null].filter(Boolean).join(', ');
    return inside ? `${at} (${inside})` : at;
  }
  if (!px) return '';
  return mm ? `around pixel ${px} (${tenth(mm[0])}, ${tenth(mm[1])} mm)` : `around pixel ${px}`;
}

const misses = (ms: AgreementMiss[]) =>
  ms
    .map((m) => {
      if (m.metric === 'dice') return `Dice ${num(m.value)} < ${num(m.min)}`;
      if (m.metric === 'nsd') return `NSD@${num(m.tolerance_mm)} mm ${num(m.value)} < ${num(m.min)}`;
      return m.value === null ? `HD95 undefined (one side empty), max ${num(m.max_mm)} mm` : `HD95 ${num(m.value)} mm > ${num(m.max_mm)} mm`;
    })
    .join(', ');

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A review stage by id, with its title: "senior (Senior radiologist review)". */
export const stageName = (s: StageRef): string => (s.title ? `${s.id} (${s.title})` : s.id);

/** Who may review at a stage: "anyone but the author", or the list. */
export const reviewersText = (r: 'others' | string[]): string => (r === 'others' ? 'anyone but the author' : r.join(', '));

/** The items a stage covers: "every item", "the audit sample", "items with slices.gap findings". */
export const coverageText = (c: StageCoverage): string => (c === 'all' ? 'every item' : c === 'audit' ? 'the audit sample' : `items with ${c.findings.join(' or ')} findings`);

/** A verdict in words. */
export const verdictText = (v: 'accept' | 'reject' | 'accept_with_fixes'): string => (v === 'accept_with_fixes' ? 'accept with fixes' : v);

/** The date of an ISO time: "2026-12-01". */
const day = (time: string) => time.slice(0, 10);

/** The message of a finding, from its rule's facts. */
export function findingMessage(d: FindingDraft): string {
  switch (d.rule) {
    case 'label.unknown': {
      const f = d.facts;
      const what = f.name !== null ? `'${f.name}' (value ${f.value})` : `value ${f.value}`;
      const where = f.location ? whereText(f.location) : '';
      return `Label ${what}${where ? ` ${where}` : ''} is not in the guideline, which has ${f.known.map((l) => `${l.value} ${l.name}`).join(', ')}`;
    }
    case 'label.value_mismatch': {
      const f = d.facts;
      return `Label '${f.name}' is stored as value ${f.value}, but the guideline numbers ${f.guideline_name} ${f.guideline_value}`;
    }
    case 'label.required_missing':
      return `${d.facts.label} is not drawn; the guideline requires it on every image`;
    case 'volume.below_min':
    case 'volume.above_max': {
      const f = d.facts;
      const what = f.units === 'mm2' ? 'area' : 'volume';
      const side = d.rule === 'volume.below_min' ? 'below the guideline\'s minimum' : 'above the guideline\'s maximum';
      return `${f.label} ${what} is ${size(f.size, f.units)}, ${side} of ${size(f.limit, f.units)}`;
    }
    case 'components.too_many': {
      const f = d.facts;
      const n = f.others.length + f.more;
      const listed = f.others.map((o) => `${size(o.size, f.units)} ${whereText(o.location)}`).join(', ');
      return `${f.label} is in ${f.count} separate pieces; the guideline allows ${f.allowed}. Besides the largest (${size(f.largest, f.units)}) there ${
        n === 1 ? 'is' : 'are'
      } ${listed}${f.more > 0 ? ` and ${f.more} more` : ''}`;
    }
    case 'component.too_small': {
      const f = d.facts;
      const piece = f.units === 'mm2' ? 'region' : 'component';
      return `${f.label} ${piece} of ${size(f.size, f.units)} ${whereText(f.location)} is below the guideline's minimum of ${size(f.min, f.units)}`;
    }
    case 'containment.outside': {
      const f = d.facts;
      const rule = `the guideline says ${f.label} lies inside ${f.container}`;
      if (f.outside === null) return `${f.label} is drawn ${whereText(f.location)} but ${f.container} is not drawn at all; ${rule}`;
      const tol =
        f.tolerance_mm > 0 ? (f.spacing_known ? ` beyond the ${num(f.tolerance_mm)} mm tolerance` : ' (tolerance not applied: the pixel spacing is unknown)') : '';
      const far = `up to ${num(f.outside.farthest)} ${f.spacing_known ? 'mm' : 'pixels'} away`;
      return `${amount(f.outside)} of ${f.label} lie outside ${f.container}${tol}, ${far}, ${whereText(f.location)}; ${rule}`;
    }
    case 'overlap.forbidden': {
      const f = d.facts;
      return `${f.label} and ${f.other} overlap in ${amount(f.overlap)} ${whereText(f.location)}; the guideline says they must not overlap`;
    }
    case 'slices.gap': {
      const f = d.facts;
      const gap = f.first === f.last ? `slice ${f.first} is` : `slices ${f.first}–${f.last} are`;
      return `${f.label} skips ${f.axis} slices: ${gap} empty between slice ${f.before} and slice ${f.after}; the guideline asks for contiguous slices`;
    }
    case 'checklist.missing': {
      const p = d.facts.prompts;
      const attest = d.facts.mask ? `; run \`segqc attest ${d.facts.mask}\` to answer ${p.length === 1 ? 'it' : 'them'}` : '';
      return `The annotation carries no checklist answers and no attestation; the guideline asks ${plural(p.length, 'question')}: ${p.map((q) => `"${q}"`).join(', ')}${attest}`;
    }
    case 'checklist.incomplete':
      return `Checklist item not confirmed: "${d.facts.prompt}"${d.facts.help ? ` (${d.facts.help})` : ''}`;
    case 'attestation.missing': {
      const f = d.facts;
      const how = f.mask && f.sidecar ? `write ${f.sidecar} with \`segqc attest ${f.mask}\`` : 'add a .segqc.json sidecar beside the mask';
      return `The annotation has no attestation; the guideline requires one (submit through the segqc Label Studio extension, or ${how})`;
    }
    case 'attestation.invalid':
      return attestationProblem(d.facts);
    case 'attestation.stale_guideline': {
      const { made: a, current: c } = d.facts;
      const diffs: string[] = [];
      if (a.id !== c.id) diffs.push(`guideline id '${a.id}' (current: '${c.id}')`);
      if (a.version !== c.version) diffs.push(`version ${a.version} (current: ${c.version})`);
      if (a.sha256 !== c.sha256) diffs.push(`sha256 ${a.sha256.slice(0, 12)}… (current: ${c.sha256.slice(0, 12)}…)`);
      const bump = a.id === c.id && a.version === c.version ? ': the guideline changed without a version bump' : '';
      const again = d.facts.mask ? ` and attest it again (\`segqc attest --force ${d.facts.mask}\`)` : '';
      return `The attestation was made under ${diffs.join(', ')}${bump}; re-check the annotation against the current guideline${again}`;
    }
    case 'geometry.mismatch': {
      const f = d.facts;
      const u = f.unit ? ` ${f.unit}` : '';
      return `Mask ${f.aspect} ${f.mask}${u} differs from the image's ${f.image}${u} (${f.image_path}): the mask was not drawn on this image's grid`;
    }
    case 'dataset.missing_annotation': {
      const f = d.facts;
      if (f.count === 0) return `Item ${f.item} has no annotation${f.image ? ` (image ${f.image})` : ''}; every item needs ${f.min}`;
      return `Item ${f.item} has ${plural(f.count, 'annotation')}; the guideline asks for at least ${f.min}`;
    }
    case 'dataset.orphan_annotation':
      return `Annotation ${d.facts.file} matches no image of the dataset: check its file name or the images pattern in segqc.yaml`;
    case 'agreement.below_threshold': {
      const f = d.facts;
      if (f.b === null) return `${f.label}: annotation ${f.a} disagrees with the reference (${misses(f.misses)})`;
      return `${f.label}: annotations ${f.a} and ${f.b} disagree (${misses(f.misses)}); the guideline asks for closer agreement`;
    }
    case 'format.unreadable':
      return `${d.facts.image ? 'image ' : ''}${d.facts.file} cannot be read: ${d.facts.detail}`;
    case 'review.rejected': {
      const f = d.facts;
      const reasons = f.reasons.length ? f.reasons.map((r) => r.title ?? r.id).join('; ') : 'no reason given';
      return `Rejected at review stage ${stageName(f.stage)} by ${f.reviewer} on ${day(f.time)}: ${reasons}${f.comment ? ` — "${f.comment}"` : ''}`;
    }
    case 'review.pending': {
      const f = d.facts;
      return `Awaiting review at stage ${stageName(f.stage)}: no verdict yet; the guideline requires one on ${coverageText(f.items)} (reviewers: ${reviewersText(f.reviewers)})`;
    }
    case 'review.stale': {
      const f = d.facts;
      return `The mask changed after its review at stage ${stageName(f.stage)} (${verdictText(f.verdict)} by ${f.reviewer} on ${day(f.time)}; reviewed ${f.reviewed_sha256.slice(0, 12)}…, now ${f.current_sha256.slice(0, 12)}…): the verdict is about an earlier version and the stage needs a new one`;
    }
    case 'review.ineligible': {
      const f = d.facts;
      const why =
        f.why === 'author'
          ? 'it is their own annotation, and nobody may review their own work'
          : f.why === 'not_listed'
            ? `they are not a reviewer of that stage (reviewers: ${reviewersText(f.reviewers ?? 'others')})`
            : `the guideline has no such stage (stages: ${f.stages.join(', ') || 'none'})`;
      return `The verdict of ${f.reviewer} at review stage ${stageName(f.stage)} on ${day(f.time)} does not count: ${why}`;
    }
    default:
      return unreachable(d);
  }
}

const EXPECTED: Record<JsonExpectation, string> = {
  value: 'a JSON value',
  property_name: 'a property name in double quotes',
  colon: "':' after the property name",
  comma_or_object_end: "',' or '}' after the property value",
  comma_or_array_end: "',' or ']' after the array element",
  digit: 'a digit',
  escape: 'an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)',
  hex_digit: 'four hexadecimal digits after \\u',
  string_end: 'the closing \'"\' of the string',
  end_of_text: 'the end of the text',
};

const shownChar = (c: string | null): string => {
  if (c === null) return 'the end of the text';
  const code = c.codePointAt(0) as number;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xfeff ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${c}'`;
};

/** "line 3, column 14: expected ',' or '}' after the property value, found '"'". */
export const jsonSyntaxText = (s: JsonSyntaxError): string => `line ${s.line}, column ${s.column}: expected ${EXPECTED[s.expected]}, found ${shownChar(s.found)}`;

function attestationProblem(f: AttestationProblem & { file: string | null }): string {
  const what = f.file ? `The attestation ${f.file}` : 'The attestation';
  switch (f.kind) {
    case 'syntax':
      return `${what} is not valid JSON: ${jsonSyntaxText(f.syntax)}`;
    case 'schema': {
      const p = f.problems;
      return `${what} does not follow guidelines/attestation.schema.json: ${p.slice(0, 5).join('; ')}${p.length > 5 ? `; and ${p.length - 5} more` : ''}`;
    }
    case 'unknown_answer':
      return `${what} answers unknown checklist id \`${f.id}\`${f.suggestion ? `; did you mean \`${f.suggestion}\`?` : '; the guideline\'s checklist has no such item'}`;
    default:
      return unreachable(f);
  }
}

const unreachable = (d: never): string => {
  const x = d as { rule?: string; kind?: string };
  throw new Error(`no message for ${x.rule ?? x.kind}`);
};

/** A message with the override an attestation recorded for it. */
export const overriddenMessage = (message: string, by: string | null, reason: string): string => `${message} — overridden${by ? ` by ${by}` : ''}: "${reason}"`;
