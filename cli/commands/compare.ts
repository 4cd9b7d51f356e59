/** `segqc compare <reference> <candidate>`: the metric set per label, as a table or one JSON object. */
import { readFileSync, statSync } from 'node:fs';
import { SegqcError } from '../../shared/errors.js';
import type { Segmentation } from '../../shared/model.js';
import { presentValues, labelLayer, DEFAULT_LIMITS } from '../../shared/model.js';
import type { ReadOptions } from '../../shared/formats/read.js';
import { detectFormat } from '../../shared/formats/detect.js';
import { isGzip } from '../../shared/formats/gzip.js';
import { looksLikeNifti, readNifti, readNiftiRuns } from '../../shared/formats/nifti.js';
import { nodeInflate } from '../../node/inflate.js';
import { geometryDifferences, describeGeometryDifferences } from '../../shared/geometry.js';
import { compareRuns, type LabelMetrics, type SurfaceConvention } from '../../shared/metrics/compare.js';
import { maskRuns, type MaskRuns } from '../../shared/metrics/surface.js';
import { UNIT_SYMBOL, sizeUnits } from '../../shared/metrics/size.js';
import { parseArgs, numberList } from '../args.js';
import { neutralize } from '../../shared/report/escape.js';

export const compareHelp = `Usage: segqc compare <reference> <candidate> [options]

Compares two segmentations label by label: Dice, IoU, HD, HD95, ASSD, NSD, volumes, components.
Inputs: NIfTI (.nii, .nii.gz), DICOM SEG, PNG label masks, Label Studio JSON (one annotation).

Options:
  --labels 1,2          labels to compare (default: every label present in either input)
  --tolerance 1,2       NSD tolerances in mm (default: 1,2)
  --surface voxel|surfel  surface convention (default voxel: MONAI/MetricsReloaded; surfel: DeepMind)
  --spacing R[,C]       pixel spacing in mm for 2D inputs that carry none
  --ignore-geometry     compare even when shape, spacing, origin or direction disagree
  --max-voxels N        refuse inputs larger than N voxels (default ${DEFAULT_LIMITS.maxVoxels})
  --json                print one JSON object instead of a table
`;

/** One input of the comparison: its grid and the runs of each label, however the file was read. */
interface MaskInput {
  path: string;
  geometry: Segmentation['geometry'];
  warnings: string[];
  values: number[];
  name(value: number): string | null;
  runs(value: number): MaskRuns;
}

const noRuns = (shape: Segmentation['geometry']['shape']) => maskRuns({ data: new Uint8Array(0), value: 1 }, shape);

function fromSegmentation(seg: Segmentation): MaskInput {
  return {
    path: seg.path,
    geometry: seg.geometry,
    warnings: seg.warnings,
    values: presentValues(seg),
    name: (v) => seg.labels.find((l) => l.value === v)?.name ?? null,
    runs: (v) => maskRuns(labelLayer(seg, v) ?? { data: new Uint8Array(0), value: 1 }, seg.geometry.shape),
  };
}

/**
 * Reads a mask file for the CLI, turning I/O failures into typed errors. A byte NIfTI map is read straight into runs;
 * the readers of the other formats (and dcmjs) are loaded only for a file that needs them.
 */
async function readMaskFile(path: string, opts: ReadOptions): Promise<MaskInput> {
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) throw new SegqcError('usage', 'is not a file', { file: path });
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof SegqcError) throw e;
    throw new SegqcError('usage', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { file: path });
  }
  // What readSegmentation does for a file that starts like NIfTI (so it is no Git LFS pointer).
  if ((isGzip(bytes) || looksLikeNifti(bytes)) && detectFormat(bytes, path) === 'nifti') {
    const r = readNiftiRuns(bytes, path, opts.limits);
    if (r === null) return fromSegmentation(readNifti(bytes, path, opts.limits, nodeInflate));
    const shape = r.geometry.shape;
    return { path, geometry: r.geometry, warnings: r.warnings, values: [...r.runs.keys()], name: () => null, runs: (v) => r.runs.get(v) ?? noRuns(shape) };
  }
  const { readSegmentation } = await import('../../shared/formats/read.js');
  return fromSegmentation(readSegmentation(bytes, path, { ...opts, inflate: nodeInflate }));
}

const labelName = (a: MaskInput, b: MaskInput, v: number) => a.name(v) ?? b.name(v);

const num = (x: number | null) => (x === null || !Number.isFinite(x) ? null : x);

/** Runs the command; returns the exit code. */
export async function runCompare(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { positional, flags } = parseArgs(argv, ['labels', 'tolerance', 'surface', 'spacing', 'max-voxels'], ['json', 'ignore-geometry', 'help']);
  if (flags.help) {
    out(compareHelp);
    return 0;
  }
  if (positional.length !== 2) throw new SegqcError('usage', `compare takes two files, got ${positional.length}\n\n${compareHelp}`);
  const tolerances = flags.tolerance ? numberList(String(flags.tolerance), 'tolerance') : [1, 2];
  const surface = (flags.surface ?? 'voxel') as SurfaceConvention;
  if (surface !== 'voxel' && surface !== 'surfel') throw new SegqcError('usage', `--surface is voxel or surfel, got "${surface}"`);
  const maxVoxels = flags['max-voxels'] ? Number(flags['max-voxels']) : DEFAULT_LIMITS.maxVoxels;
  if (!Number.isInteger(maxVoxels) || maxVoxels <= 0) throw new SegqcError('usage', '--max-voxels takes a positive integer');
  const sp = flags.spacing ? numberList(String(flags.spacing), 'spacing') : null;
  const spacing = sp === null ? null : sp.length === 1 ? sp[0] : ([sp[0], sp[1]] as [number, number]);
  const readOpts = { limits: { maxVoxels }, spacing };
  const [refPath, candPath] = positional;
  const ref = await readMaskFile(refPath, readOpts);
  const cand = await readMaskFile(candPath, readOpts);

  const diffs = geometryDifferences(ref.geometry, cand.geometry);
  const shapeDiffers = diffs.some((d) => d.field === 'shape');
  if (diffs.length > 0 && (!flags['ignore-geometry'] || shapeDiffers)) {
    const what = describeGeometryDifferences(diffs, 'reference', 'candidate');
    const hint = shapeDiffers ? '' : ' (use --ignore-geometry to compare anyway)';
    throw new SegqcError('geometry.mismatch', `the two inputs are not on the same grid: ${what}${hint}`, { file: `${refPath} vs ${candPath}` });
  }

  const labels = flags.labels
    ? numberList(String(flags.labels), 'labels')
    : [...new Set([...ref.values, ...cand.values])].sort((a, b) => a - b);
  const rows = labels.map((value) => {
    const m: LabelMetrics = compareRuns(ref.runs(value), cand.runs(value), ref.geometry, { tolerances, surface });
    const nsd: Record<string, number | null> = {};
    for (const t of tolerances) nsd[String(t)] = num(m.nsd[String(t)] ?? null);
    return {
      label: value,
      name: labelName(ref, cand, value),
      dice: num(m.dice),
      iou: num(m.iou),
      hd: num(m.hd),
      hd95: num(m.hd95),
      assd: num(m.assd),
      nsd,
      volume_reference_mm3: num(m.volume_reference_mm3),
      volume_candidate_mm3: num(m.volume_candidate_mm3),
      components_reference: m.components_reference,
      components_candidate: m.components_candidate,
    };
  });
  const side = (s: MaskInput) => ({ path: s.path, shape: s.geometry.shape, spacing: s.geometry.spacing });
  for (const w of [...ref.warnings.map((w) => `${refPath}: ${w}`), ...cand.warnings.map((w) => `${candPath}: ${w}`)]) err(`warning: ${neutralize(w)}\n`);
  if (flags.json) {
    out(JSON.stringify({ reference: side(ref), candidate: side(cand), surface, tolerances_mm: tolerances, labels: rows }) + '\n');
    return 0;
  }
  const unit = UNIT_SYMBOL[sizeUnits(ref.geometry)];
  const f = (x: number | null, d = 4) => (x === null ? '—' : String(+x.toFixed(d)));
  const header = ['label', 'dice', 'iou', 'hd', 'hd95', 'assd', ...tolerances.map((t) => `nsd@${t}`), `vol ref ${unit}`, `vol cand ${unit}`, 'cc ref', 'cc cand'];
  const table = rows.map((r) => [
    r.name ? `${r.label} ${neutralize(r.name)}` : String(r.label),
    f(r.dice), f(r.iou), f(r.hd), f(r.hd95), f(r.assd),
    ...tolerances.map((t) => f(r.nsd[String(t)])),
    f(r.volume_reference_mm3, 2), f(r.volume_candidate_mm3, 2),
    String(r.components_reference), String(r.components_candidate),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  out(`reference ${neutralize(refPath)} ${ref.geometry.shape.join('x')} @ ${ref.geometry.spacing.map((x) => +x.toFixed(4)).join('x')} mm\n`);
  out(`candidate ${neutralize(candPath)} ${cand.geometry.shape.join('x')}\nsurface: ${surface}; distances in mm\n\n`);
  out([line(header), ...table.map(line)].join('\n') + '\n');
  if (rows.length === 0) out('(no labels in either input)\n');
  return 0;
}
