/**
 * The pictures of an item: which slices matter (the largest change between base and head, each finding's place, the
 * slice where two raters disagree most), drawn with the image under the masks when the dataset has one.
 */
import type { Geometry, Segmentation } from '../model.js';
import { presentValues } from '../model.js';
import type { AnnotationInput, Finding, Severity } from '../rules/types.js';
import type { Guideline } from '../guideline/types.js';
import type { DatasetTree } from '../dataset/tree.js';
import type { CheckedItem } from '../dataset/check.js';
import type { ItemDiff } from '../report/diff.js';
import { regressionScore } from '../report/diff.js';
import { isSegqcError } from '../errors.js';
import { MAX_PICTURE_SIDE, sliceView, viewRect, type SliceView } from './orientation.js';
import { areaBySlice, findingSlice, largestDifference, largestSlice } from './slice-choice.js';
import { drawPicture, sampleImage, sampleLayers, type Background, type LayerStyle, type RenderLayer, type Rgb, type SampledMask } from './render.js';
import { encodePng } from './png-encode.js';
import { readImageVolume, type ImageVolume } from './image-volume.js';
import { chooseWindow, type WindowSetting } from './window.js';
import { grouped } from '../report/finding-text.js';

/** One side of a checked item, with the tree its files are read from. */
export interface PictureSide extends CheckedItem {
  tree: DatasetTree;
}

/** What the pictures may show and how many. */
export interface PictureOptions {
  guideline: Guideline;
  /** Items pictured at most; the rest are listed. */
  maxItems: number;
  /** Longest side of a picture in pixels. */
  maxSide: number;
  /** The grey window of every image (`pictures.window` in segqc.yaml); null: CT abdomen window or percentiles. */
  window: WindowSetting | null;
  /** PNG bytes of all pictures at most (the page carries them base64-encoded, a third larger). */
  maxBytes: number;
  /** Pictures per item at most. */
  maxPerItem: number;
}

export const DEFAULT_PICTURE_OPTIONS: Omit<PictureOptions, 'guideline'> = {
  maxItems: 50,
  maxSide: MAX_PICTURE_SIDE,
  window: null,
  maxBytes: 7 * 1024 * 1024,
  maxPerItem: 4,
};

/** A highlighted region of a picture, in its pixels. */
export interface PictureBox {
  x: number;
  y: number;
  w: number;
  h: number;
  rule: string | null;
  severity: Severity | null;
}

/** One picture, ready for the page. Text fields hold dataset text unescaped: the page escapes them. */
export interface Picture {
  title: string;
  detail: string;
  /** "axial slice 42 (of 0–95)"; "2D image". */
  where: string;
  png: Uint8Array;
  width: number;
  height: number;
  edges: SliceView['edges'];
  scaleBar: { px: number; label: string };
  boxes: PictureBox[];
  /** Line styles shown and what they stand for. */
  styles: Array<{ style: LayerStyle; name: string }>;
  /** Label colours shown. */
  labels: Array<{ name: string; colour: string }>;
  /** What is under the masks: the image and its window, or why there is none. */
  background: string;
}

/** The pictures of one item. */
export interface ItemPictures {
  id: string;
  pictures: Picture[];
}

type Box4 = [number, number, number, number];

interface SpecLayer {
  seg: Segmentation;
  k: number;
  style: LayerStyle;
  name: string;
  values?: number[];
}

interface PictureSpec {
  title: string;
  detail: string;
  k: number;
  grid: Geometry;
  layers: SpecLayer[];
  boxes: Array<{ box: Box4; rule: string | null; severity: Severity | null }>;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const bySeverity = (fs: Finding[]) => [...fs].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);

const keyOf = (a: AnnotationInput) => a.id ?? a.segmentation.path;
const sameShape = (a: Geometry, b: Geometry) => a.shape.every((x, i) => x === b.shape[i]);

/** How an annotation is named in captions: its annotator and file, or its Label Studio annotation id. */
export function annotationName(a: AnnotationInput): string {
  const own = a.segmentation.format === 'labelstudio' && a.id ? `annotation ${a.id}` : a.segmentation.path;
  return a.annotator ? `${a.annotator} · ${own}` : own;
}

const hex = (c: Rgb) => `#${c.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
const FALLBACK: Rgb[] = [
  [230, 159, 0],
  [86, 180, 233],
  [0, 158, 115],
  [240, 228, 66],
  [0, 114, 178],
  [213, 94, 0],
  [204, 121, 167],
];

function parseColour(s: string | undefined): Rgb | null {
  const m = s ? /^#?([0-9a-f]{6})$/i.exec(s.trim()) ?? /^#?([0-9a-f]{3})$/i.exec(s.trim()) : null;
  if (!m) return null;
  const h = m[1].length === 3 ? m[1].replace(/./g, (c) => c + c) : m[1];
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
}

/** A label value's name in a segmentation: its own, else the guideline's for the value, else the number. */
function labelName(seg: Segmentation, value: number, g: Guideline): string {
  return seg.labels.find((l) => l.value === value)?.name ?? g.labels.find((l) => l.value === value)?.name ?? String(value);
}

/** The label values of a segmentation that carry the given names (the file's names first, then the guideline's values). */
function valuesNamed(seg: Segmentation, names: string[], g: Guideline): number[] {
  const present = presentValues(seg);
  return present.filter((v) => names.includes(labelName(seg, v, g)));
}

/** The names `agreement.below_threshold` gives the annotations of an item (as shared/rules/agreement.ts does). */
function agreementPair(f: Finding, side: PictureSide): [AnnotationInput, AnnotationInput] | null {
  const region = f.location?.region;
  if (!region) return null;
  const anns = side.loaded.annotations;
  const names = anns.map((a, i) => a.id ?? a.annotator ?? `annotation ${i + 1}`);
  for (let i = 0; i < anns.length; i++) {
    for (let j = i + 1; j < anns.length; j++) if (`${names[i]} vs ${names[j]}` === region) return [anns[i], anns[j]];
    const ref = side.loaded.reference;
    if (ref && `${names[i]} vs reference` === region) return [ref, anns[i]];
  }
  return null;
}

const findingTitle = (f: Finding) => `${f.severity} ${f.rule}${f.label ? ` · ${f.label}` : ''}`;

/** The picture of one finding on one side (with the other side's same annotation dashed, when given). */
function findingSpec(f: Finding, side: PictureSide, other: PictureSide | null, g: Guideline): PictureSpec | null {
  const names = f.label ? [f.label] : [];
  if (f.rule === 'agreement.below_threshold') {
    const pair = agreementPair(f, side);
    if (!pair || !sameShape(pair[0].segmentation.geometry, pair[1].segmentation.geometry)) return null;
    const [a, b] = pair;
    const va = valuesNamed(a.segmentation, names, g), vb = valuesNamed(b.segmentation, names, g);
    const values = [...new Set([...va, ...vb])];
    const most = largestDifference(a.segmentation, b.segmentation, values.length ? values : undefined);
    const k = most?.k ?? largestSlice(areaBySlice(a.segmentation, va)) ?? 0;
    const box = most?.box ?? null;
    return {
      title: findingTitle(f),
      detail: f.message,
      k,
      grid: a.segmentation.geometry,
      layers: [
        { seg: b.segmentation, k, style: 'dashed', name: annotationName(b), values: vb },
        { seg: a.segmentation, k, style: 'solid', name: annotationName(a), values: va },
      ],
      boxes: box ? [{ box, rule: f.rule, severity: f.severity }] : [],
    };
  }
  const loc = f.location;
  if (!loc?.bbox) return null;
  const ann = side.loaded.annotations.find((a) => keyOf(a) === f.annotation) ?? side.loaded.annotations.find((a) => a.segmentation.path === loc.file) ?? null;
  if (!ann) return null;
  const seg = ann.segmentation;
  const values = valuesNamed(seg, loc.labels ?? names, g);
  const k = f.rule === 'slices.gap' ? (loc.slice ?? loc.bbox[2]) : findingSlice(loc, seg, values);
  if (k === null || k < 0 || k >= seg.geometry.shape[2]) return null;
  const layers: SpecLayer[] = [];
  const before = other?.loaded.annotations.find((a) => keyOf(a) === keyOf(ann));
  if (before && sameShape(before.segmentation.geometry, seg.geometry)) layers.push({ seg: before.segmentation, k, style: 'dashed', name: `base · ${annotationName(before)}` });
  if (f.rule === 'slices.gap' && k > 0) layers.push({ seg, k: (loc.slices?.[0] ?? k) - 1, style: 'ghost', name: `slice ${(loc.slices?.[0] ?? k) - 1}, before the gap`, values });
  layers.push({ seg, k, style: 'solid', name: `${other ? 'head · ' : ''}${annotationName(ann)}` });
  const [i0, j0, , i1, j1] = loc.bbox;
  return { title: findingTitle(f), detail: f.message, k, grid: seg.geometry, layers, boxes: [{ box: [i0, j0, i1, j1], rule: f.rule, severity: f.severity }] };
}

/** Adds a spec, or merges its boxes into one showing the same masks on the same slice. */
function addSpec(specs: PictureSpec[], s: PictureSpec): void {
  const same = specs.find(
    (t) => t.k === s.k && t.layers.length === s.layers.length && t.layers.every((l, i) => l.seg === s.layers[i].seg && l.k === s.layers[i].k && l.style === s.layers[i].style),
  );
  if (same) {
    same.boxes.push(...s.boxes);
    if (!same.title.includes(s.title)) same.title += `; ${s.title}`;
    if (s.detail && !same.detail.includes(s.detail)) same.detail += ` ${s.detail}`;
  } else specs.push(s);
}

/** Pictures of a changed item: the slices of largest change of the (at most two) most changed annotations, then the new findings. */
function planDiffItem(diff: ItemDiff, base: PictureSide | null, head: PictureSide | null, g: Guideline, maxPerItem: number): PictureSpec[] {
  const specs: PictureSpec[] = [];
  const bAnn = new Map((base?.loaded.annotations ?? []).map((a) => [keyOf(a), a]));
  const hAnn = new Map((head?.loaded.annotations ?? []).map((a) => [keyOf(a), a]));
  const changes: Array<{ total: number; spec: PictureSpec }> = [];
  for (const key of [...new Set([...bAnn.keys(), ...hAnn.keys()])].sort()) {
    const b = bAnn.get(key) ?? null, h = hAnn.get(key) ?? null;
    if (b && h && !sameShape(b.segmentation.geometry, h.segmentation.geometry)) continue;
    const most = largestDifference(b?.segmentation ?? null, h?.segmentation ?? null);
    if (!most) continue;
    const { k, total, box } = most;
    const layers: SpecLayer[] = [];
    if (b) layers.push({ seg: b.segmentation, k, style: 'dashed', name: `base · ${annotationName(b)}` });
    if (h) layers.push({ seg: h.segmentation, k, style: 'solid', name: `head · ${annotationName(h)}` });
    const unit = (b ?? h)!.segmentation.geometry.shape[2] === 1 ? 'pixels' : 'voxels';
    changes.push({
      total,
      spec: {
        title: `Largest change · ${annotationName((h ?? b)!)}`,
        detail: `${grouped(most.count)} ${unit} changed on this slice, ${grouped(total)} in all.`,
        k,
        grid: (h ?? b)!.segmentation.geometry,
        layers,
        boxes: [{ box, rule: null, severity: null }],
      },
    });
  }
  changes.sort((x, y) => y.total - x.total);
  for (const c of changes.slice(0, 2)) specs.push(c.spec);
  if (head) {
    for (const f of bySeverity(diff.findings_added)) {
      if (specs.length >= maxPerItem) break;
      const s = findingSpec(f, head, base, g);
      if (s) addSpec(specs, s);
    }
  }
  return specs.slice(0, maxPerItem);
}

/** Pictures of a checked item: each located finding (errors first), else the slice with the most labelled voxels. */
function planCheckItem(side: PictureSide, g: Guideline, maxPerItem: number): PictureSpec[] {
  const specs: PictureSpec[] = [];
  for (const f of bySeverity(side.report.findings)) {
    if (specs.length >= maxPerItem) break;
    const s = findingSpec(f, side, null, g);
    if (s) addSpec(specs, s);
  }
  if (specs.length === 0) {
    const a = side.loaded.annotations.find((x) => presentValues(x.segmentation).length > 0);
    const k = a ? largestSlice(areaBySlice(a.segmentation)) : null;
    if (a && k !== null) {
      specs.push({ title: `Overview · ${annotationName(a)}`, detail: 'The slice with the most labelled voxels.', k, grid: a.segmentation.geometry, layers: [{ seg: a.segmentation, k, style: 'solid', name: annotationName(a) }], boxes: [] });
    }
  }
  return specs.slice(0, maxPerItem);
}

/** Longest run of a "nice" length (1, 2 or 5 times a power of ten) at most a fifth of the picture's width. */
function scaleBar(view: SliceView): { px: number; label: string } {
  const across = (view.width * view.pixelSize) / 5;
  const p = 10 ** Math.floor(Math.log10(across));
  const nice = [5, 2, 1].map((m) => m * p).find((x) => x <= across) ?? p;
  const label = `${Number(nice.toPrecision(3))} ${view.spacingKnown ? 'mm' : 'px'}`;
  return { px: nice / view.pixelSize, label };
}

/** Where the picture's slice is, in words. */
function whereOf(view: SliceView, k: number, g: Geometry): string {
  return view.plane ? `${view.plane} slice ${k} (of 0–${g.shape[2] - 1})` : '2D image';
}

/** The image of an item on one side: from `images:` in segqc.yaml, or a PNG named like a Label Studio task's image. */
function imageFiles(side: PictureSide, pngIndex: PngIndex): string[] | null {
  if (side.pending.image && side.pending.image.length > 0) return side.pending.image;
  if (side.loaded.annotations.some((a) => a.segmentation.format === 'labelstudio')) {
    const hit = pngIndex(side.tree).get(`${side.pending.id}.png`.toLowerCase());
    if (hit) return [hit];
  }
  return null;
}

type PngIndex = (tree: DatasetTree) => Map<string, string>;

/** The image under an item's masks, or why there is none. */
function loadImage(side: PictureSide | null, pngIndex: PngIndex): { volume: ImageVolume | null; file: string | null; note: string } {
  const files = side ? imageFiles(side, pngIndex) : null;
  if (!side || !files) return { volume: null, file: null, note: 'no image in the dataset: masks alone' };
  try {
    return { volume: readImageVolume(files.map((file) => ({ bytes: side.tree.read(file), file }))), file: files[0], note: '' };
  } catch (e) {
    return { volume: null, file: files[0], note: `image ${files[0]} not shown: ${isSegqcError(e) ? e.detail : String((e as Error)?.message ?? e)}` };
  }
}

type ViewCache = (g: Geometry, maxSide: number) => SliceView;

/** `sliceView`, remembered for the last few grids (the items of a dataset mostly share a few). */
function viewCache(): ViewCache {
  const seen = new Map<string, SliceView>();
  return (g, maxSide) => {
    const key = JSON.stringify([g.shape, g.spacing, g.direction, g.spacingKnown, maxSide]);
    let v = seen.get(key);
    if (!v) {
      v = sliceView(g, maxSide);
      if (seen.size >= 8) seen.delete(seen.keys().next().value as string);
      seen.set(key, v);
    }
    return v;
  };
}

/** A picture sampled from the masks, not yet encoded: what the collector keeps of an item once its masks are gone. */
interface PreparedPicture extends Omit<Picture, 'png'> {
  background_pixels: Background | null;
  masks: SampledMask[];
}

/** An item's pictures, sampled. */
interface PreparedItem {
  id: string;
  pictures: PreparedPicture[];
}

/** Samples the specs of one item over the image, when the dataset has one on the masks' grid. */
function prepareSpecs(id: string, specs: PictureSpec[], image: ReturnType<typeof loadImage>, opts: PictureOptions, views: ViewCache = sliceView): PreparedItem {
  if (specs.length === 0) return { id, pictures: [] };
  let { volume, note: background } = image;
  const slices = specs.map((s) => (volume && sameShape(volume.geometry, s.grid) ? volume.slice(s.k) : null));
  if (volume && slices.every((s) => s === null)) {
    background = `image ${image.file} not shown: its grid ${volume.geometry.shape.join('x')} differs from the mask's ${specs[0].grid.shape.join('x')}`;
    volume = null;
  }
  const modality = volume?.modality ?? (opts.guideline.modalities?.length === 1 ? opts.guideline.modalities[0] : null);
  const shown = slices.filter((s): s is Float32Array => s !== null);
  const win = volume && volume.channels === 1 ? chooseWindow(modality, opts.window, shown) : null;
  if (volume) background = `image ${image.file}${win ? `, window ${win.how}` : ''}`;
  const colourOf = (seg: Segmentation) => (v: number): Rgb => {
    const name = labelName(seg, v, opts.guideline);
    return parseColour(opts.guideline.labels.find((l) => l.name === name)?.color) ?? parseColour(seg.labels.find((l) => l.value === v)?.color) ?? FALLBACK[(v - 1 + FALLBACK.length) % FALLBACK.length];
  };
  const pictures = specs.map((s, i): PreparedPicture => {
    const view = views(s.grid, opts.maxSide);
    const values = slices[i];
    const layers: RenderLayer[] = s.layers.map((l) => ({ seg: l.seg, k: l.k, style: l.style, values: l.values ?? presentValues(l.seg), colour: colourOf(l.seg) }));
    const masks = sampleLayers(view, layers);
    const labels = new Map<string, string>();
    for (const m of masks) labels.set(labelName(layers[m.layer].seg, m.value, opts.guideline), hex(m.colour));
    return {
      title: s.title,
      detail: s.detail,
      where: whereOf(view, s.k, s.grid),
      width: view.width,
      height: view.height,
      edges: view.edges,
      scaleBar: scaleBar(view),
      boxes: s.boxes.map((b) => {
        const r = viewRect(view, b.box);
        // A box of a few voxels is drawn at least 16 pixels wide, around its centre.
        const grow = (x: number, w: number) => (w >= 12 ? [x - 2, w + 4] : [x + w / 2 - 8, 16]);
        const [x, w] = grow(r.x, r.w), [y, h] = grow(r.y, r.h);
        return { x, y, w, h, rule: b.rule, severity: b.severity };
      }),
      styles: s.layers.map((l) => ({ style: l.style, name: l.name })),
      labels: [...labels].map(([name, colour]) => ({ name, colour })),
      background: values || !volume ? background : 'image not on this grid',
      background_pixels: values && volume ? sampleImage(view, { values, channels: volume.channels, window: win?.window ?? null, inverted: volume.inverted }) : null,
      masks,
    };
  });
  return { id, pictures };
}

/** Draws and encodes sampled pictures. */
function drawPrepared(item: PreparedItem): ItemPictures {
  return {
    id: item.id,
    pictures: item.pictures.map(({ background_pixels, masks, ...rest }) => ({ ...rest, png: encodePng(drawPicture(rest.width, rest.height, background_pixels, masks), rest.width, rest.height) })),
  };
}

function prepareDiff(diff: ItemDiff, base: PictureSide | null, head: PictureSide | null, opts: PictureOptions, pngIndex: PngIndex, views?: ViewCache): PreparedItem {
  return prepareSpecs(diff.id, planDiffItem(diff, base, head, opts.guideline, opts.maxPerItem), loadImage(head ?? base, pngIndex), opts, views);
}

function prepareCheck(side: PictureSide, opts: PictureOptions, pngIndex: PngIndex, views?: ViewCache): PreparedItem {
  return prepareSpecs(side.report.id, planCheckItem(side, opts.guideline, opts.maxPerItem), loadImage(side, pngIndex), opts, views);
}

/** PNG files of a tree by lower-case file name, listed once per tree. */
function treePngIndex(): PngIndex {
  const indexes = new WeakMap<DatasetTree, Map<string, string>>();
  return (tree) => {
    let m = indexes.get(tree);
    if (!m) {
      m = new Map();
      for (const p of tree.list()) if (p.toLowerCase().endsWith('.png')) m.set(p.slice(p.lastIndexOf('/') + 1).toLowerCase(), p);
      indexes.set(tree, m);
    }
    return m;
  };
}

/** Whether a changed item has anything to picture: a mask that moved, or a new finding with a place. */
const diffPicturable = (d: ItemDiff) =>
  d.labels.some((l) => l.volume_base !== l.volume_head || (l.dice !== null && l.dice < 1)) ||
  d.findings_added.some((f) => f.location?.bbox || f.rule === 'agreement.below_threshold');

/** Rank of an item on the page: lower is shown first; then its id. */
type Rank = [number, string];
/** An item's rank on a page (see `PictureCollector.addDiffItem`). */
export type PictureRank = Rank;

/** Items a collector kept, with their ranks (plain data: a worker thread posts them to the main thread). */
export type KeptPictures = Array<{ rank: Rank; item: PreparedItem }>;
const before = (a: Rank, b: Rank) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** The first `n` of `xs` in page order: the items a collector fed them all would keep, when each had pictures. */
export const firstRanked = <T extends { rank: Rank }>(xs: T[], n: number): T[] => [...xs].sort((a, b) => (before(a.rank, b.rank) ? -1 : before(b.rank, a.rank) ? 1 : 0)).slice(0, Math.max(0, n));

/** Errors, then warnings, then other findings: the order of a check's items on the page. */
export const checkRank = (findings: Finding[]): number =>
  -(findings.filter((f) => f.severity === 'error').length * 1e6 + findings.filter((f) => f.severity === 'warning').length * 1e3 + findings.length);

/**
 * Picks the items a page pictures while the items are checked one by one: an item that ranks among the first
 * `maxItems` so far (the page's order: worst first) has its slices sampled while its masks are in memory; `result`
 * draws and encodes the ones still kept at the end.
 */
export class PictureCollector {
  private kept: Array<{ rank: Rank; item: PreparedItem }> = [];
  private drawn = new Map<string, ItemPictures>();
  private pngIndex = treePngIndex();
  private views = viewCache();
  /** Items sampled, and the time spent sampling and drawing (ms). */
  readonly stats = { sampled: 0, ms: 0 };

  constructor(readonly opts: PictureOptions) {}

  private keep(rank: Rank, prepare: () => PreparedItem): Rank | null {
    if (this.opts.maxItems <= 0) return null;
    if (this.kept.length >= this.opts.maxItems && !before(rank, this.kept[this.kept.length - 1].rank)) return null;
    const t0 = Date.now();
    const item = prepare();
    this.stats.sampled++;
    this.stats.ms += Date.now() - t0;
    return this.insert(rank, item) ? rank : null;
  }

  private insert(rank: Rank, item: PreparedItem): boolean {
    if (item.pictures.length === 0) return false;
    let at = this.kept.findIndex((k) => before(rank, k.rank));
    if (at < 0) at = this.kept.length;
    this.kept.splice(at, 0, { rank, item });
    if (this.kept.length > this.opts.maxItems) this.kept.pop();
    return at < this.opts.maxItems;
  }

  /** Draws the kept items of `ids` now (a worker thread's share of a page); `result` then takes them as drawn. */
  drawKept(ids: ReadonlySet<string>): ItemPictures[] {
    const t0 = Date.now();
    const out = this.kept.filter((k) => ids.has(k.item.id)).map((k) => drawPrepared(k.item));
    this.stats.ms += Date.now() - t0;
    return out;
  }

  /** Pictures drawn elsewhere (`drawKept` of the collectors merged here), used by `result` for their items. */
  useDrawn(drawn: Iterable<ItemPictures>): void {
    for (const d of drawn) this.drawn.set(d.id, d);
  }

  /** The items kept so far, sampled and ranked: a worker thread's share, which `merge` adds to another collector. */
  keptItems(): KeptPictures {
    return this.kept.map((k) => ({ ...k }));
  }

  /** Adds the items another collector kept (a worker thread's share), as if they had been added here. */
  merge(kept: KeptPictures): void {
    for (const k of kept) if (this.opts.maxItems > 0) this.insert(k.rank, k.item);
  }

  /** A changed item of a pull request, ranked as the page lists them (worst first); its rank when it is kept. */
  addDiffItem(diff: ItemDiff, base: PictureSide | null, head: PictureSide | null): PictureRank | null {
    if (diff.unchanged || !diffPicturable(diff)) return null;
    return this.keep([-regressionScore(diff), diff.id], () => prepareDiff(diff, base, head, this.opts, this.pngIndex, this.views));
  }

  /** A checked item; items without findings get no pictures. */
  addCheckItem(side: PictureSide): void {
    if (side.report.findings.length === 0) return;
    this.keep([checkRank(side.report.findings), side.report.id], () => prepareCheck(side, this.opts, this.pngIndex, this.views));
  }

  /** The items kept, drawn best ranked first within the byte budget; the items dropped for it are listed in `over`. */
  result(): { items: Map<string, ItemPictures>; over: string[] } {
    const items = new Map<string, ItemPictures>();
    const over: string[] = [];
    let bytes = 0;
    const t0 = Date.now();
    for (const k of this.kept) {
      if (bytes >= this.opts.maxBytes) {
        over.push(k.item.id);
        continue;
      }
      const pics = this.drawn.get(k.item.id) ?? drawPrepared(k.item);
      const size = pics.pictures.reduce((s, p) => s + p.png.length, 0);
      if (bytes + size > this.opts.maxBytes) over.push(pics.id);
      else {
        bytes += size;
        items.set(pics.id, pics);
      }
    }
    this.stats.ms += Date.now() - t0;
    return { items, over };
  }
}
