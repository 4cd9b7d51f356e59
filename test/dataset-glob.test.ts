import { describe, expect, it } from 'vitest';
import { globToRegExp, matchGlob } from '../shared/dataset/glob.js';
import { itemStem } from '../shared/dataset/items.js';
import { inShard, parseShard } from '../shared/dataset/shard.js';
import { auditSample } from '../shared/dataset/check.js';

describe('glob', () => {
  const paths = ['labels/a.nii.gz', 'labels/r1/b.nii.gz', 'labels/r1/deep/c.nii.gz', 'images/a.nii.gz', 'ls/export.json', 'x.nii'];
  it('* stays within a directory, ** crosses them', () => {
    expect(matchGlob(paths, 'labels/*.nii.gz')).toEqual(['labels/a.nii.gz']);
    expect(matchGlob(paths, 'labels/**/*.nii.gz')).toEqual(['labels/a.nii.gz', 'labels/r1/b.nii.gz', 'labels/r1/deep/c.nii.gz']);
    expect(matchGlob(paths, '**/*.json')).toEqual(['ls/export.json']);
  });
  it('braces, ? and literal dots', () => {
    expect(matchGlob(paths, '{images,ls}/*')).toEqual(['images/a.nii.gz', 'ls/export.json']);
    expect(matchGlob(paths, '?.nii')).toEqual(['x.nii']);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(matchGlob(paths, './labels/*.nii.gz')).toEqual(['labels/a.nii.gz']);
  });
});

describe('item stems', () => {
  it('strip mask suffixes, including double ones', () => {
    expect(itemStem('labels/rater1/ct_001.nii.gz')).toBe('ct_001');
    expect(itemStem('seg/ct_002.seg.dcm')).toBe('ct_002');
    expect(itemStem('ct_001.segqc.json')).toBe('ct_001');
    expect(itemStem('/data/upload/1/slice 7.png')).toBe('slice 7');
  });
});

describe('shards and audit samples', () => {
  const ids = Array.from({ length: 200 }, (_, i) => `item_${i}`);
  it('every item lands in exactly one shard', () => {
    const n = 3;
    const counts = ids.map((id) => [0, 1, 2].filter((k) => inShard(id, { index: k, count: n })).length);
    expect(counts.every((c) => c === 1)).toBe(true);
    const sizes = [0, 1, 2].map((k) => ids.filter((id) => inShard(id, { index: k, count: n })).length);
    expect(Math.min(...sizes)).toBeGreaterThan(40);
  });
  it('parses i/n and refuses nonsense', () => {
    expect(parseShard('2/4')).toEqual({ index: 1, count: 4 });
    expect(() => parseShard('0/4')).toThrow(/i\/n/);
    expect(() => parseShard('5/4')).toThrow();
    expect(() => parseShard('two')).toThrow();
  });
  it('audit sample is deterministic, sized by the rate, and depends on the guideline', () => {
    const a = auditSample('liver', ids, 0.1);
    expect(a).toHaveLength(20);
    expect(auditSample('liver', [...ids].reverse(), 0.1)).toEqual(a);
    expect(auditSample('other', ids, 0.1)).not.toEqual(a);
    expect(auditSample('liver', ids, 0)).toEqual([]);
    expect(auditSample('liver', ids.slice(0, 3), 0.1)).toHaveLength(1);
  });
});
