/** The one mask model every reader returns and every metric and rule consumes. */

export type Vec3 = [number, number, number];

/** Names of the readers; also the `format` values of `segqc.yaml` sources. */
export type FormatName = 'nifti' | 'dicom-seg' | 'labelstudio' | 'png';

/**
 * A voxel grid in patient space. Voxel (i, j, k), i fastest in memory, has its centre at
 * origin + i·spacing[0]·direction[0] + j·spacing[1]·direction[1] + k·spacing[2]·direction[2], in LPS millimetres.
 */
export interface Geometry {
  shape: Vec3;
  spacing: Vec3;
  origin: Vec3;
  /** Unit vectors of the i, j and k axes in LPS. */
  direction: [Vec3, Vec3, Vec3];
  /** False when no physical spacing is known (a 2D task without a spacing field): sizes are then in pixels. */
  spacingKnown: boolean;
  /** Slice positions along the normal, in mm, when a DICOM series is unevenly spaced. */
  unevenSlicePositions?: number[];
}

/** A coded concept such as SNOMED CT `10200004` "Liver". */
export interface CodedConcept {
  scheme: string;
  code: string;
  meaning: string;
}

/** What a label value means in one segmentation. */
export interface LabelInfo {
  value: number;
  name: string | null;
  color?: string;
  concept?: CodedConcept;
}

/**
 * One layer of voxels: a voxel belongs to label L of this layer when data[i] === L (0 is background).
 * A label map is one layer holding many labels; separate masks (DICOM SEG segments, Label Studio regions,
 * several NIfTI files) are one layer each, so they may overlap.
 */
export interface MaskLayer {
  data: Uint8Array | Uint16Array | Uint32Array;
  /** Label values present in this layer (non-zero), ascending. */
  values: number[];
  /** The region or segment this layer came from, when it has an identity (Label Studio region id, SEG segment number). */
  id?: string;
}

/** A segmentation read from one file (or one Label Studio annotation). */
export interface Segmentation {
  /** File the segmentation came from, as given to the reader. */
  path: string;
  format: FormatName;
  geometry: Geometry;
  layers: MaskLayer[];
  labels: LabelInfo[];
  /** Non-fatal observations of the reader (qform/sform disagreement, uneven slices, binarization threshold). */
  warnings: string[];
}

/** A grid whose third dimension is 1 is 2D (pass a Geometry, or `{ shape }`). */
export const is2D = (g: { shape: Vec3 }): boolean => g.shape[2] === 1;

/** A grid on the patient axes (identity direction) with known spacing. */
export const axisGeometry = (shape: Vec3, spacing: Vec3 = [1, 1, 1], origin: Vec3 = [0, 0, 0]): Geometry => ({
  shape,
  spacing,
  origin,
  direction: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  spacingKnown: true,
});

export const voxelCount = (g: Geometry): number => g.shape[0] * g.shape[1] * g.shape[2];

/** Limits applied by readers before they allocate. */
export interface ReadLimits {
  /** Largest number of voxels a reader will allocate for one mask. */
  maxVoxels: number;
}

export const DEFAULT_LIMITS: ReadLimits = { maxVoxels: 1024 * 1024 * 1024 };

/**
 * The voxels of one label as a 0/1 mask: the layer's data itself is not copied when a single layer holds the label
 * (callers pass `value` to the metric functions), else the union of the layers holding it.
 */
export function labelLayer(seg: Segmentation, value: number): { data: MaskLayer['data']; value: number } | null {
  const holders = seg.layers.filter((l) => l.values.includes(value));
  if (holders.length === 0) return null;
  if (holders.length === 1) return { data: holders[0].data, value };
  const n = voxelCount(seg.geometry);
  const out = new Uint8Array(n);
  for (const l of holders) {
    const d = l.data;
    for (let i = 0; i < n; i++) if (d[i] === value) out[i] = 1;
  }
  return { data: out, value: 1 };
}

/** Every label value present in any layer, ascending. */
export function presentValues(seg: Segmentation): number[] {
  const s = new Set<number>();
  for (const l of seg.layers) for (const v of l.values) s.add(v);
  return [...s].sort((a, b) => a - b);
}
