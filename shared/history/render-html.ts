/**
 * The history report as one self-contained HTML page: inline SVG charts (findings per annotation and agreement, one
 * line per annotator; findings per rule as bars), the scorecard table, guideline versions and gaps. No script, no
 * external resource.
 */
import { escapeHtml } from '../report/escape.js';
import type { HistoryReport } from './types.js';
import { topReasons } from './render-markdown.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const W = 640, H = 220, L = 48, R = 36, T = 18, B = 36;

const num = (v: number | null, digits = 2) => (v === null ? '–' : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? '–' : `${Math.round(v * 100)}%`);

/** A line chart: x the periods, one series per annotator (gaps where a period has no value). */
function lineChart(
  title: string,
  id: string,
  periods: string[],
  series: Array<{ name: string; values: Array<number | null> }>,
  opts: { max?: number; markers?: Array<{ index: number; label: string }> } = {},
): string {
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null);
  const max = opts.max ?? Math.max(1e-9, ...all) * 1.1;
  const x = (i: number) => L + (periods.length <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (periods.length - 1));
  const y = (v: number) => T + (H - T - B) * (1 - v / max);
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="10">${v.toFixed(2)}</text>`);
  }
  for (const m of opts.markers ?? []) {
    parts.push(`<line class="guideline-marker" x1="${x(m.index).toFixed(1)}" x2="${x(m.index).toFixed(1)}" y1="${T}" y2="${H - B}" stroke="#888" stroke-dasharray="4 3"/><text x="${(x(m.index) + 3).toFixed(1)}" y="${T - 4}" font-size="10" fill="#555">${escapeHtml(m.label)}</text>`);
  }
  const step = Math.max(1, Math.ceil(periods.length / 8));
  periods.forEach((p, i) => {
    if (i % step === 0) parts.push(`<text x="${x(i).toFixed(1)}" y="${H - B + 16}" text-anchor="middle" font-size="10">${escapeHtml(p)}</text>`);
  });
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) parts.push(`<polyline class="series" data-annotator="${escapeHtml(s.name)}" fill="none" stroke="${color}" stroke-width="2" points="${run.join(' ')}"/>`);
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null) return flush();
      run.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      parts.push(`<circle class="point" cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${color}"><title>${escapeHtml(`${s.name} ${periods[i]}: ${v.toFixed(3)}`)}</title></circle>`);
    });
    flush();
  });
  const legend = series.map((s, k) => `<span class="key"><span class="swatch" style="background:${COLORS[k % COLORS.length]}"></span>${escapeHtml(s.name)}</span>`).join(' ');
  return `<figure id="${id}"><figcaption>${escapeHtml(title)}</figcaption><svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${parts.join('')}<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#999"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/></svg><div class="legend">${legend || '<em>no data</em>'}</div></figure>`;
}

/** Horizontal bars: findings per rule over the whole range. */
function ruleBars(r: HistoryReport): string {
  const rows = r.rules.slice(0, 15);
  const max = Math.max(1, ...rows.map((x) => x.total));
  const lh = 20, lw = 190, bw = W - lw - 50;
  const h = Math.max(lh, rows.length * lh) + 8;
  const bars = rows
    .map((x, i) => {
      const w = (bw * x.total) / max;
      return `<text x="${lw - 6}" y="${i * lh + 14}" text-anchor="end" font-size="11">${escapeHtml(x.rule)}</text><rect class="bar" x="${lw}" y="${i * lh + 3}" width="${w.toFixed(1)}" height="${lh - 6}" fill="#4c78a8"><title>${escapeHtml(`${x.rule}: ${x.total}`)}</title></rect><text x="${(lw + w + 4).toFixed(1)}" y="${i * lh + 14}" font-size="11">${x.total}</text>`;
    })
    .join('');
  return `<figure id="rules-chart"><figcaption>Findings per rule</figcaption><svg role="img" aria-label="Findings per rule" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}">${bars || '<text x="10" y="16" font-size="12">no findings</text>'}</svg></figure>`;
}

/** Renders `segqc history --html`. */
export function renderHistoryHtml(r: HistoryReport): string {
  const periods = r.periods;
  const seriesOf = (pick: (p: HistoryReport['annotators'][number]['periods'][number]) => number | null) =>
    r.annotators.map((a) => {
      const by = new Map(a.periods.map((p) => [p.period, pick(p)]));
      return { name: a.annotator, values: periods.map((p) => by.get(p) ?? null) };
    });
  const markers = r.guidelines.map((g) => ({ index: periods.indexOf(g.period), label: `guideline ${g.version}` })).filter((m) => m.index >= 0);
  const fpa = lineChart('Findings per annotation, by period (dashed: a new guideline version)', 'findings-chart', periods, seriesOf((p) => p.findings_per_annotation), { markers });
  const agreement = lineChart('Agreement: Dice vs the other annotators (vs the reference where there are no others), by period', 'agreement-chart', periods, seriesOf((p) => p.dice_vs_others ?? p.dice_vs_reference), { max: 1, markers });
  const table = r.annotators
    .map((a) => {
      const s = a.totals;
      return `<tr><td>${escapeHtml(a.annotator)}</td><td>${s.annotations}</td><td>${s.findings}</td><td>${num(s.findings_per_annotation)}</td><td>${pct(s.first_pass_rate)} (${s.first_pass}/${s.first_submissions})</td><td>${s.rework}</td><td>${num(s.dice_vs_others, 3)}</td><td>${num(s.dice_vs_reference, 3)}</td></tr>`;
    })
    .join('');
  const reviewRow = (name: string, s: HistoryReport['totals']) =>
    `<tr><td>${name}</td><td>${s.reviews!.verdicts}</td><td>${s.reviews!.accepted}</td><td>${s.reviews!.accepted_with_fixes}</td><td>${s.reviews!.rejected}</td><td>${escapeHtml(topReasons(s.reviews!).join('; ') || '–')}</td></tr>`;
  const reviews = r.totals.reviews
    ? `<h2>Reviews</h2>
<table id="reviews"><thead><tr><th>Annotator</th><th>Verdicts</th><th>Accepted</th><th>Accepted with fixes</th><th>Rejected</th><th>Top reject reasons</th></tr></thead><tbody>${r.annotators.map((a) => reviewRow(escapeHtml(a.annotator), { ...r.totals, ...a.totals })).join('')}${reviewRow('<strong>all</strong>', r.totals)}</tbody></table>`
    : '';
  const guidelines = r.guidelines.map((g) => `<li><code>${escapeHtml(`${g.id} ${g.version}`)}</code> from <code>${escapeHtml(g.commit.slice(0, 7))}</code> (${escapeHtml(g.date.slice(0, 10))}, ${escapeHtml(g.period)})</li>`).join('');
  const gaps = r.gaps.map((g) => `<li><code>${escapeHtml(g.commit.slice(0, 7))}</code> (${escapeHtml(g.date.slice(0, 10))}): ${escapeHtml(g.error)}</li>`).join('');
  const notes = r.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>segqc history</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}.legend{font-size:12px}.key{margin-right:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}.note{background:#fff6d5;padding:6px 10px}
</style></head><body>
<h1>segqc history</h1>
<p>${r.range.commits} commits along the first-parent history, by ${escapeHtml(r.by)}; ${r.totals.items_judged} item versions judged, ${r.totals.annotations} annotations added or changed, ${r.totals.findings} findings on them.</p>
${notes}
<h2>Annotators</h2>
<table><thead><tr><th>Annotator</th><th>Annotations</th><th>Findings</th><th>Findings / annotation</th><th>Passed on first submission</th><th>Rework</th><th>Dice vs others</th><th>Dice vs reference</th></tr></thead><tbody>${table}</tbody></table>
${reviews}
${fpa}
${agreement}
${ruleBars(r)}
<h2>Guideline versions</h2><ul>${guidelines || '<li>none</li>'}</ul>
${gaps ? `<h2>Gaps</h2><ul>${gaps}</ul>` : ''}
</body></html>
`;
}
