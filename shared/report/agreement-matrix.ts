/** The agreement between annotators as a matrix of mean Dice, and that matrix as a small SVG heat map. */
import type { ItemReport } from './types.js';
import { escapeHtml } from './escape.js';

/** Mean Dice of each pair of annotators over the items and labels both annotated; null where they share none. */
export interface AgreementMatrix {
  names: string[];
  /** dice[a][b], symmetric; null on the diagonal and for pairs without a shared item. */
  dice: Array<Array<number | null>>;
  /** Label scores behind each cell. */
  counts: number[][];
}

/** Annotators shown at most (those with the most scored pairs). */
const MAX_NAMES = 24;

/** Averages the items' agreement rows per unordered pair of annotators (the reference is one of them). */
export function agreementMatrix(items: Array<Pick<ItemReport, 'agreement'>>): AgreementMatrix {
  const sums = new Map<string, { sum: number; n: number }>();
  const seen = new Map<string, number>();
  for (const it of items) {
    for (const g of it.agreement) {
      if (g.a === g.b) continue;
      const [x, y] = g.a < g.b ? [g.a, g.b] : [g.b, g.a];
      const key = `${x}\u0000${y}`;
      const s = sums.get(key) ?? { sum: 0, n: 0 };
      s.sum += g.dice;
      s.n++;
      sums.set(key, s);
      seen.set(x, (seen.get(x) ?? 0) + 1);
      seen.set(y, (seen.get(y) ?? 0) + 1);
    }
  }
  const names = [...seen.entries()]
    .sort((p, q) => q[1] - p[1] || (p[0] < q[0] ? -1 : 1))
    .slice(0, MAX_NAMES)
    .map(([n]) => n)
    .sort((p, q) => (p === 'reference' ? -1 : q === 'reference' ? 1 : p < q ? -1 : 1));
  const dice = names.map(() => names.map((): number | null => null));
  const counts = names.map(() => names.map(() => 0));
  names.forEach((x, i) =>
    names.forEach((y, j) => {
      if (i === j) return;
      const s = sums.get(x < y ? `${x}\u0000${y}` : `${y}\u0000${x}`);
      if (s) {
        dice[i][j] = s.sum / s.n;
        counts[i][j] = s.n;
      }
    }),
  );
  return { names, dice, counts };
}

/** Red (Dice 0.5 and below) through yellow to green (1). */
export function diceColour(d: number): string {
  const t = Math.max(0, Math.min(1, (d - 0.5) / 0.5));
  const stops: Array<[number, number, number]> = [
    [215, 48, 39],
    [254, 224, 139],
    [26, 152, 80],
  ];
  const [a, b, u] = t < 0.5 ? [stops[0], stops[1], t * 2] : [stops[1], stops[2], (t - 0.5) * 2];
  return `rgb(${a.map((x, i) => Math.round(x + (b[i] - x) * u)).join(',')})`;
}

/** The matrix as an SVG heat map: one cell per pair with its mean Dice, names on the rows and columns. */
export function agreementMatrixSvg(m: AgreementMatrix): string {
  const cell = 46;
  const label = Math.min(180, 12 + 7 * Math.max(...m.names.map((n) => Math.min(n.length, 24))));
  const size = label + cell * m.names.length;
  const clip = (s: string) => (s.length > 24 ? `${s.slice(0, 23)}…` : s);
  const out: string[] = [];
  m.names.forEach((n, i) => {
    out.push(`<text x="${label - 6}" y="${label + i * cell + cell / 2 + 4}" text-anchor="end">${escapeHtml(clip(n))}</text>`);
    out.push(`<text transform="translate(${label + i * cell + cell / 2 + 4},${label - 6}) rotate(-45)">${escapeHtml(clip(n))}</text>`);
  });
  m.dice.forEach((row, i) =>
    row.forEach((d, j) => {
      const x = label + j * cell, y = label + i * cell;
      if (d === null) {
        out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${i === j ? '#eaeef2' : '#fff'}" stroke="#d1d9e0"/>`);
        return;
      }
      const tip = `${m.names[i]} · ${m.names[j]}: mean Dice ${d.toFixed(3)} over ${m.counts[i][j]} label score${m.counts[i][j] === 1 ? '' : 's'}`;
      out.push(
        `<g class="cell"><title>${escapeHtml(tip)}</title><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${diceColour(d)}" stroke="#fff"/>` +
          `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle">${d.toFixed(2)}</text></g>`,
      );
    }),
  );
  return `<svg class="heat" role="img" aria-label="mean Dice between annotators" width="${size + 10}" height="${size + 10}" viewBox="0 0 ${size + 10} ${size + 10}">${out.join('')}</svg>`;
}
