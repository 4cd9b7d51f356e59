/** What a pull request changes in a dataset: per item and label, base → head, and the findings it adds or resolves. */
import type { Segmentation } from '../model.js';
import { labelLayer, presentValues } from '../model.js';
import type { Finding } from '../rules/types.js';
import type { DatasetReport, ItemReport } from './types.js';
import { reviewChanges, type ReviewChange } from '../review/status.js';
import { compareMasks } from '../metrics/compare.js';
import { maskStats } from '../metrics/mask-stats.js';
import { UNIT_SYMBOL, sizeOf, sizeUnits } from '../metrics/size.js';

/** One label of one annotation, base → head. Volumes in mm³ (mm² in 2D, px without spacing). */
export interface LabelDiff {
  annotation: string;
  /** Who made the annotation (head side, else base), when the source names it. */
  annotator?: string | null;
  /** The file the annotation was read from, relative to the dataset (head side, else base). */
  file?: string;
  /** Git authors of the pull request's commits that touch `file`. */
  committed_by?: Committer[];
  label: string;
  volume_base: number | null;
  volume_head: number | null;
  /** Relative change in percent; null when the base is empty or missing. */
  volume_change_pct: number | null;
  components_base: number | null;
  components_head: number | null;
  /** Agreement between the base and head masks: how far the edit moved the boundary. */
  dice: number | null;
  nsd: number | null;
  hd95: number | null;
}

/** A git author, as a commit names them. */
export interface Committer {
  name: string;
  email: string;
}

/** One changed item, or with `full` also one the PR leaves alone (`unchanged`). */
export interface ItemDiff {
  id: string;
  status: 'added' | 'removed' | 'modified';
  /** Checked only because of `full`: the PR changes none of its files or tasks. */
  unchanged?: true;
  labels: LabelDiff[];
  findings_added: Finding[];
  findings_resolved: Finding[];
  agreement: Array<{ label: string; a: string; b: string; dice_base: number | null; dice_head: number | null }>;
  /** Review verdicts the pull request adds or changes on this item. */
  reviews?: ReviewChange[];
}

/** The whole change, as JSON (the comment is rendered from it). */
export interface DatasetDiff {
  base_sha: string;
  head_sha: string;
  tolerance_mm: number;
  items: ItemDiff[];
  totals: {
    base: DatasetReport['totals'] | null;
    head: DatasetReport['totals'];
  };
  /** Items in the whole dataset on each side, changed or not (the totals above cover the items checked). */
  dataset_items?: { base: number; head: number };
}

const findingKey = (f: Finding) => `${f.rule}\u0000${f.label ?? ''}\u0000${f.annotation ?? ''}\u0000${f.annotator ?? ''}\u0000${f.location?.region ?? ''}`;

/** Findings of `after` not in `before`, as a multiset on (rule, label, annotation, annotator, region). */
export function findingsNotIn(after: Finding[], before: Finding[]): Finding[] {
  const counts = new Map<string, number>();
  for (const f of before) counts.set(findingKey(f), (counts.get(findingKey(f)) ?? 0) + 1);
  const out: Finding[] = [];
  for (const f of after) {
    const k = findingKey(f);
    const n = counts.get(k) ?? 0;
    if (n > 0) counts.set(k, n - 1);
    else out.push(f);
  }
  return out;
}

/** The masks of one item on one side, keyed by annotation identity (file path or Label Studio annotation id). */
export type SideMasks = Map<string, Segmentation>;

/** A label's name: the file's own (SEG segment, Label Studio label), else the guideline's for its value, else the value. */
const nameOf = (s: Segmentation, v: number, names: ReadonlyMap<number, string>) => s.labels.find((l) => l.value === v)?.name ?? names.get(v) ?? String(v);

/**
 * Per label of each annotation present on either side: volumes, components and base-vs-head agreement. `names` maps
 * label values to the guideline's names, for label maps (NIfTI, PNG) that carry values only.
 */
export function labelDiffs(base: SideMasks, head: SideMasks, toleranceMm: number, names: ReadonlyMap<number, string> = new Map()): LabelDiff[] {
  const out: LabelDiff[] = [];
  const keys = [...new Set([...base.keys(), ...head.keys()])].sort();
  for (const key of keys) {
    const b = base.get(key) ?? null;
    const h = head.get(key) ?? null;
    const values = [...new Set([...(b ? presentValues(b) : []), ...(h ? presentValues(h) : [])])].sort((x, y) => x - y);
    for (const v of values) {
      const bm = b ? labelLayer(b, v) : null;
      const hm = h ? labelLayer(h, v) : null;
      // The same mask on both sides (an unchanged item checked once) is measured once and agrees with itself.
      const same = b !== null && b === h;
      const bs = b && bm ? maskStats(bm, b.geometry) : null;
      const hs = same ? bs : h && hm ? maskStats(hm, h.geometry) : null;
      const vol = (s: typeof bs, seg: Segmentation | null) => (s && seg ? sizeOf(s.voxels, seg.geometry) : seg ? 0 : null);
      const vb = vol(bs, b);
      const vh = vol(hs, h);
      let dice: number | null = null, nsd: number | null = null, hd95: number | null = null;
      if (same && bs !== null && bs.voxels > 0) {
        dice = 1;
        nsd = toleranceMm >= 0 ? 1 : 0;
        hd95 = 0;
      } else if (b && h && b.geometry.shape.every((x, i) => x === h.geometry.shape[i])) {
        const empty = { data: new Uint8Array(0), value: 1 };
        const m = compareMasks(bm ?? empty, hm ?? empty, h.geometry, { tolerances: [toleranceMm] });
        dice = m.dice;
        nsd = m.nsd[String(toleranceMm)] ?? null;
        hd95 = m.hd95;
      }
      out.push({
        annotation: key,
        label: nameOf(h ?? b!, v, names),
        volume_base: vb,
        volume_head: vh,
        volume_change_pct: vb && vh !== null ? ((vh - vb) / vb) * 100 : null,
        components_base: b ? (bs?.components ?? 0) : null,
        components_head: h ? (hs?.components ?? 0) : null,
        dice,
        nsd,
        hd95,
      });
    }
  }
  return out;
}

/** An item's diff from its two reports and its label diffs. */
export function itemDiff(id: string, base: ItemReport | null, head: ItemReport | null, labels: LabelDiff[]): ItemDiff {
  const agreement: ItemDiff['agreement'] = [];
  const key = (g: ItemReport['agreement'][number]) => `${g.label}\u0000${g.a}\u0000${g.b}`;
  const baseAg = new Map((base?.agreement ?? []).map((g) => [key(g), g.dice]));
  const headAg = new Map((head?.agreement ?? []).map((g) => [key(g), g.dice]));
  for (const k of new Set([...baseAg.keys(), ...headAg.keys()])) {
    const [label, a, b] = k.split('\u0000');
    const db = baseAg.get(k) ?? null, dh = headAg.get(k) ?? null;
    if (db !== dh) agreement.push({ label, a, b, dice_base: db, dice_head: dh });
  }
  const reviews = reviewChanges(base?.reviews ?? [], head?.reviews ?? []);
  // The annotator and file of each annotation, by the key its label rows carry (annotation id, else the mask's path).
  const who = new Map<string, { annotator: string | null; file: string }>();
  for (const r of [base, head]) for (const a of r?.annotations ?? []) who.set(a.id ?? a.source, { annotator: a.annotator, file: a.source });
  return {
    id,
    status: !base ? 'added' : !head ? 'removed' : 'modified',
    labels: labels.map((l) => {
      const w = who.get(l.annotation);
      return w ? { ...l, annotator: w.annotator, file: w.file } : l;
    }),
    findings_added: findingsNotIn(head?.findings ?? [], base?.findings ?? []),
    findings_resolved: findingsNotIn(base?.findings ?? [], head?.findings ?? []),
    agreement,
    ...(reviews.length ? { reviews } : {}),
  };
}

/** How bad an item's change is, for "worst regressions first": new errors, then boundary movement, then volume change. */
export function regressionScore(d: ItemDiff): number {
  const newErrors = d.findings_added.filter((f) => f.severity === 'error').length;
  const newWarnings = d.findings_added.filter((f) => f.severity === 'warning').length;
  const worstDice = Math.min(1, ...d.labels.map((l) => l.dice ?? 1));
  const worstVol = Math.max(0, ...d.labels.map((l) => Math.abs(l.volume_change_pct ?? 0)));
  return newErrors * 1e6 + newWarnings * 1e4 + (1 - worstDice) * 100 + Math.min(worstVol, 99) / 100 - d.findings_resolved.length * 1e-3;
}

/** Sorts item diffs worst first, ties by id. */
export const sortWorstFirst = (items: ItemDiff[]): ItemDiff[] =>
  [...items].sort((a, b) => regressionScore(b) - regressionScore(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export const unitsOf = (s: Segmentation): string => UNIT_SYMBOL[sizeUnits(s.geometry)];

/**
 * True when a label's mask differs between base and head: added, removed, resized, split or moved. An unchanged
 * label has the same volume and pieces and Dice exactly 1 (identical voxels on the same grid).
 */
export const labelChanged = (l: LabelDiff): boolean =>
  l.volume_base !== l.volume_head || l.components_base !== l.components_head || l.dice !== 1;

/** The diff with each label row's `committed_by` set from the authors of its file (paths relative to the dataset). */
export function withCommitters(diff: DatasetDiff, byFile: ReadonlyMap<string, Committer[]>): DatasetDiff {
  return {
    ...diff,
    items: diff.items.map((d) => ({
      ...d,
      labels: d.labels.map((l) => {
        const c = l.file !== undefined ? byFile.get(l.file) : undefined;
        return c && c.length ? { ...l, committed_by: c.slice(0, 100) } : l;
      }),
    })),
  };
}
