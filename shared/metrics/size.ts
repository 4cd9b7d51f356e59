/** The units of sizes on a grid: mm³ in 3D, mm² in 2D, pixels when the spacing is unknown. One rule for every surface. */
import type { Geometry } from '../model.js';
import { is2D } from '../model.js';
import { voxelVolume } from './bbox.js';

/** Units of sizes in a geometry, as the report's `units` key spells them. */
export type SizeUnits = 'mm3' | 'mm2' | 'px';

export const sizeUnits = (g: Geometry): SizeUnits => (!g.spacingKnown ? 'px' : is2D(g) ? 'mm2' : 'mm3');

/** mm³ (mm² in 2D) of one voxel; 1 when the spacing is unknown. */
export const voxelSize = (g: Geometry): number => (!g.spacingKnown ? 1 : voxelVolume(g));

/** The size of a count of voxels, in the geometry's units. */
export const sizeOf = (voxels: number, g: Geometry): number => voxels * voxelSize(g);

/** How each unit is written in tables and headers. */
export const UNIT_SYMBOL: Record<SizeUnits, string> = { mm3: 'mm³', mm2: 'mm²', px: 'px' };
