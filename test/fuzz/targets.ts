/**
 * What the fuzzer feeds and through which entry points: seeds from test/fixtures (and examples/ for YAML), a
 * format-aware mutation, and a run through the real readers that checks what comes back.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync, inflateSync, deflateSync } from 'node:zlib';
import * as niftiReader from 'nifti-reader-js';
import { decode as fastPngDecode } from 'fast-png';
import type { Geometry, Segmentation } from '../../shared/model.js';
import { SegqcError } from '../../shared/errors.js';
import { readSegmentation } from '../../shared/formats/read.js';
import { readNiftiGeometry } from '../../shared/formats/nifti.js';
import { readImageGeometry } from '../../shared/formats/image-geometry.js';
import { encodeNifti } from '../../shared/formats/nifti-write.js';
import { parseLabelStudioExport } from '../../shared/formats/labelstudio.js';
import { discoverItems } from '../../shared/dataset/items.js';
import { memoryTree } from '../../shared/dataset/tree.js';
import { loadGuideline } from '../../shared/guideline/load.js';
import { parseConfig } from '../../shared/guideline/config.js';
import { type Mutated, concat, mutateBytes, mutateJson, mutateYaml, INTERESTING_FLOAT, INTERESTING_INT } from './mutate.js';
import type { Rng } from './prng.js';
import { pngChunk, pngIhdr, writePng, PNG_CHANNELS } from './png-writer.js';


/** A seed input. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** A format the fuzzer covers. */
export interface Target {
  name: string;
  seeds(): Seed[];
  mutate(seed: Seed, rng: Rng, all: Seed[]): Mutated;
  /** Runs the input through the readers, counting their answers; throws only what fails the oracle (see harness.ts). */
  run(bytes: Uint8Array, seed: Seed, tally: Tally): void;
}

/** A value a reader returned that cannot be right: reported as a failure like an untyped throw. */
export class InvariantError extends Error {}

/** How many entry-point calls returned a value and how many refused their input with a SegqcError. */
export interface Tally {
  accepted: number;
  refused: number;
}

/** Runs one entry point: its value, or null when it refused the input with a SegqcError; anything else propagates. */
function typed<T>(tally: Tally, fn: () => T): T | null {
  try {
    const v = fn();
    tally.accepted++;
    return v;
  } catch (e) {
    if (!(e instanceof SegqcError)) throw e;
    tally.refused++;
    return null;
  }
}

const root = process.env.SEGQC_ROOT ?? process.cwd();
const file = (p: string) => new Uint8Array(readFileSync(join(root, p)));
const files = (dir: string, re: RegExp) =>
  readdirSync(join(root, dir))
    .filter((f) => re.test(f))
    .sort()
    .map((f) => ({ name: f, bytes: file(`${dir}/${f}`) }));

function check(ok: boolean, what: string): void {
  if (!ok) throw new InvariantError(what);
}

/** What every geometry a reader returns must satisfy. */
export function checkGeometry(g: Geometry, where: string): void {
  check(g.shape.length === 3 && g.shape.every((x) => Number.isInteger(x) && x >= 1), `${where}: shape ${g.shape}`);
  check(g.spacing.every((x) => Number.isFinite(x) && x > 0), `${where}: spacing ${g.spacing}`);
  check(g.origin.every(Number.isFinite), `${where}: origin ${g.origin}`);
  check(g.direction.flat().every(Number.isFinite), `${where}: direction ${g.direction.flat()}`);
  for (const d of g.direction) check(Math.abs(Math.hypot(...d) - 1) < 1e-3, `${where}: direction not unit ${d}`);
}

/** What every segmentation a reader returns must satisfy: a sound grid, layers of its size, values that are there. */
export function checkSegmentation(s: Segmentation, where: string): void {
  checkGeometry(s.geometry, where);
  const n = s.geometry.shape[0] * s.geometry.shape[1] * s.geometry.shape[2];
  for (const [k, l] of s.layers.entries()) {
    check(l.data.length === n, `${where}: layer ${k} has ${l.data.length} voxels, the grid ${n}`);
    check(l.values.every((v, i) => Number.isInteger(v) && v > 0 && (i === 0 || v > l.values[i - 1])), `${where}: layer ${k} values ${l.values.slice(0, 8)}`);
    const present = new Set<number>();
    for (let i = 0; i < l.data.length; i++) if (l.data[i] !== 0) present.add(l.data[i]);
    check(present.size === l.values.length && l.values.every((v) => present.has(v)), `${where}: layer ${k} lists values ${l.values.slice(0, 8)} but holds ${[...present].slice(0, 8)}`);
  }
  for (const lab of s.labels) check(Number.isInteger(lab.value) && lab.value > 0, `${where}: label value ${lab.value}`);
}

// ---------- NIfTI

type FieldType = 'u8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64';

/** Header fields of NIfTI-1 and NIfTI-2: offset, type, name. */
const NIFTI1_FIELDS: Array<[number, FieldType, string]> = [
  [0, 'i32', 'sizeof_hdr'],
  ...Array.from({ length: 8 }, (_, i) => [40 + 2 * i, 'i16', `dim[${i}]`] as [number, 'i16', string]),
  [70, 'i16', 'datatype'],
  [72, 'i16', 'bitpix'],
  ...Array.from({ length: 8 }, (_, i) => [76 + 4 * i, 'f32', `pixdim[${i}]`] as [number, 'f32', string]),
  [108, 'f32', 'vox_offset'],
  [112, 'f32', 'scl_slope'],
  [116, 'f32', 'scl_inter'],
  [123, 'u8', 'xyzt_units'],
  [252, 'i16', 'qform_code'],
  [254, 'i16', 'sform_code'],
  ...['quatern_b', 'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z'].map((n, i) => [256 + 4 * i, 'f32', n] as [number, 'f32', string]),
  ...Array.from({ length: 12 }, (_, i) => [280 + 4 * i, 'f32', `srow_${'xyz'[i >> 2]}[${i & 3}]`] as [number, 'f32', string]),
];
const NIFTI2_FIELDS: Array<[number, FieldType, string]> = [
  [0, 'i32', 'sizeof_hdr'],
  [12, 'i16', 'datatype'],
  ...Array.from({ length: 8 }, (_, i) => [16 + 8 * i, 'i64', `dim[${i}]`] as [number, 'i64', string]),
  ...Array.from({ length: 8 }, (_, i) => [104 + 8 * i, 'f64', `pixdim[${i}]`] as [number, 'f64', string]),
  [168, 'i64', 'vox_offset'],
  [176, 'f64', 'scl_slope'],
  [184, 'f64', 'scl_inter'],
  [344, 'i32', 'qform_code'],
  [348, 'i32', 'sform_code'],
  ...['quatern_b', 'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z'].map((n, i) => [352 + 8 * i, 'f64', n] as [number, 'f64', string]),
  ...Array.from({ length: 12 }, (_, i) => [400 + 8 * i, 'f64', `srow_${'xyz'[i >> 2]}[${i & 3}]`] as [number, 'f64', string]),
  [500, 'i32', 'xyzt_units'],
];

/** A NIfTI-1 file (little-endian) rewritten as NIfTI-2: same voxels, same geometry. */
function toNifti2(b: Uint8Array): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const off = v.getFloat32(108, true);
  const body = b.subarray(off);
  const out = new Uint8Array(544 + body.length);
  const o = new DataView(out.buffer);
  o.setInt32(0, 540, true);
  out.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
  o.setInt16(12, v.getInt16(70, true), true);
  o.setInt16(14, v.getInt16(72, true), true);
  for (let i = 0; i < 8; i++) o.setBigInt64(16 + 8 * i, BigInt(v.getInt16(40 + 2 * i, true)), true);
  for (let i = 0; i < 8; i++) o.setFloat64(104 + 8 * i, v.getFloat32(76 + 4 * i, true), true);
  o.setBigInt64(168, 544n, true);
  o.setFloat64(176, v.getFloat32(112, true), true);
  o.setFloat64(184, v.getFloat32(116, true), true);
  o.setInt32(344, v.getInt16(252, true), true);
  o.setInt32(348, v.getInt16(254, true), true);
  for (let i = 0; i < 6; i++) o.setFloat64(352 + 8 * i, v.getFloat32(256 + 4 * i, true), true);
  for (let i = 0; i < 12; i++) o.setFloat64(400 + 8 * i, v.getFloat32(280 + 4 * i, true), true);
  o.setInt32(500, b[123], true);
  out.set(body, 544);
  return out;
}

function niftiSeeds(): Seed[] {
  const gz = [
    ...files('test/fixtures/nifti', /\.nii\.gz$/),
    ...files('test/fixtures/metrics', /^both_empty_gt\.nii\.gz$/),
    ...files('test/fixtures/peer-suites', /^(full_3x3x1_1x1x1mm|monai-dice-2x2-case1_ref)\.nii\.gz$/),
  ];
  const plain: Seed[] = [...gz.map((s) => ({ name: s.name.replace(/\.gz$/, ''), bytes: new Uint8Array(gunzipSync(s.bytes)) })), ...files('test/fixtures/nifti', /\.nii$/)];
  const oblique: Geometry = { shape: [5, 4, 3], spacing: [0.7, 0.8, 2.5], origin: [-120.5, 33.25, -80], direction: [[Math.cos(0.3), Math.sin(0.3), 0], [-Math.sin(0.3), Math.cos(0.3), 0], [0, 0, 1]], spacingKnown: true };
  const u16 = new Uint16Array(60).map((_, i) => (i % 7 === 0 ? 1000 + i : i % 3));
  plain.push({ name: 'oblique_uint16.nii', bytes: encodeNifti({ geometry: oblique, data: u16 }) });
  plain.push({ name: 'oblique_uint32.nii', bytes: encodeNifti({ geometry: oblique, data: new Uint32Array(60).map((_, i) => (i % 5 === 0 ? 70000 : 0)) }) });
  const le = plain.filter((s) => new DataView(s.bytes.buffer, s.bytes.byteOffset).getInt32(0, true) === 348);
  return [...plain, ...le.map((s) => ({ name: s.name.replace(/\.nii$/, '.nifti2.nii'), bytes: toNifti2(s.bytes) }))];
}

/** Sets one header field to an interesting value of its type, in the file's byte order. */
function mutateNiftiField(b: Uint8Array, rng: Rng): { bytes: Uint8Array; step: string } {
  if (b.length < 540) return mutateBytes(b, rng, 352);
  const out = b.slice();
  const v = new DataView(out.buffer);
  const two = v.getInt32(0, true) === 540 || v.getInt32(0, false) === 540;
  const le = v.getInt32(0, true) === 348 || v.getInt32(0, true) === 540;
  const [at, type, name] = rng.pick(two ? NIFTI2_FIELDS : NIFTI1_FIELDS);
  const floaty = type === 'f32' || type === 'f64';
  const x = floaty ? rng.pick(INTERESTING_FLOAT) : rng.pick(INTERESTING_INT);
  if (type === 'u8') out[at] = x & 0xff;
  else if (type === 'i16') v.setInt16(at, x, le);
  else if (type === 'i32') v.setInt32(at, x, le);
  else if (type === 'i64') v.setBigInt64(at, BigInt(Math.trunc(x)), le);
  else if (type === 'f32') v.setFloat32(at, x, le);
  else v.setFloat64(at, x, le);
  return { bytes: out, step: `set ${name} to ${x}` };
}

function mutateNifti(b: Uint8Array, rng: Rng, others: Uint8Array[]): Mutated {
  const steps: string[] = [];
  let bytes = b;
  const rounds = 1 + (rng.chance(0.3) ? rng.int(3) : 0);
  for (let i = 0; i < rounds; i++) {
    const r = rng.chance(0.5) ? mutateNiftiField(bytes, rng) : mutateBytes(bytes, rng, 352, others);
    bytes = r.bytes;
    steps.push(r.step);
  }
  return { bytes, steps };
}

/** A NIfTI the readers must take or refuse cleanly; what they take must agree with nifti-reader-js's header. */
function runNifti(bytes: Uint8Array, name: string, tally: Tally): void {
  const seg = typed(tally, () => readSegmentation(bytes, name));
  const g = typed(tally, () => readNiftiGeometry(bytes, name).geometry);
  if (g) checkGeometry(g, 'readNiftiGeometry');
  const img = typed(tally, () => readImageGeometry([{ bytes, file: name }]));
  if (img) checkGeometry(img, 'readImageGeometry');
  if (!seg) return;
  checkSegmentation(seg, 'readNifti');
  check(g !== null && JSON.stringify(g) === JSON.stringify(seg.geometry), 'the label map reads, but its header alone gives another geometry or none');
  let theirs: niftiReader.NIFTI1 | niftiReader.NIFTI2 | null = null;
  try {
    const raw = name.endsWith('.gz') ? new Uint8Array(gunzipSync(bytes)) : bytes;
    theirs = niftiReader.readHeader(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer);
  } catch {
    theirs = null;
  }
  if (theirs) {
    const ndim = theirs.dims[0];
    const shape = [theirs.dims[1], ndim >= 2 ? theirs.dims[2] : 1, ndim >= 3 ? theirs.dims[3] : 1];
    check(JSON.stringify(shape) === JSON.stringify(seg.geometry.shape), `shape ${seg.geometry.shape}, nifti-reader-js says ${shape}`);
  }
}

export const nifti: Target = {
  name: 'nifti',
  seeds: () => niftiSeeds(),
  mutate: (seed, rng, all) => mutateNifti(seed.bytes, rng, all.map((s) => s.bytes)),
  run: (bytes, seed, tally) => runNifti(bytes, seed.name.endsWith('.nii') ? seed.name : `${seed.name}.nii`, tally),
};

export const niftiGz: Target = {
  name: 'nifti-gz',
  seeds: () => niftiSeeds().map((s) => ({ name: `${s.name}.gz`, bytes: new Uint8Array(gzipSync(s.bytes)) })),
  mutate(seed, rng, all) {
    if (rng.chance(0.6)) {
      const m = mutateNifti(new Uint8Array(gunzipSync(seed.bytes)), rng, []);
      const level = rng.pick([0, 1, 6, 9]);
      let gz: Uint8Array = new Uint8Array(gzipSync(m.bytes, { level }));
      const steps = [...m.steps, `gzip level ${level}`];
      if (rng.chance(0.15)) {
        const r = mutateBytes(gz, rng, 16, []);
        gz = r.bytes;
        steps.push(`then ${r.step}`);
      } else if (rng.chance(0.1)) {
        gz = concat(gz, gz.subarray(0, rng.int(gz.length)));
        steps.push('append part of a second member');
      }
      return { bytes: gz, steps };
    }
    const r = mutateBytes(seed.bytes, rng, 16, all.map((s) => s.bytes));
    return { bytes: r.bytes, steps: [`compressed: ${r.step}`] };
  },
  run: (bytes, seed, tally) => runNifti(bytes, seed.name, tally),
};

// ---------- DICOM

/** VRs of the elements the SEG and image readers size things from, for files in implicit VR. */
const IMPLICIT_VR: Record<string, string> = {
  '00280010': 'US', '00280011': 'US', '00280100': 'US', '00280101': 'US', '00280102': 'US', '00280103': 'US', '00280002': 'US',
  '00280008': 'IS', '00280030': 'DS', '00200032': 'DS', '00200037': 'DS', '00180050': 'DS', '00180088': 'DS', '00201041': 'DS',
  '00620004': 'US', '0062000B': 'US', '0062000E': 'US', '00209157': 'UL', '00209057': 'UL', '00209056': 'UL', '00620001': 'CS',
  '00620013': 'CS', '00620010': 'CS', '00080016': 'UI', '00200013': 'IS', '00280004': 'CS',
};

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'UC', 'UR', 'OD', 'OL', 'OV', 'SV', 'UV']);

/** An element of a DICOM file: where its value lies and its VR (null when implicit and not in IMPLICIT_VR). */
interface Element {
  tag: string;
  vr: string | null;
  at: number;
  len: number;
}

/**
 * The elements of a Part 10 file, sequences included, found by walking its bytes (explicit or implicit VR little
 * endian), so that values can be changed in place without re-encoding the file.
 */
export function dicomElements(b: Uint8Array): Element[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Element[] = [];
  const isVr = (p: number) => p + 2 <= b.length && b[p] >= 65 && b[p] <= 90 && b[p + 1] >= 65 && b[p + 1] <= 90;
  let explicit = true;
  const walk = (p: number, end: number, depth: number): number => {
    while (p + 8 <= end && depth < 8) {
      const group = v.getUint16(p, true), el = v.getUint16(p + 2, true);
      const tag = `${group.toString(16).padStart(4, '0')}${el.toString(16).padStart(4, '0')}`.toUpperCase();
      if (group === 0xfffe) {
        const len = v.getUint32(p + 4, true);
        if (el === 0xe0dd || el === 0xe00d) return p + 8;
        const start = p + 8;
        p = len === 0xffffffff ? walk(start, end, depth + 1) : (walk(start, Math.min(end, start + len), depth + 1), start + len);
        continue;
      }
      const ex = group === 0x0002 || explicit;
      let vr: string | null, len: number, at: number;
      if (ex && isVr(p + 4)) {
        vr = String.fromCharCode(b[p + 4], b[p + 5]);
        if (LONG_VRS.has(vr)) {
          if (p + 12 > end) return end;
          len = v.getUint32(p + 8, true);
          at = p + 12;
        } else {
          len = v.getUint16(p + 6, true);
          at = p + 8;
        }
      } else {
        vr = IMPLICIT_VR[tag] ?? null;
        len = v.getUint32(p + 4, true);
        at = p + 8;
      }
      const seq = vr === 'SQ' || (vr === null && (len === 0xffffffff || (at + 4 <= end && v.getUint16(at, true) === 0xfffe && v.getUint16(at + 2, true) === 0xe000)));
      if (seq) {
        p = len === 0xffffffff ? walk(at, end, depth + 1) : (walk(at, Math.min(end, at + len), depth + 1), at + len);
        continue;
      }
      if (len === 0xffffffff) return end;
      if (tag !== '7FE00010') out.push({ tag, vr, at, len });
      p = at + len;
      if (group === 0x0002 && p + 8 <= end && v.getUint16(p, true) !== 0x0002) explicit = isVr(p + 4);
    }
    return p;
  };
  if (b.length > 132) walk(132, b.length, 0);
  return out.filter((e) => e.at + e.len <= b.length);
}

const NUMERIC_STRINGS = ['0', '-1', 'NaN', '1e999', '-1e99', '65536', '4294967296', '1\\2', 'x', '0\\0\\0\\0\\0\\0', '1e-320', '', '2147483648'];

/** Changes one element's value in place (same length): numbers to interesting values, strings to odd numerals. */
function mutateDicomElement(b: Uint8Array, rng: Rng): { bytes: Uint8Array; step: string } | null {
  const elements = dicomElements(b).filter((e) => e.len > 0);
  if (elements.length === 0) return null;
  // Favour the elements the readers size things from.
  const known = elements.filter((e) => IMPLICIT_VR[e.tag]);
  const e = known.length && rng.chance(0.7) ? rng.pick(known) : rng.pick(elements);
  const out = b.slice();
  const v = new DataView(out.buffer);
  const sizes: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 };
  const size = e.vr ? sizes[e.vr] : undefined;
  if (size) {
    const at = e.at + size * rng.int(Math.max(1, Math.floor(e.len / size)));
    if (at + size > e.at + e.len) return null;
    const x = e.vr === 'FL' || e.vr === 'FD' ? rng.pick(INTERESTING_FLOAT) : rng.pick(INTERESTING_INT);
    if (size === 2) v.setUint16(at, x & 0xffff, true);
    else if (e.vr === 'FL') v.setFloat32(at, x, true);
    else if (e.vr === 'FD') v.setFloat64(at, x, true);
    else v.setUint32(at, x >>> 0, true);
    return { bytes: out, step: `set (${e.tag.slice(0, 4)},${e.tag.slice(4)}) ${e.vr} at ${at} to ${x}` };
  }
  const text = rng.pick(NUMERIC_STRINGS).padEnd(e.len, ' ').slice(0, e.len);
  out.set(new TextEncoder().encode(text), e.at);
  return { bytes: out, step: `set (${e.tag.slice(0, 4)},${e.tag.slice(4)}) ${e.vr ?? '??'} to ${JSON.stringify(text.trim())}` };
}

const DICOM_SEGS = /\.dcm$/;

let series: Array<{ bytes: Uint8Array; file: string }> | null = null;
/** The CT series a mutated member is read with (read once). */
const ctSeries = () => (series ??= files('test/fixtures/dicom-ct-series', DICOM_SEGS).map((s) => ({ bytes: s.bytes, file: s.name })));

export const dicom: Target = {
  name: 'dicom',
  seeds: () => [
    ...files('test/fixtures/dicom-seg', DICOM_SEGS),
    ...files('test/fixtures/dcmqi-23x38x3', DICOM_SEGS),
    ...files('test/fixtures/dicom-images', DICOM_SEGS),
    ...files('test/fixtures/dicom-ct-series', DICOM_SEGS).map((s) => ({ ...s, name: `series/${s.name}` })),
  ],
  mutate(seed, rng, all) {
    const steps: string[] = [];
    let bytes = seed.bytes;
    const rounds = 1 + (rng.chance(0.3) ? rng.int(2) : 0);
    for (let i = 0; i < rounds; i++) {
      const e = rng.chance(0.6) ? mutateDicomElement(bytes, rng) : null;
      const r = e ?? mutateBytes(bytes, rng, 1024, all.map((s) => s.bytes));
      bytes = r.bytes;
      steps.push(r.step);
    }
    return { bytes, steps };
  },
  run(bytes, seed, tally) {
    const seg = typed(tally, () => readSegmentation(bytes, seed.name));
    if (seg) checkSegmentation(seg, 'readDicomSeg');
    const series = seed.name.startsWith('series/') ? ctSeries().filter((s) => s.file !== seed.name.slice(7)) : [];
    const g = typed(tally, () => readImageGeometry([{ bytes, file: seed.name }, ...series]));
    if (g) checkGeometry(g, 'readImageGeometry');
  },
};

// ---------- Label Studio

export const labelstudio: Target = {
  name: 'labelstudio',
  seeds: () => [
    ...files('test/fixtures/labelstudio', /\.json$/),
    ...files('test/fixtures/bad-input', /^ls_brush_rle_value_out_of_byte_range\.json$/),
  ],
  mutate: (seed, rng, all) => mutateJson(new TextDecoder().decode(seed.bytes), rng, all.map((s) => s.bytes)),
  run(bytes, seed, tally) {
    const labelValues = { Liver: 1, Tumor: 2 };
    const text = new TextDecoder().decode(bytes);
    const tasks = typed(tally, () => parseLabelStudioExport(text, seed.name, { labelValues, spacingField: 'pixel_spacing' }));
    for (const t of tasks ?? []) for (const a of [...t.annotations, ...t.predictions]) checkSegmentation(a.segmentation, 'parseLabelStudioExport');
    // The export reader (compare) and the dataset check read the same annotation alike.
    const shapeOf = (seg: Segmentation) => JSON.stringify([seg.geometry.shape, seg.geometry.spacing, seg.layers.map((l) => [l.id, l.values]), seg.labels]);
    const byId = new Map<string, string | null>();
    for (const t of tasks ?? []) for (const a of t.annotations) byId.set(a.id, byId.has(a.id) ? null : shapeOf(a.segmentation));
    const seg = typed(tally, () => readSegmentation(bytes, seed.name, { labelValues }));
    if (seg) checkSegmentation(seg, 'readSegmentation');
    // The dataset check reads exports on its own path: every annotation loads or fails with a SegqcError.
    const tree = memoryTree({ [`exports/${seed.name}`]: bytes });
    const { items } = discoverItems(tree, [{ format: 'labelstudio', path: 'exports/*.json', spacing: 'pixel_spacing' }], { labelValues });
    for (const item of items) {
      for (const p of [...item.annotations, ...(item.reference ? [item.reference] : [])]) {
        const a = typed(tally, () => p.load());
        if (!a) continue;
        checkSegmentation(a.segmentation, 'dataset load');
        const other = a.id === null ? null : byId.get(a.id);
        if (other) check(other === shapeOf(a.segmentation), `annotation ${a.id}: the dataset check reads ${shapeOf(a.segmentation).slice(0, 200)}, the export reader ${other.slice(0, 200)}`);
      }
    }
  },
};

// ---------- PNG

function pngSeeds(): Seed[] {
  const out: Seed[] = files('test/fixtures/bad-input', /^png_adam7.*\.png$/);
  let k = 0;
  for (const [colorType, depths] of [[0, [1, 2, 4, 8, 16]], [3, [1, 2, 4, 8]], [4, [8, 16]], [2, [8, 16]], [6, [8, 16]]] as Array<[number, number[]]>) {
    for (const depth of depths) {
      for (const interlace of [false, true]) {
        const w = 3 + (k % 7), h = 2 + (k % 5);
        k++;
        const ch = PNG_CHANNELS[colorType];
        const max = 2 ** depth - 1;
        const samples = new Array<number>(w * h * ch);
        for (let i = 0; i < w * h; i++) {
          const g = (i * 7 + k) % 3 === 0 ? 0 : (i * 13 + k) % (max + 1);
          for (let c = 0; c < ch; c++) samples[i * ch + c] = (colorType === 4 && c === 1) || (colorType === 6 && c === 3) ? 255 : g;
        }
        out.push({ name: `ct${colorType}_d${depth}_${interlace ? 'adam7' : 'plain'}.png`, bytes: writePng(w, h, depth, colorType, samples, interlace, (r) => (r * 3 + k) % 5) });
      }
    }
  }
  return out;
}

interface Chunk {
  type: string;
  data: Uint8Array;
}

function pngChunks(b: Uint8Array): Chunk[] | null {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Chunk[] = [];
  for (let p = 8; p + 12 <= b.length; ) {
    const len = v.getUint32(p);
    if (p + 12 + len > b.length) return null;
    out.push({ type: String.fromCharCode(...b.subarray(p + 4, p + 8)), data: b.subarray(p + 8, p + 8 + len) });
    p += 12 + len;
  }
  return out;
}

const pngFile = (chunks: Chunk[]) => new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks.map((c) => pngChunk(c.type, c.data))]));

/** PNG mutations with the chunks' CRCs made right, so they reach the decoder: IHDR fields, image data, chunk order. */
function mutatePng(b: Uint8Array, rng: Rng, others: Uint8Array[]): Mutated {
  const chunks = pngChunks(b);
  const kind = rng.int(10);
  if (!chunks || chunks.length === 0 || kind >= 8) {
    const r = mutateBytes(b, rng, 64, others);
    return { bytes: r.bytes, steps: [`raw: ${r.step}`] };
  }
  const ihdr = chunks.find((c) => c.type === 'IHDR');
  if (kind < 3 && ihdr && ihdr.data.length === 13) {
    const d = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, 13);
    const w = d.getUint32(0), h = d.getUint32(4);
    const field = rng.int(6);
    const big = [0, 1, 2, 7, 8, 9, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
    const nw = field === 0 ? rng.pick(big) : w, nh = field === 1 ? rng.pick(big) : h;
    const depth = field === 2 ? rng.pick([0, 1, 2, 3, 4, 8, 16, 32]) : ihdr.data[8];
    const ct = field === 3 ? rng.pick([0, 1, 2, 3, 4, 5, 6, 7]) : ihdr.data[9];
    const il = field === 4 ? rng.pick([0, 1, 2]) : ihdr.data[12];
    const data = pngIhdr(nw, nh, depth, ct, il === 1);
    if (field === 4) data[12] = il;
    if (field === 5) data[10 + rng.int(2)] = rng.pick([1, 255]);
    ihdr.data = data;
    return { bytes: pngFile(chunks), steps: [`IHDR ${w}x${h} → ${nw}x${nh}, depth ${depth}, colour type ${ct}, interlace ${il}${field === 5 ? ', compression/filter method changed' : ''}`] };
  }
  if (kind < 6) {
    const idat = chunks.filter((c) => c.type === 'IDAT');
    let raw: Uint8Array;
    try {
      raw = new Uint8Array(inflateSync(concat(...idat.map((c) => c.data))));
    } catch {
      const r = mutateBytes(b, rng, 64, others);
      return { bytes: r.bytes, steps: [`raw: ${r.step}`] };
    }
    const r = mutateBytes(raw, rng, 0, []);
    const first = chunks.findIndex((c) => c.type === 'IDAT');
    const rest = chunks.filter((c) => c.type !== 'IDAT');
    rest.splice(Math.max(0, first), 0, { type: 'IDAT', data: new Uint8Array(deflateSync(r.bytes)) });
    return { bytes: pngFile(rest), steps: [`image data (inflated): ${r.step}`] };
  }
  const at = rng.int(chunks.length);
  const k = rng.int(3);
  if (k === 0) chunks.splice(at, 1);
  else if (k === 1) chunks.splice(rng.int(chunks.length + 1), 0, chunks[at]);
  else chunks.splice(at, 0, { type: rng.pick(['tEXt', 'tRNS', 'PLTE', 'IEND', 'IDAT', 'zzzz']), data: new Uint8Array(rng.int(20)).fill(rng.int(256)) });
  return { bytes: pngFile(chunks), steps: [`${['delete', 'duplicate', 'insert before'][k]} chunk ${at} (${chunks[at]?.type ?? 'end'})`] };
}

export const png: Target = {
  name: 'png',
  seeds: pngSeeds,
  mutate: (seed, rng, all) => {
    const m = mutatePng(seed.bytes, rng, all.map((s) => s.bytes));
    if (rng.chance(0.2)) {
      const m2 = mutatePng(m.bytes, rng, []);
      return { bytes: m2.bytes, steps: [...m.steps, ...m2.steps] };
    }
    return m;
  },
  run(bytes, seed, tally) {
    const g = typed(tally, () => readImageGeometry([{ bytes, file: seed.name }], [0.5, 0.5]));
    if (g) checkGeometry(g, 'readImageGeometry');
    const seg = typed(tally, () => readSegmentation(bytes, seed.name));
    if (!seg) return;
    checkSegmentation(seg, 'readPng');
    // Where fast-png also decodes (it misreads interlaced images below 8 bits), the pixels must agree.
    const interlaced = bytes[28] === 1, depth = bytes[24], colorType = bytes[25];
    if (interlaced && depth < 8) return;
    let theirs: ReturnType<typeof fastPngDecode>;
    try {
      theirs = fastPngDecode(bytes);
    } catch {
      return;
    }
    const w = seg.geometry.shape[0];
    const ch = theirs.channels;
    const stride = Math.ceil((w * ch * theirs.depth) / 8);
    const data = seg.layers[0].data;
    for (let i = 0; i < data.length; i++) {
      const x = i % w, y = Math.floor(i / w);
      let v: number;
      if (theirs.depth >= 8) v = theirs.data[i * ch];
      else {
        const bit = x * ch * theirs.depth;
        v = (theirs.data[y * stride + (bit >> 3)] >> (8 - theirs.depth - (bit & 7))) & ((1 << theirs.depth) - 1);
      }
      check(v === data[i], `pixel ${x},${y} is ${data[i]}, fast-png reads ${v} (colour type ${colorType}, depth ${depth})`);
    }
  },
};

// ---------- YAML

export const yaml: Target = {
  name: 'yaml',
  seeds: () => [
    ...files('guidelines/examples', /\.ya?ml$/).map((s) => ({ ...s, name: `guideline/${s.name}` })),
    ...['liver-ct', 'pathology'].flatMap((d) => [
      { name: `guideline/${d}.yaml`, bytes: file(`examples/${d}/guideline.yaml`) },
      { name: `config/${d}.yaml`, bytes: file(`examples/${d}/segqc.yaml`) },
    ]),
  ],
  mutate: (seed, rng, all) => mutateYaml(new TextDecoder().decode(seed.bytes), rng, all.map((s) => s.bytes)),
  run(bytes, seed, tally) {
    const text = new TextDecoder().decode(bytes);
    typed(tally, () => loadGuideline(text, seed.name));
    typed(tally, () => parseConfig(text, seed.name));
  },
};

export const TARGETS: Target[] = [nifti, niftiGz, dicom, labelstudio, png, yaml];
