/** Reading without holding the map: gunzip through a sink, NIfTI straight into label runs, and Node's zlib as inflater. */
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { gunzipBounded, gunzipTo } from '../shared/formats/gzip.js';
import { readNifti, readNiftiRuns } from '../shared/formats/nifti.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { maskRuns, type MaskRuns } from '../shared/metrics/surface.js';
import { axisGeometry, type Geometry } from '../shared/model.js';
import { SegqcError } from '../shared/errors.js';
import { nodeInflate } from '../node/inflate.js';
import { prng } from './fuzz/prng.js';

const rng = (seed: number) => prng(seed).next;

/** A label map of runs: mostly background, runs of random values (128 and 255 included) and lengths. */
function labelMap(n: number, seed: number, values: number[]): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const len = 1 + Math.floor(r() * (r() < 0.1 ? 300 : 12));
    const v = r() < 0.55 ? 0 : values[Math.floor(r() * values.length)];
    out.fill(v, i, Math.min(n, i + len));
    i += len;
  }
  return out;
}

/** The output of gunzipTo, collected, with the sink using a random share of what it is offered each time. */
function collect(bytes: Uint8Array, max: number, window: number, seed: number): { out: Uint8Array; total: number } {
  const r = rng(seed);
  const parts: number[] = [];
  const total = gunzipTo(bytes, 'x.gz', max, (buf, from, to) => {
    const used = r() < 0.3 ? 0 : Math.floor(r() * (to - from + 1));
    for (let i = from; i < from + used; i++) parts.push(buf[i]);
    return used;
  }, window);
  return { out: Uint8Array.from(parts), total };
}

/** The error a call throws, as code and message; null when it returns. */
function errorOf(fn: () => unknown): { code: string; message: string } | null {
  try {
    fn();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(SegqcError);
    return { code: (e as SegqcError).code, message: (e as SegqcError).message };
  }
}

const runsOf = (m: MaskRuns) => ({
  box: m.box,
  count: m.count,
  n: m.n,
  row: [...m.row.subarray(0, m.n)],
  start: [...m.start.subarray(0, m.n)],
  end: [...m.end.subarray(0, m.n)],
});

describe('gunzipTo', () => {
  it('hands over exactly the bytes gunzipBounded returns, whatever the window and however much the sink takes', () => {
    const data = labelMap(300_000, 1, [1, 2, 7, 128, 255]);
    for (const level of [0, 1, 9]) {
      const gz = gzipSync(data, { level });
      for (const window of [1024, 40_000, 1 << 18]) {
        const { out, total } = collect(gz, 1 << 22, window, level * 7 + window);
        expect(total).toBe(data.length);
        // The sink took a random share; what was left was offered again until the end, so the collected prefix is data's.
        expect(out.length).toBeGreaterThan(0);
        expect(Buffer.compare(Buffer.from(out), Buffer.from(data.subarray(0, out.length)))).toBe(0);
      }
    }
  });

  it('reads concatenated members and ignores fewer than 4 trailing bytes, as gunzipBounded does', () => {
    const a = labelMap(50_000, 2, [3]), b = labelMap(70_000, 3, [4, 5]);
    const two = Buffer.concat([gzipSync(a), gzipSync(b), Buffer.from([1, 2, 3])]);
    let got = 0;
    const seen: number[] = [];
    const total = gunzipTo(two, 'two.gz', 1 << 20, (buf, from, to) => {
      for (let i = from; i < to; i++) seen.push(buf[i]);
      got += to - from;
      return to - from;
    }, 4096);
    expect(total).toBe(a.length + b.length);
    expect(got).toBe(total);
    expect(Buffer.compare(Buffer.from(seen), Buffer.concat([a, b]))).toBe(0);
    expect(gunzipBounded(two, 'two.gz', 1 << 20).length).toBe(total);
  });

  it('stops with the same typed errors as gunzipBounded: truncated, corrupt, over the limit', () => {
    const data = labelMap(200_000, 4, [1, 2]);
    const gz = gzipSync(data);
    const corrupt = Buffer.from(gz);
    corrupt[20] ^= 0xff;
    corrupt[21] ^= 0x5a;
    const cases: Array<[Uint8Array, number]> = [
      [gz.subarray(0, gz.length - 40), 1 << 20],
      [gz.subarray(0, 12), 1 << 20],
      [corrupt, 1 << 20],
      [gz, data.length - 1],
    ];
    for (const [bytes, max] of cases) {
      const want = errorOf(() => gunzipBounded(bytes, 'x.gz', max));
      expect(want).not.toBeNull();
      expect(errorOf(() => collect(bytes, max, 4096, 5))).toEqual(want);
    }
  });
});

describe('readNiftiRuns', () => {
  const grids: Array<[string, Geometry]> = [
    ['odd 37x5x7', axisGeometry([37, 5, 7], [0.7, 0.8, 2.5])],
    ['2D 129x33', axisGeometry([129, 33, 1], [0.5, 0.5, 1])],
    ['wide 600x3x2', axisGeometry([600, 3, 2], [1, 1, 1])],
  ];
  for (const [name, g] of grids) {
    it(`gives each label the runs maskRuns finds in the map readNifti reads (${name}, .nii and .nii.gz)`, () => {
      const n = g.shape[0] * g.shape[1] * g.shape[2];
      const data = labelMap(n, n, [1, 2, 9, 128, 255]);
      const raw = encodeNifti({ geometry: g, data });
      // A copy at an odd offset of a larger buffer: word reads must not assume alignment.
      const shifted = new Uint8Array(raw.length + 3);
      shifted.set(raw, 3);
      for (const bytes of [raw, shifted.subarray(3), encodeNifti({ geometry: g, data }, { gzip: true })]) {
        const seg = readNifti(bytes, 'm.nii');
        const got = readNiftiRuns(bytes, 'm.nii');
        expect(got).not.toBeNull();
        expect(got!.geometry).toEqual(seg.geometry);
        expect(got!.warnings).toEqual(seg.warnings);
        expect([...got!.runs.keys()]).toEqual(seg.layers[0].values);
        for (const v of seg.layers[0].values) {
          expect(runsOf(got!.runs.get(v)!)).toEqual(runsOf(maskRuns({ data: seg.layers[0].data, value: v }, g.shape)));
        }
      }
    });
  }

  it('counts every voxel of a label that fills whole rows, and a map with no labels has none', () => {
    const g = axisGeometry([64, 4, 3], [1, 1, 1]);
    const data = new Uint8Array(64 * 12);
    data.fill(5, 64 * 5, 64 * 7);
    const got = readNiftiRuns(encodeNifti({ geometry: g, data }, { gzip: true }), 'rows.nii.gz')!;
    const five = got.runs.get(5)!;
    expect(five.count).toBe(128);
    expect(five.box).toEqual([0, 1, 1, 63, 2, 1]);
    expect(readNiftiRuns(encodeNifti({ geometry: g, data: new Uint8Array(64 * 12) }), 'empty.nii')!.runs.size).toBe(0);
  });

  it('leaves other datatypes to readNifti and fails like it on a truncated or oversized file', () => {
    const g = axisGeometry([20, 10, 4], [1, 1, 1]);
    expect(readNiftiRuns(encodeNifti({ geometry: g, data: new Uint16Array(800).fill(300) }), 'u16.nii')).toBeNull();
    const gz = encodeNifti({ geometry: g, data: labelMap(800, 6, [1, 2]) }, { gzip: true });
    const raw = encodeNifti({ geometry: g, data: labelMap(800, 6, [1, 2]) });
    for (const [bytes, limits] of [
      [gz.subarray(0, gz.length - 30), undefined],
      [raw.subarray(0, raw.length - 5), undefined],
      [raw, { maxVoxels: 799 }],
    ] as const) {
      const want = errorOf(() => readNifti(bytes, 'cut.nii', limits));
      expect(want).not.toBeNull();
      expect(errorOf(() => readNiftiRuns(bytes, 'cut.nii', limits))).toEqual(want);
    }
  });
});

describe("Node's zlib as the inflater", () => {
  const g = axisGeometry([50, 40, 6], [1, 1, 2]);
  const data = labelMap(12_000, 7, [1, 2, 3]);
  const gz = Buffer.from(encodeNifti({ geometry: g, data }, { gzip: true }));

  it('reads the same map as the built-in inflater', () => {
    const a = readNifti(gz, 'a.nii.gz');
    const b = readNifti(gz, 'a.nii.gz', undefined, nodeInflate);
    expect(b.layers[0].values).toEqual(a.layers[0].values);
    expect(Buffer.compare(Buffer.from(b.layers[0].data as Uint8Array), Buffer.from(a.layers[0].data as Uint8Array))).toBe(0);
  });

  it('answers like the built-in inflater where zlib alone would not: several members, a bad CRC, data cut short', () => {
    const half = gz.length >> 1;
    const badCrc = Buffer.from(gz);
    badCrc[badCrc.length - 6] ^= 0xff;
    const raw = Buffer.from(encodeNifti({ geometry: g, data }));
    const members = Buffer.concat([gzipSync(raw.subarray(0, 5000)), gzipSync(raw.subarray(5000))]);
    const trailing = Buffer.concat([gz, Buffer.from('garbage after the member')]);
    for (const bytes of [badCrc, members, trailing, gz.subarray(0, half)]) {
      const pure = errorOf(() => readNifti(bytes, 'b.nii.gz'));
      const zlib = errorOf(() => readNifti(bytes, 'b.nii.gz', undefined, nodeInflate));
      expect(zlib).toEqual(pure);
      if (pure === null) {
        expect(readNifti(bytes, 'b.nii.gz', undefined, nodeInflate).layers[0].data).toEqual(readNifti(bytes, 'b.nii.gz').layers[0].data);
      }
    }
    // The bad CRC and the two members are read (the built-in inflater does not check CRCs); the cut file is not.
    expect(errorOf(() => readNifti(badCrc, 'b.nii.gz', undefined, nodeInflate))).toBeNull();
    expect(errorOf(() => readNifti(members, 'b.nii.gz', undefined, nodeInflate))).toBeNull();
    expect(errorOf(() => readNifti(gz.subarray(0, half), 'b.nii.gz', undefined, nodeInflate))?.code).toBe('format.truncated');
  });
});
