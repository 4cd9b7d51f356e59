/**
 * A pull request's brush masks reused from one item to the next (a worker's batch, or `analyzePullRequest` without
 * `onItem`): every item's diff is what fresh masks give, and what the masks' own squares say.
 */
import { describe, expect, it } from 'vitest';
import { loadDatasetContext } from '../shared/dataset/context.js';
import { analyzePullRequest, planPullRequest, type ChangedFile, type PullRequestInput } from '../shared/dataset/pull-request.js';
import { diffBatch, pullRequestBatches } from '../shared/dataset/pull-request-batch.js';
import { MaskRecycler } from '../shared/formats/mask-recycler.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import type { ItemDiff } from '../shared/report/diff.js';
import { MemoryGitRepository } from './memory-git.js';

const W = 40, H = 30;
const GUIDELINE = `schema_version: 1
id: buffers
version: 1.0.0
title: Reused masks
labels:
  - name: Liver
    value: 1
    color: "#d2691e"
  - name: Tumour
    value: 2
    color: "#ff0000"
`;
const CONFIG = 'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: exports/*.json\n    spacing: pixel_spacing\n';

/** A square of `size` pixels across from (x0, y0). */
function square(x0: number, y0: number, size: number): Uint8Array {
  const a = new Uint8Array(W * H);
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) a[y * W + x] = 255;
  return a;
}

/** Task `id`: a liver square of `liver` pixels across, and on some tasks a tumour square. */
function task(id: number, liver: number) {
  const region = (rid: string, mask: Uint8Array, label: string) => ({
    id: rid, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: W, original_height: H, image_rotation: 0,
    value: { format: 'rle', rle: encodeBrushRle(mask, W, H), brushlabels: [label] },
  });
  const result = [region(`l${id}`, square(1 + (id % 5), 2, liver), 'Liver')];
  if (id % 2 === 0) result.push(region(`t${id}`, square(30, 20, 3 + (id % 3)), 'Tumour'));
  return { id, data: { image: `/data/upload/1/tile_${id}.png`, pixel_spacing: [0.5, 0.5] }, annotations: [{ id: id * 10, completed_by: 1, result }] };
}

const IDS = [1, 2, 3, 4, 5, 6, 7, 8];
/** The liver's side on the base (6 + id % 4) and on the head (tasks 3 and 6 grow by `grow` pixels). */
const side = (id: number, head: boolean, grow: number) => 6 + (id % 4) + (head && (id === 3 || id === 6) ? grow : 0);

function pullRequest(grow: number): PullRequestInput {
  const repo = new MemoryGitRepository();
  const baseSha = repo.commit({ 'segqc.yaml': CONFIG, 'guideline.yaml': GUIDELINE, 'exports/export_0.json': JSON.stringify(IDS.map((id) => task(id, side(id, false, grow)))) });
  const headSha = repo.commit({ 'exports/export_0.json': JSON.stringify(IDS.map((id) => task(id, side(id, true, grow)))) }, { branch: 'pr', parent: baseSha });
  const base = repo.commitTree(baseSha, '');
  const head = repo.commitTree(headSha, '');
  const changed: ChangedFile[] = repo.changedFiles(baseSha, headSha, '');
  return { base, head, baseSha, headSha, changed, context: loadDatasetContext(base, 'segqc.yaml'), failOn: 'error', full: true, shard: null, toolVersion: '0.0.0-test' };
}

/** The liver's volume (mm², pixels of 0.5 x 0.5 mm) of each item on base and head, from the squares drawn. */
const liverAreas = (grow: number) => IDS.map((id) => [`tile_${id}`, side(id, false, grow) ** 2 * 0.25, side(id, true, grow) ** 2 * 0.25]);

const liverOf = (items: ItemDiff[]) => items.map((d) => [d.id, d.labels.find((l) => l.label === 'Liver')?.volume_base, d.labels.find((l) => l.label === 'Liver')?.volume_head]);

describe('brush masks reused across the items of a pull request', () => {
  it('analyzePullRequest without onItem (masks reused) gives the analysis of fresh masks, and the squares drawn', () => {
    const input = pullRequest(5);
    const reused = analyzePullRequest(input);
    const fresh = analyzePullRequest({ ...input, onItem: () => undefined });
    expect(JSON.stringify(reused)).toBe(JSON.stringify(fresh));
    expect(liverOf(reused.diff.items)).toEqual(liverAreas(5));
    expect(reused.diff.items.filter((d) => !d.unchanged).map((d) => d.id)).toEqual(['tile_3', 'tile_6']);
  });

  it('a batch diffed with a MaskRecycler gives the entries of a batch diffed with fresh masks', () => {
    const input = pullRequest(7);
    const plan = planPullRequest(input);
    const [batch] = pullRequestBatches(plan, IDS.length, IDS.length);
    expect(batch.items).toHaveLength(IDS.length);
    const run = (masks?: MaskRecycler) => {
      const out: ItemDiff[] = [];
      diffBatch(input.context, { base: input.base, head: input.head }, batch, plan.toleranceMm, (_, d) => out.push(d.entry), undefined, masks);
      return out;
    };
    const recycler = new MaskRecycler();
    const handed: unknown[] = [];
    const allocate = recycler.allocate;
    Object.defineProperty(recycler, 'allocate', { value: (n: number, max: number) => (handed.push(allocate(n, max)), handed[handed.length - 1]) });
    const reused = run(recycler);
    // The same arrays were handed out again, item after item.
    expect(new Set(handed).size).toBeLessThan(handed.length / 2);
    expect(JSON.stringify(reused)).toBe(JSON.stringify(run()));
    expect(liverOf(reused)).toEqual(liverAreas(7));
  });
});
