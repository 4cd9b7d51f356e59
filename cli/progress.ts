/** A progress bar on stderr for long runs: items done, total and time left; silent when stderr is not a terminal. */

/** The bar's line: "[#########.....................] 12/40 items, 0:07 left". */
export function progressLine(done: number, total: number, elapsedMs: number, width = 30): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const fill = Math.round(fraction * width);
  const eta = done > 0 && done < total ? `, ${clock((elapsedMs / done) * (total - done))} left` : '';
  return `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total} items${eta}`;
}

/** Milliseconds as m:ss (h:mm:ss past an hour). */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/** Where the bar goes and when. */
export interface ProgressOptions {
  /** Writes to stderr. */
  write: (s: string) => void;
  /** Whether stderr is a terminal: on a pipe or a file nothing is written. */
  isTTY: boolean;
  now?: () => number;
  /** The bar appears only once a run has taken this long (a short run stays quiet). */
  showAfterMs?: number;
  /** Redraws at most this often. */
  intervalMs?: number;
}

/** Reports progress as items are done; `end` clears the line. Does nothing unless stderr is a terminal. */
export function progressReporter(o: ProgressOptions): { tick: (done: number, total: number) => void; end: () => void } {
  if (!o.isTTY) return { tick: () => {}, end: () => {} };
  const now = o.now ?? Date.now;
  const start = now();
  const showAfter = o.showAfterMs ?? 500;
  const interval = o.intervalMs ?? 100;
  let drawn = false;
  let last = -Infinity;
  return {
    tick(done, total) {
      const t = now();
      if (t - start < showAfter || (t - last < interval && done < total)) return;
      last = t;
      drawn = true;
      o.write(`\r${progressLine(done, total, t - start)}\x1b[K`);
    },
    end() {
      if (drawn) o.write('\r\x1b[K');
      drawn = false;
    },
  };
}
