/** The working directory as a DatasetTree. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { DatasetTree } from '../shared/dataset/tree.js';

const SKIP = new Set(['.git', 'node_modules']);

/** Lists files under `root` (skipping .git and node_modules), reading them on demand. */
export function fsTree(root: string): DatasetTree {
  let cache: string[] | null = null;
  const walk = (dir: string, out: string[]) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, out);
      else if (e.isFile() || (e.isSymbolicLink() && statSync(p).isFile())) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  return {
    name: 'working tree',
    list: () => {
      if (!cache) {
        cache = [];
        walk(root, cache);
        cache.sort();
      }
      return cache;
    },
    read: (p) => readFileSync(join(root, p)),
  };
}
