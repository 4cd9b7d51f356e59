import { describe, it, expect } from 'vitest';
import { discoverItems, MAX_EXPORT_BYTES } from '../shared/dataset/items.js';
import { memoryTree } from '../shared/dataset/tree.js';

describe('discoverItems', () => {
  it('refuses a Label Studio export too large to parse, as an unreadable item rather than a crash', () => {
    const tree = memoryTree({ 'exports/huge.json': new Uint8Array(MAX_EXPORT_BYTES + 1), 'exports/bad.json': '[{"id": 1,' });
    const { items } = discoverItems(tree, [{ format: 'labelstudio', path: 'exports/*.json' }], { labelValues: {} });
    const by = Object.fromEntries(items.map((i) => [i.id, i.unreadable[0]?.detail ?? '']));
    expect(by.huge).toMatch(/over the \d+-byte limit for one Label Studio export/);
    expect(by.bad).toMatch(/not valid JSON/);
  });
});
