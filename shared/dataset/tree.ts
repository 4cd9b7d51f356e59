/** What the dataset checker reads: a working directory, a git commit, or anything else that lists and reads files. */
export interface DatasetTree {
  /** Every file, as a `/`-separated path relative to the dataset root. */
  list(): string[];
  /** The bytes of one listed file. */
  read(path: string): Uint8Array;
  /** A human label for messages ("working tree", "base 1a2b3c4"). */
  readonly name: string;
}

/** A tree held in memory (tests, and files fetched by other means). */
export function memoryTree(files: Record<string, Uint8Array | string>, name = 'memory'): DatasetTree {
  const enc = new TextEncoder();
  return {
    name,
    list: () => Object.keys(files).sort(),
    read: (p) => {
      const v = files[p];
      if (v === undefined) throw new Error(`no such file: ${p}`);
      return typeof v === 'string' ? enc.encode(v) : v;
    },
  };
}
