/** A container and an inner mask of `voxels` voxels whose edits are recorded, with the memo the containment rule keeps between checks. */
import { maskEdits, trackMask } from '../shared/rules/mask-edits.js';

export function trackedPair(voxels: number) {
  const edits = maskEdits();
  const memo = new WeakMap<object, Map<string, unknown>>();
  const outerBuf = new Uint8Array(voxels);
  const innerBuf = new Uint8Array(voxels);
  trackMask(edits, outerBuf);
  trackMask(edits, innerBuf);
  return { edits, memo, outerBuf, innerBuf };
}
