/** Deterministic synthetic data for benchmarks: a CT-like two-label pair and Label Studio brush masks. */
import type { Geometry } from '../shared/model.js';
import { axisGeometry } from '../shared/model.js';
import { prng } from '../test/fuzz/prng.js';

/** Small deterministic PRNG (mulberry32). */
export const rng = (seed: number): (() => number) => prng(seed).next;

export const ctGeometry = (nx = 512, ny = 512, nz = 96): Geometry => axisGeometry([nx, ny, nz], [0.7, 0.7, 2.5]);

/**
 * An organ (label 1, an ellipsoid of about 300k voxels with a wavy surface) and a small lesion inside it (label 2),
 * in mm around the volume's centre; `variant` perturbs the radii and the wave so two raters differ at the boundary.
 */
export function ctLabelMap(variant: number, g: Geometry = ctGeometry()): Uint8Array {
  const [nx, ny, nz] = g.shape;
  const [sx, sy, sz] = g.spacing;
  const out = new Uint8Array(nx * ny * nz);
  const r = rng(1000 + variant);
  const ra = 52 + r() * 1.5, rb = 40 + r() * 1.5, rc = 56 + r() * 2;
  const phase = r() * Math.PI * 2;
  const cx = nx * sx * 0.45, cy = ny * sy * 0.5, cz = nz * sz * 0.5;
  const lx = cx + 18 + r() * 0.6, ly = cy - 6, lz = cz + 5, lr = 6.5 + r() * 0.4;
  const k0 = Math.max(0, Math.floor((cz - rc * 1.1) / sz)), k1 = Math.min(nz - 1, Math.ceil((cz + rc * 1.1) / sz));
  const j0 = Math.max(0, Math.floor((cy - rb * 1.1) / sy)), j1 = Math.min(ny - 1, Math.ceil((cy + rb * 1.1) / sy));
  const i0 = Math.max(0, Math.floor((cx - ra * 1.1) / sx)), i1 = Math.min(nx - 1, Math.ceil((cx + ra * 1.1) / sx));
  for (let k = k0; k <= k1; k++) {
    const z = k * sz - cz;
    for (let j = j0; j <= j1; j++) {
      const y = j * sy - cy;
      const row = (k * ny + j) * nx;
      for (let i = i0; i <= i1; i++) {
        const x = i * sx - cx;
        const wave = 1 + 0.04 * Math.sin(x * 0.15 + phase) * Math.cos(z * 0.1 + phase);
        const e = (x * x) / (ra * ra) + (y * y) / (rb * rb) + (z * z) / (rc * rc);
        if (e <= wave) {
          const dx = i * sx - lx, dy = j * sy - ly, dz = k * sz - lz;
          out[row + i] = dx * dx + dy * dy + dz * dz <= lr * lr ? 2 : 1;
        }
      }
    }
  }
  return out;
}

/** A 2D alpha mask (0 or 255, with an anti-aliased rim of intermediate values) of a few blobs, as a brush stroke. */
export function brushAlpha(width: number, height: number, seed: number): Uint8Array {
  const a = new Uint8Array(width * height);
  const r = rng(seed);
  const blobs = 3;
  for (let b = 0; b < blobs; b++) {
    const cx = (0.2 + 0.6 * r()) * width, cy = (0.2 + 0.6 * r()) * height, rad = (0.05 + 0.08 * r()) * Math.min(width, height);
    const y0 = Math.max(0, Math.floor(cy - rad - 2)), y1 = Math.min(height - 1, Math.ceil(cy + rad + 2));
    const x0 = Math.max(0, Math.floor(cx - rad - 2)), x1 = Math.min(width - 1, Math.ceil(cx + rad + 2));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - rad;
        const v = d <= -1 ? 255 : d >= 1 ? 0 : Math.round(((1 - d) / 2) * 255);
        const p = y * width + x;
        if (v > a[p]) a[p] = v;
      }
    }
  }
  return a;
}

export const brainGeometry = (n = 256): Geometry => axisGeometry([n, n, n], [1, 1, 1]);

/**
 * A brain-like label map in mm around the centre: white matter (label 2) inside a wavy cortex shell (label 1) about
 * 3 mm thick, with two ventricles (label 3); `variant` perturbs radii and folds so two raters differ at every boundary.
 */
export function brainLabelMap(variant: number, g: Geometry = brainGeometry()): Uint8Array {
  const [nx, ny, nz] = g.shape;
  const [sx, sy, sz] = g.spacing;
  const out = new Uint8Array(nx * ny * nz);
  const r = rng(2000 + variant);
  const ra = 68 + r() * 1.2, rb = 84 + r() * 1.2, rc = 60 + r() * 1.2;
  const phase = r() * Math.PI * 2;
  const shell = 3 + r() * 0.3;
  const cx = nx * sx * 0.5, cy = ny * sy * 0.5, cz = nz * sz * 0.5;
  const vr = 7 + r() * 0.5, vx = 9 + r() * 0.5;
  for (let k = 0; k < nz; k++) {
    const z = k * sz - cz;
    for (let j = 0; j < ny; j++) {
      const y = j * sy - cy;
      const row = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++) {
        const x = i * sx - cx;
        const e = Math.sqrt((x * x) / (ra * ra) + (y * y) / (rb * rb) + (z * z) / (rc * rc));
        if (e > 1.1) continue;
        const fold = 0.035 * Math.sin(x * 0.21 + phase) * Math.sin(y * 0.17 - phase) * Math.cos(z * 0.19 + phase);
        const outer = 1 + fold;
        if (e > outer) continue;
        const inner = outer - shell / Math.min(ra, rb, rc) - 0.5 * fold;
        if (e > inner) {
          out[row + i] = 1;
          continue;
        }
        const ax = Math.abs(x) - vx, vy = y / 2.6, vz = (z - 6) / 1.2;
        out[row + i] = ax * ax + vy * vy + vz * vz <= vr * vr ? 3 : 2;
      }
    }
  }
  return out;
}
