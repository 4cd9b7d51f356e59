/** A trend in one line of text: `▆▅▃▂`, scaled between the smallest and largest value; a space where there is none. */
const BARS = '▁▂▃▄▅▆▇█';

/** Sparkline of values (null: no data in that period). */
export function sparkline(values: Array<number | null>): string {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length === 0) return '';
  const lo = Math.min(...present), hi = Math.max(...present);
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      const i = hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1));
      return BARS[i];
    })
    .join('');
}
