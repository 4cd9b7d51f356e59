/** Grey levels of an image on screen: a CT window (abdomen W400/L40 unless the config says), else 1st–99th percentiles. */

/** Values at or below `low` are black, at or above `high` white. */
export interface DisplayWindow {
  low: number;
  high: number;
}

/** A CT window as radiologists give it: width and level (centre), in Hounsfield units. */
export interface WindowSetting {
  width: number;
  level: number;
}

/** The abdomen soft-tissue window. */
export const CT_DEFAULT_WINDOW: WindowSetting = { width: 400, level: 40 };

/** At most this many values are sorted for the percentiles. */
const PERCENTILE_SAMPLE = 200_000;

export const fromSetting = (w: WindowSetting): DisplayWindow => ({ low: w.level - w.width / 2, high: w.level + w.width / 2 });

/** The 1st and 99th percentiles of the finite values of the slices (evenly sampled when there are many). */
export function percentileWindow(slices: Float32Array[], lo = 0.01, hi = 0.99): DisplayWindow {
  const total = slices.reduce((s, x) => s + x.length, 0);
  const step = Math.max(1, Math.ceil(total / PERCENTILE_SAMPLE));
  const sample: number[] = [];
  let t = 0;
  for (const s of slices) {
    for (; t < s.length; t += step) if (Number.isFinite(s[t])) sample.push(s[t]);
    t -= s.length;
  }
  if (sample.length === 0) return { low: 0, high: 1 };
  const sorted = Float64Array.from(sample).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
  const low = at(lo), high = at(hi);
  return high > low ? { low, high } : { low, high: low + 1 };
}

/**
 * The window for an image: the config's setting when given; for CT (the file's Modality, or the guideline's only
 * modality) the abdomen window; otherwise the percentiles of the slices shown.
 */
export function chooseWindow(modality: string | null, setting: WindowSetting | null, slices: Float32Array[]): { window: DisplayWindow; how: string } {
  if (setting) return { window: fromSetting(setting), how: `W${setting.width}/L${setting.level}` };
  if (modality?.toUpperCase() === 'CT') return { window: fromSetting(CT_DEFAULT_WINDOW), how: `CT W${CT_DEFAULT_WINDOW.width}/L${CT_DEFAULT_WINDOW.level}` };
  return { window: percentileWindow(slices), how: '1st–99th percentile' };
}
