/**
 * A content-addressed result cache on disk (default `.segqc/cache/` beside the dataset): JSON values under a key
 * derived from git object ids, so an entry never goes stale; a damaged entry is a miss, never an error.
 */
import { existsSync, mkdirSync, readFileSync, rename, writeFile, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

/** A key-value store of JSON values by kind ("item", "step", ...). */
export interface ResultCache {
  get<T>(kind: string, key: string): T | undefined;
  put(kind: string, key: string, value: unknown): void;
  /** Resolves when every value put is stored (a cache on disk writes them while its caller goes on). */
  flush?(): Promise<void>;
}

/** A cache key: sha256 of the parts, each part length-prefixed so no two lists collide. */
export function cacheKey(parts: Array<string | number | null>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const s = p === null ? '\u0000null' : String(p);
    h.update(`${s.length}:${s}\n`);
  }
  return h.digest('hex');
}

/**
 * Opens (creating on first write) the cache at `dir`; a `.gitignore` of `*` keeps it out of git. A value is written
 * to a file of its own then renamed into place, by Node's thread pool: `flush` waits for the writes.
 */
export function openDiskCache(dir: string): ResultCache {
  let ready = false;
  const made = new Set<string>();
  let writing = 0;
  let written = 0;
  const idle: Array<() => void> = [];
  const settled = () => {
    written++;
    if (written === writing) for (const f of idle.splice(0)) f();
  };
  const pathOf = (kind: string, key: string) => join(dir, kind, key.slice(0, 2), `${key}.json`);
  return {
    get<T>(kind: string, key: string): T | undefined {
      const p = pathOf(kind, key);
      if (!existsSync(p)) return undefined;
      try {
        return JSON.parse(readFileSync(p, 'utf8')) as T;
      } catch {
        return undefined;
      }
    },
    put(kind, key, value) {
      if (!ready) {
        mkdirSync(dir, { recursive: true });
        const ignore = join(dir, '.gitignore');
        if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
        ready = true;
      }
      const p = pathOf(kind, key);
      const parent = join(p, '..');
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      // A cache that cannot be written only costs time: errors are dropped.
      let text: string;
      try {
        text = JSON.stringify(value);
      } catch {
        return;
      }
      const tmp = `${p}.${process.pid}.${writing++}.tmp`;
      writeFile(tmp, text, (e) => (e ? settled() : rename(tmp, p, () => settled())));
    },
    flush: () => (written === writing ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve))),
  };
}

/** A cache in memory (`--no-cache`, tests). */
export function memoryCache(): ResultCache {
  const m = new Map<string, string>();
  return {
    get: <T>(kind: string, key: string) => {
      const v = m.get(`${kind}/${key}`);
      return v === undefined ? undefined : (JSON.parse(v) as T);
    },
    put: (kind, key, value) => void m.set(`${kind}/${key}`, JSON.stringify(value)),
  };
}
