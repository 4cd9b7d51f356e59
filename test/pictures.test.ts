/** The pictures of the review page: orientation, slice choice, rendering, PNG encoding, bounds, escaping and privacy. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { readImageVolume } from '../shared/pictures/image-volume.js';
import { convertIndexedToRgb, decode as decodePng, encode as encodeFastPng } from 'fast-png';
import type { Geometry, Segmentation, Vec3 } from '../shared/model.js';
import { axisGeometry } from '../shared/model.js';
import { sliceView, viewRect } from '../shared/pictures/orientation.js';
import { renderSlice, NEUTRAL, type Rgb } from '../shared/pictures/render.js';
import { encodePng } from '../shared/pictures/png-encode.js';
import { areaBySlice, differenceBox, differenceBySlice, findingSlice, largestDifference, largestSlice } from '../shared/pictures/slice-choice.js';
import { chooseWindow, percentileWindow } from '../shared/pictures/window.js';
import { DEFAULT_PICTURE_OPTIONS, PictureCollector, firstRanked, type PictureSide } from '../shared/pictures/item-pictures.js';
import { pageCollector, pagePictures } from '../shared/pictures/page.js';
import { renderReviewPage, itemAnchor, base64 } from '../shared/report/html-page.js';
import { agreementMatrix } from '../shared/report/agreement-matrix.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { readNiftiImage } from '../shared/formats/nifti.js';
import { readPngImage } from '../shared/formats/png.js';
import { memoryTree } from '../shared/dataset/tree.js';
import { checkDataset } from '../shared/dataset/check.js';
import { parseConfig, picturesConfig } from '../shared/guideline/config.js';
import { parseGuideline } from '../shared/guideline/load.js';
import type { Guideline } from '../shared/guideline/types.js';
import { SegqcError } from '../shared/errors.js';

const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
const colour = (v: number): Rgb => (v === 1 ? RED : BLUE);

function seg(g: Geometry, data: Uint8Array, path = 'm.nii.gz'): Segmentation {
  const values = [...new Set(data)].filter((v) => v > 0).sort((a, b) => a - b);
  return { path, format: 'nifti', geometry: g, layers: [{ data, values }], labels: values.map((value) => ({ value, name: null })), warnings: [] };
}

/** Centroid (x, y) of the picture's pixels of one colour. */
function centroid(rgba: Uint8Array, w: number, c: Rgb): [number, number] {
  let sx = 0, sy = 0, n = 0;
  for (let p = 0; p < rgba.length / 4; p++) {
    if (rgba[p * 4] === c[0] && rgba[p * 4 + 1] === c[1] && rgba[p * 4 + 2] === c[2]) {
      sx += p % w;
      sy += Math.floor(p / w);
      n++;
    }
  }
  expect(n, `pixels of colour ${c}`).toBeGreaterThan(0);
  return [sx / n, sy / n];
}

/**
 * An asymmetric phantom: a 40×30×3 grid with direction `dir`; label 1 is a 4×4 block at the voxels nearest the
 * patient's left (largest LPS x), label 2 one at the most anterior voxels (smallest LPS y), or superior (largest z)
 * when `second` says so, both on slice 1.
 */
function phantom(dir: [Vec3, Vec3, Vec3], second: 'anterior' | 'superior', shape: Vec3 = [40, 30, 3]): Segmentation {
  const g: Geometry = { ...axisGeometry(shape, [1, 1, 1]), direction: dir };
  const [nx, ny] = shape;
  const data = new Uint8Array(nx * ny * shape[2]);
  const at = (i: number, j: number, a: number) => dir[0][a] * i + dir[1][a] * j;
  const corner = (score: (i: number, j: number) => number) => {
    let best: [number, number] = [0, 0];
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (score(i, j) > score(...best)) best = [i, j];
    return best;
  };
  // Patient left: largest x, ties broken toward the middle of the other axis.
  const left = corner((i, j) => at(i, j, 0) * 1000 - Math.abs(at(i, j, 1) - at(nx / 2, ny / 2, 1)) - Math.abs(at(i, j, 2) - at(nx / 2, ny / 2, 2)));
  const other = corner((i, j) =>
    second === 'anterior' ? -at(i, j, 1) * 1000 - Math.abs(at(i, j, 0) - at(nx / 2, ny / 2, 0)) : at(i, j, 2) * 1000 - Math.abs(at(i, j, 0) - at(nx / 2, ny / 2, 0)) - Math.abs(at(i, j, 1) - at(nx / 2, ny / 2, 1)),
  );
  const block = ([ci, cj]: [number, number], v: number) => {
    for (let j = Math.max(0, cj - 3); j <= Math.min(ny - 1, cj + 3); j++)
      for (let i = Math.max(0, ci - 3); i <= Math.min(nx - 1, ci + 3); i++) if (Math.abs(i - ci) < 4 && Math.abs(j - cj) < 4) data[nx * ny + j * nx + i] = v;
  };
  block(left, 1);
  block(other, 2);
  return seg(g, data);
}

function rendered(s: Segmentation) {
  const view = sliceView(s.geometry);
  const rgba = renderSlice(view, null, [{ seg: s, k: 1, values: [1, 2], style: 'solid', colour }]);
  return { view, rgba, red: centroid(rgba, view.width, RED), blue: centroid(rgba, view.width, BLUE) };
}

describe('orientation: radiological convention from the direction cosines', () => {
  it('axial, stored as LPS (identity): patient left on the image right, anterior up', () => {
    const { view, red, blue } = rendered(phantom([[1, 0, 0], [0, 1, 0], [0, 0, 1]], 'anterior'));
    expect(view.plane).toBe('axial');
    expect(view.edges).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
    expect(red[0]).toBeGreaterThan(view.width * 0.85);
    expect(Math.abs(red[1] - view.height / 2)).toBeLessThan(view.height * 0.1);
    expect(blue[1]).toBeLessThan(view.height * 0.15);
  });

  it('axial, stored as RAS (i toward the right, j toward anterior): flipped back to the same picture', () => {
    const { view, red, blue } = rendered(phantom([[-1, 0, 0], [0, -1, 0], [0, 0, 1]], 'anterior'));
    expect(red[0]).toBeGreaterThan(view.width * 0.85);
    expect(blue[1]).toBeLessThan(view.height * 0.15);
    // The voxel at i = 0 is the patient's leftmost (x = origin − 0): it lands in the image's right column.
    expect(viewRect(view, [0, 0, 0, 0]).x).toBeGreaterThan(view.width - view.width / 40 - 1);
  });

  it('axial with i and j swapped (i toward posterior, j toward the left): transposed', () => {
    const { view, red, blue } = rendered(phantom([[0, 1, 0], [1, 0, 0], [0, 0, -1]], 'anterior', [30, 40, 3]));
    expect(view.plane).toBe('axial');
    expect(view.horizontal.axis).toBe(1);
    expect(red[0]).toBeGreaterThan(view.width * 0.85);
    expect(blue[1]).toBeLessThan(view.height * 0.15);
  });

  it('coronal (k toward posterior, j toward inferior): patient left on the right, superior up', () => {
    const { view, red, blue } = rendered(phantom([[1, 0, 0], [0, 0, -1], [0, 1, 0]], 'superior'));
    expect(view.plane).toBe('coronal');
    expect(view.edges).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' });
    expect(red[0]).toBeGreaterThan(view.width * 0.85);
    expect(blue[1]).toBeLessThan(view.height * 0.15);
  });

  it('sagittal (k toward the left, i toward anterior, j toward superior): anterior on the left, superior up', () => {
    const s = phantom([[0, -1, 0], [0, 0, 1], [1, 0, 0]], 'superior');
    const view = sliceView(s.geometry);
    expect(view.plane).toBe('sagittal');
    expect(view.edges).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
    // Anterior (smallest y) is i = 39 here: it must be in the leftmost column; superior (j = 29) in the top row.
    expect(viewRect(view, [39, 0, 39, 0]).x).toBeLessThan(1);
    expect(viewRect(view, [0, 29, 0, 29]).y).toBeLessThan(1);
    const blue = centroid(renderSlice(view, null, [{ seg: s, k: 1, values: [2], style: 'solid', colour }]), view.width, BLUE);
    expect(blue[1]).toBeLessThan(view.height * 0.15);
  });

  it('square millimetres per pixel, at most 512 pixels, at least 384 for a small grid', () => {
    const wide = sliceView(axisGeometry([1024, 700, 1], [0.5, 0.5, 1]));
    expect([wide.width, wide.height]).toEqual([512, 350]);
    const aniso = sliceView(axisGeometry([100, 50, 10], [1, 2, 3]));
    expect(aniso.width).toBe(aniso.height);
    expect(aniso.width).toBe(384);
    expect(aniso.pixelSize).toBeCloseTo(100 / 384, 6);
  });
});

describe('slice choice', () => {
  const g = axisGeometry([10, 10, 10]);
  const base = new Uint8Array(1000);
  const head = new Uint8Array(1000);
  // Base: a 4x4 block on every slice. Head: the same, plus 10 voxels on slice 3 and 40 on slice 7.
  for (let k = 0; k < 10; k++) for (let j = 2; j < 6; j++) for (let i = 2; i < 6; i++) base[k * 100 + j * 10 + i] = head[k * 100 + j * 10 + i] = 1;
  for (let x = 0; x < 10; x++) head[300 + 80 + x] = 2;
  for (let x = 0; x < 40; x++) head[700 + 60 + x] = 1;
  // On slice 9, three voxels of the block change label (1 → 2): three changed voxels, not six.
  for (const x of [922, 923, 924]) head[x] = 2;

  it('the largest change between base and head, counted per slice', () => {
    const counts = differenceBySlice(seg(g, base), seg(g, head));
    expect([...counts]).toEqual([0, 0, 0, 10, 0, 0, 0, 40, 0, 3]);
    expect(largestSlice(counts)).toBe(7);
    expect(differenceBox(seg(g, base), seg(g, head), 7)).toEqual([0, 6, 9, 9]);
  });

  it('one layer per label (Label Studio regions) counts the same as a label map', () => {
    const layered = (d: Uint8Array): Segmentation => ({
      ...seg(g, d),
      layers: [1, 2].map((v) => ({ data: Uint8Array.from(d, (x) => (x === v ? v : 0)), values: [v] })),
    });
    expect([...differenceBySlice(layered(base), layered(head))]).toEqual([...differenceBySlice(seg(g, base), seg(g, head))]);
  });

  it('largestDifference agrees with a naive count on random masks (label maps and layers, odd widths)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (const shape of [[13, 7, 5], [16, 16, 1], [9, 5, 3]] as Vec3[]) {
      const gg = axisGeometry(shape);
      const n = shape[0] * shape[1] * shape[2];
      const a = Uint8Array.from({ length: n }, () => (rnd() < 0.3 ? 1 + Math.floor(rnd() * 3) : 0));
      const b = Uint8Array.from(a, (v) => (rnd() < 0.1 ? Math.floor(rnd() * 4) : v));
      const plane = shape[0] * shape[1];
      const per = Array.from({ length: shape[2] }, (_, k) => a.slice(k * plane, (k + 1) * plane).filter((v, x) => v !== b[k * plane + x]).length);
      const k = per.indexOf(Math.max(...per));
      const xs = [...Array(plane).keys()].filter((x) => a[k * plane + x] !== b[k * plane + x]);
      const box = [Math.min(...xs.map((x) => x % shape[0])), Math.min(...xs.map((x) => Math.floor(x / shape[0]))), Math.max(...xs.map((x) => x % shape[0])), Math.max(...xs.map((x) => Math.floor(x / shape[0])))];
      const layered = (d: Uint8Array): Segmentation => ({ ...seg(gg, d), layers: [1, 2, 3].map((v) => ({ data: Uint8Array.from(d, (x) => (x === v ? v : 0)), values: [v] })) });
      for (const [x, y] of [[seg(gg, a), seg(gg, b)], [layered(a), layered(b)]]) {
        const got = largestDifference(x, y)!;
        expect(got.total).toBe(per.reduce((s2, c) => s2 + c, 0));
        expect(got.count).toBe(per[got.k]);
        expect(per[got.k]).toBe(per[k]);
        if (got.k === k) expect(got.box).toEqual(box);
      }
    }
  });

  it('ties go to the middle of the run', () => {
    expect(largestSlice(Int32Array.from([0, 5, 5, 5, 0]))).toBe(2);
    expect(largestSlice(Int32Array.from([0, 0]))).toBeNull();
  });

  it('a finding is shown on the slice of its box where its label covers most of the box', () => {
    const d = new Uint8Array(1000);
    // The small component: 1 voxel on slice 4, 6 on slice 5, 2 on slice 6.
    d[400 + 11] = 1;
    for (const x of [11, 12, 13, 21, 22, 23]) d[500 + x] = 1;
    d[600 + 11] = d[600 + 12] = 1;
    const s = seg(g, d);
    expect(findingSlice({ bbox: [1, 1, 4, 3, 2, 6], slices: [4, 6], slice: 5 }, s, [1])).toBe(5);
    expect(findingSlice({ bbox: [1, 1, 4, 3, 2, 6], slices: [4, 6], slice: 5 }, s, [2])).toBe(5);
    const only6 = new Uint8Array(1000);
    only6[600 + 11] = 1;
    expect(findingSlice({ bbox: [1, 1, 4, 3, 2, 6], slices: [4, 6], slice: 5 }, seg(g, only6), [1])).toBe(6);
    expect([...areaBySlice(s)]).toEqual([0, 0, 0, 0, 1, 6, 2, 0, 0, 0]);
  });
});

describe('PNG encoding', () => {
  const raster = (w: number, h: number, f: (x: number, y: number) => Rgb) => {
    const out = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.set([...f(x, y), 255], (y * w + x) * 4);
    return out;
  };
  const decoded = (png: Uint8Array) => {
    const d = decodePng(png);
    const rgb = d.palette ? convertIndexedToRgb(d) : d.data;
    return { d, rgb: Uint8Array.from(rgb) };
  };
  const rgbOf = (rgba: Uint8Array) => Uint8Array.from(rgba.filter((_, i) => i % 4 !== 3));

  it('few colours: an 8-bit palette PNG that decodes (fast-png) to the same pixels', () => {
    const rgba = raster(37, 23, (x, y) => ((x * y) % 3 === 0 ? RED : (x + y) % 5 === 0 ? BLUE : NEUTRAL));
    const { d, rgb } = decoded(encodePng(rgba, 37, 23));
    expect(d.palette).toBeDefined();
    expect([d.width, d.height]).toEqual([37, 23]);
    expect(rgb).toEqual(rgbOf(rgba));
  });

  it('many colours: filtered RGB that decodes to the same pixels', () => {
    const rgba = raster(64, 48, (x, y) => [x * 4, y * 5, (x * y) % 256]);
    const { d, rgb } = decoded(encodePng(rgba, 64, 48));
    expect(d.palette).toBeUndefined();
    expect(d.channels).toBe(3);
    expect(rgb).toEqual(rgbOf(rgba));
  });
});

describe('images under the masks', () => {
  it('CT gets the abdomen window W400/L40 unless the config sets one; others the 1st–99th percentiles', () => {
    expect(chooseWindow('CT', null, []).window).toEqual({ low: -160, high: 240 });
    expect(chooseWindow('CT', { width: 1500, level: -600 }, []).window).toEqual({ low: -1350, high: 150 });
    const values = Float32Array.from({ length: 1001 }, (_, i) => i);
    expect(percentileWindow([values])).toEqual({ low: 10, high: 990 });
    expect(chooseWindow('MR', null, [values]).window).toEqual({ low: 10, high: 990 });
  });

  it('a NIfTI image reads as its values, slice by slice', () => {
    const g = axisGeometry([3, 2, 2]);
    const data = Int16Array.from([-1000, 0, 40, 100, 200, 300, 7, 8, 9, 10, 11, -12]);
    const img = readNiftiImage(encodeNifti({ geometry: g, data }, { gzip: true }), 'ct.nii.gz');
    expect([...img.slice(1)]).toEqual([7, 8, 9, 10, 11, -12]);
  });

  it('a colour PNG reads as RGB, a 16-bit grey one as its values', () => {
    const rgb = readPngImage(encodeFastPng({ width: 2, height: 1, data: Uint8Array.from([10, 20, 30, 40, 50, 60]), channels: 3, depth: 8 }), 'a.png');
    expect(rgb.channels).toBe(3);
    expect([...rgb.samples]).toEqual([10, 20, 30, 40, 50, 60]);
    const grey = readPngImage(encodeFastPng({ width: 2, height: 1, data: Uint16Array.from([1000, 65535]), channels: 1, depth: 16 }), 'b.png');
    expect([...grey.samples]).toEqual([1000, 65535]);
  });
});

const GUIDELINE_TEXT = `schema_version: 1
id: t
version: 1.0.0
title: T
modalities: [CT]
labels:
  - name: Organ
    value: 1
    color: "#00ff00"
    contiguous_slices: true
  - name: "Lesion <img src=x onerror=alert(1)>"
    value: 2
    color: "#ff0000"
    inside: Organ
`;

/** An item whose lesion pokes out of the organ on slices 5–6, with a gap in the organ at slice 8. */
function dataset(ids: string[], opts: { pictures?: string } = {}) {
  const g = axisGeometry([32, 24, 12], [1, 1, 2]);
  const files: Record<string, Uint8Array | string> = {
    'guideline.yaml': GUIDELINE_TEXT,
    'segqc.yaml': `guideline: guideline.yaml\nsources:\n  - format: nifti\n    path: "labels/*.nii.gz"\n    images: "images/{id}.nii.gz"\n${opts.pictures ?? ''}`,
  };
  for (const id of ids) {
    const d = new Uint8Array(32 * 24 * 12);
    const img = new Int16Array(32 * 24 * 12).fill(-1000);
    for (let k = 1; k < 11; k++)
      for (let j = 4; j < 20; j++)
        for (let i = 4; i < 20; i++) {
          img[k * 768 + j * 32 + i] = 50;
          if (k !== 8) d[k * 768 + j * 32 + i] = 1;
        }
    for (let k = 5; k < 7; k++) for (let j = 10; j < 13; j++) for (let i = 16; i < 24; i++) d[k * 768 + j * 32 + i] = 2;
    files[`labels/${id}.nii.gz`] = encodeNifti({ geometry: g, data: d }, { gzip: true });
    files[`images/${id}.nii.gz`] = encodeNifti({ geometry: g, data: img }, { gzip: true });
  }
  const tree = memoryTree(files);
  const config = parseConfig(files['segqc.yaml'] as string, 'segqc.yaml');
  const guideline: Guideline = parseGuideline(GUIDELINE_TEXT, 'guideline.yaml');
  return { tree, config, guideline };
}

function checkPage(ids: string[], opts: { pictures?: string; maxBytes?: number } = {}) {
  const { tree, config, guideline } = dataset(ids, opts);
  const collector = pageCollector(picturesConfig(config), guideline, opts.maxBytes ? { maxBytes: opts.maxBytes } : {});
  const sides: PictureSide[] = [];
  const report = checkDataset(tree, config, guideline, {
    guidelinePath: 'guideline.yaml',
    configPath: 'segqc.yaml',
    toolVersion: 'test',
    onItem: (it) => {
      sides.push({ ...it, tree });
      collector?.addCheckItem({ ...it, tree });
    },
  });
  const pictures = pagePictures(collector);
  return { report, pictures, html: renderReviewPage({ report, pictures }), sides, guideline };
}

describe('the pictures of an item', () => {
  it('containment.outside: pictured on a slice of the outside voxels, its region boxed over them', () => {
    const { report, pictures } = checkPage(['case1']);
    const f = report.items[0].findings.find((x) => x.rule === 'containment.outside')!;
    expect(f).toBeDefined();
    const item = pictures.enabled ? pictures.items.get('case1')! : null;
    const pic = item!.pictures.find((p) => p.boxes.some((b) => b.rule === 'containment.outside'))!;
    expect(pic.where).toMatch(/^axial slice [56] /);
    // Outside voxels: i 20–23 (the organ ends at i = 19), j 10–12; 1 mm pixels on a 32 mm wide grid → 12 px/mm.
    const box = pic.boxes.find((b) => b.rule === 'containment.outside')!;
    const ppm = pic.width / 32;
    expect(box.x).toBeLessThanOrEqual(20 * ppm);
    expect(box.x + box.w).toBeGreaterThanOrEqual(24 * ppm);
    expect(box.y).toBeLessThanOrEqual(10 * ppm);
    expect(box.y + box.h).toBeGreaterThanOrEqual(13 * ppm);
    expect(pic.background).toMatch(/^image images\/case1\.nii\.gz, window CT W400\/L40$/);
    expect(Math.max(pic.width, pic.height)).toBeLessThanOrEqual(512);
  });

  it('slices.gap: pictured on the empty slice, with the slice before it dotted', () => {
    const { pictures } = checkPage(['case1']);
    const pic = pictures.enabled ? pictures.items.get('case1')!.pictures.find((p) => p.title.includes('slices.gap')) : undefined;
    expect(pic?.where).toMatch(/^axial slice 8 /);
    expect(pic?.styles.map((s) => s.style)).toEqual(['ghost', 'solid']);
    expect(pic?.styles[0].name).toBe('slice 7, before the gap');
  });

  it('at most max-items items are pictured, worst first; the rest are listed', () => {
    const { html, pictures } = checkPage(['a', 'b', 'c', 'd'], { pictures: 'pictures:\n  max-items: 2\n' });
    expect(pictures.enabled && [...pictures.items.keys()].sort()).toEqual(['a', 'b']);
    for (const id of ['a', 'b', 'c', 'd']) expect(html).toContain(`id="${itemAnchor(id)}"`);
    expect(html.match(/Not pictured: the page pictures the first 2 items/g)).toHaveLength(2);
  });

  it('past the byte budget, the worst items keep their pictures and the rest are listed', () => {
    const one = checkPage(['a']);
    const bytes = one.pictures.enabled ? one.pictures.items.get('a')!.pictures.reduce((s, p) => s + p.png.length, 0) : 0;
    const { pictures, html } = checkPage(['a', 'b', 'c'], { maxBytes: bytes * 2 + 10 });
    expect(pictures.enabled && [...pictures.items.keys()]).toEqual(['a', 'b']);
    expect(pictures.enabled && pictures.over).toEqual(['c']);
    expect(html).toContain('Not pictured: the pictures would make the page too large.');
  });

  it('pictures: false: tables only, not one pixel of the dataset', () => {
    const { html, report } = checkPage(['a'], { pictures: 'pictures: false\n' });
    expect(report.items[0].findings.length).toBeGreaterThan(0);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('base64');
    expect(html).toContain('No pictures: pictures: false in segqc.yaml.');
    expect(html).toContain('containment.outside');
  });
});

describe('the page', () => {
  it('escapes and neutralizes everything from the dataset', () => {
    const { html } = checkPage(['x<script>alert(1)<\\script>"\u202e']);
    expect(html).not.toMatch(/<script|<img src=x|onerror=alert\(1\)>/);
    expect(html).toContain('Lesion &lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<h3>x&lt;script&gt;alert(1)&lt;\\script&gt;&quot;\\u{202E} ');
    expect(html).not.toContain('\u202e');
  });

  it('item anchors are safe ids and fragments, one per id', () => {
    expect(itemAnchor('ct_001')).toBe('item-ct_001');
    expect(itemAnchor('a b/"c"~')).toBe('item-a~20~b~2f~~22~c~22~~7e~');
    expect(itemAnchor('a~20~b')).not.toBe(itemAnchor('a b'));
    expect(itemAnchor('é')).toBe('item-~e9~');
    expect(encodeURIComponent(itemAnchor('a b/"c"~'))).toBe(itemAnchor('a b/"c"~'));
  });

  it('base64 matches Node', () => {
    for (const n of [0, 1, 2, 3, 10000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255);
      expect(base64(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });

  it('the agreement matrix averages Dice per pair of annotators', () => {
    const m = agreementMatrix([
      { agreement: [{ label: 'L', a: 'r1', b: 'r2', dice: 0.8, nsd: null, hd95: null }, { label: 'T', a: 'r2', b: 'r1', dice: 0.6, nsd: null, hd95: null }] },
      { agreement: [{ label: 'L', a: 'r1', b: 'r2', dice: 1, nsd: null, hd95: null }, { label: 'L', a: 'reference', b: 'r1', dice: 0.5, nsd: null, hd95: null }] },
    ]);
    expect(m.names).toEqual(['reference', 'r1', 'r2']);
    expect(m.dice[1][2]).toBeCloseTo(0.8, 12);
    expect(m.dice[2][1]).toBeCloseTo(0.8, 12);
    expect(m.counts[1][2]).toBe(3);
    expect(m.dice[0][1]).toBe(0.5);
    expect(m.dice[0][2]).toBeNull();
  });
});

describe('pictures in segqc.yaml', () => {
  const base = 'guideline: g.yaml\nsources:\n  - { format: png, path: "m/*.png" }\n';
  it('defaults, false, and an object', () => {
    expect(picturesConfig(parseConfig(base, 'segqc.yaml'))).toEqual({ enabled: true, max_items: 50, window: null });
    expect(parseConfig(`${base}pictures: false\n`, 'segqc.yaml').pictures).toEqual({ enabled: false, max_items: 50, window: null });
    expect(parseConfig(`${base}pictures:\n  max-items: 5\n  window: { width: 1500, level: -600 }\n`, 'segqc.yaml').pictures).toEqual({ enabled: true, max_items: 5, window: { width: 1500, level: -600 } });
    expect(DEFAULT_PICTURE_OPTIONS.maxItems).toBe(50);
  });
  it('a bad value is a located config error', () => {
    expect(() => parseConfig(`${base}pictures:\n  window: { width: -1, level: 0 }\n`, 'segqc.yaml')).toThrow(SegqcError);
    expect(() => parseConfig(`${base}pictures: sometimes\n`, 'segqc.yaml')).toThrow(/pictures/);
  });
});

it('a collector with max-items 0 draws nothing', () => {
  const { sides, guideline } = checkPage(['a']);
  const c = new PictureCollector({ ...DEFAULT_PICTURE_OPTIONS, guideline, maxItems: 0 });
  for (const s of sides) c.addCheckItem(s);
  expect(c.stats.sampled).toBe(0);
  expect(c.result().items.size).toBe(0);
});

it('shares drawn where they were sampled (worker threads) and merged give the pictures of one collector, not drawn again', () => {
  const { sides, guideline } = checkPage(['a', 'b', 'c', 'd', 'e']);
  const options = { ...DEFAULT_PICTURE_OPTIONS, guideline, maxItems: 3 };
  const one = new PictureCollector(options);
  for (const s of sides) one.addCheckItem(s);
  const expected = one.result();
  expect(expected.items.size).toBe(3);
  const workers = [new PictureCollector(options), new PictureCollector(options)];
  sides.forEach((s, i) => workers[i % 2].addCheckItem(s));
  const shown = new Set(firstRanked(workers.flatMap((w) => w.keptItems()), 3).map((k) => k.item.id));
  expect(shown).toEqual(new Set(expected.items.keys()));
  const drawn = workers.flatMap((w) => w.drawKept(shown));
  expect(drawn.map((d) => d.id).sort()).toEqual([...shown].sort());
  const page = new PictureCollector(options);
  for (const w of workers) page.merge(w.keptItems());
  page.useDrawn(drawn);
  const got = page.result();
  expect([...got.items.keys()]).toEqual([...expected.items.keys()]);
  for (const [id, pics] of got.items) {
    expect(pics).toBe(drawn.find((d) => d.id === id));
    expect(pics).toEqual(expected.items.get(id));
  }
});

describe('DICOM images under the masks', () => {
  const fx = join(__dirname, 'fixtures');
  const series = readdirSync(join(fx, 'dicom-ct-series')).map((f) => ({ file: `images/ct2/${f}`, bytes: new Uint8Array(readFileSync(join(fx, 'dicom-ct-series', f))) }));

  it('a CT series reads as rescaled values, slice by slice along the normal (compared with dcmjs)', () => {
    const v = readImageVolume(series);
    expect(v.modality).toBe('CT');
    expect(v.geometry.shape).toEqual([16, 16, 4]);
    const decoded = series
      .map(({ bytes }) => {
        const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(bytes.slice().buffer).dict) as any;
        const raw = ds.PixelRepresentation === 1 ? new Int16Array(ds.PixelData[0]) : new Uint16Array(ds.PixelData[0]);
        return { z: Number(ds.ImagePositionPatient[2]), values: Array.from(raw, (x) => x * Number(ds.RescaleSlope ?? 1) + Number(ds.RescaleIntercept ?? 0)) };
      })
      .sort((a, b) => a.z - b.z);
    decoded.forEach((d, k) => expect([...v.slice(k)]).toEqual(d.values));
  });

  it('a DICOM SEG checked against its series is pictured over the CT, windowed W400/L40', () => {
    const files: Record<string, Uint8Array | string> = {
      'guideline.yaml': 'schema_version: 1\nid: seg-test\nversion: 1.0.0\ntitle: SEG test\nlabels:\n  - name: Liver\n    value: 1\n    required: true\n',
      'segqc.yaml': 'guideline: guideline.yaml\nsources:\n  - format: dicom-seg\n    path: seg/*.dcm\n    images: images/{id}/*.dcm\n',
      'seg/ct2.dcm': new Uint8Array(readFileSync(join(fx, 'dicom-seg/seg_image_ct_binary.dcm'))),
    };
    for (const s of series) files[s.file] = s.bytes;
    const tree = memoryTree(files);
    const config = parseConfig(files['segqc.yaml'] as string, 'segqc.yaml');
    const guideline = parseGuideline(files['guideline.yaml'] as string, 'guideline.yaml');
    const collector = pageCollector(picturesConfig(config), guideline)!;
    const report = checkDataset(tree, config, guideline, { guidelinePath: 'guideline.yaml', configPath: 'segqc.yaml', toolVersion: 'test', onItem: (it) => collector.addCheckItem({ ...it, tree }) });
    expect(report.items[0].findings.map((f) => f.rule)).toContain('label.unknown');
    const pics = collector.result().items.get('ct2')!.pictures;
    const unknown = pics.find((p) => p.boxes.some((b) => b.rule === 'label.unknown'))!;
    expect(unknown.background).toMatch(/^image images\/ct2\/\d+\.dcm, window CT W400\/L40$/);
    expect(unknown.where).toMatch(/^axial slice [0-3] \(of 0–3\)$/);
  });
});
