/**
 * The review page: one self-contained HTML file (inline CSS, pictures as data: URIs, overlays as inline SVG, no
 * script, nothing fetched) with each changed item (a pull request) or each item with findings (a check), its
 * pictures, findings and metrics, and the annotators' agreement. Everything from the dataset is escaped.
 */
import type { Finding } from '../rules/types.js';
import type { DatasetReport, GuidelineChange, ItemReport } from './types.js';
import type { DatasetDiff, ItemDiff, LabelDiff } from './diff.js';
import { sortWorstFirst } from './diff.js';
import { itemAnchor } from './render-diff.js';
import { escapeHtml } from './escape.js';
import { grouped, num } from './finding-text.js';
import type { ItemPictures, Picture } from '../pictures/item-pictures.js';
import { checkRank } from '../pictures/item-pictures.js';
import { agreementMatrix, agreementMatrixSvg } from './agreement-matrix.js';

/** The pictures of a page, or why it has none. */
export type PagePictures =
  | { enabled: true; items: Map<string, ItemPictures>; maxItems: number; /** Items left unpictured to keep the page small. */ over: string[] }
  | { enabled: false; reason: string };

/** What a review page shows. */
export interface ReviewPageInput {
  /** The dataset report: of the whole dataset (check), or of the changed items on the head side (diff). */
  report: DatasetReport;
  /** Set for a pull request's page. */
  diff?: DatasetDiff | null;
  guidelineChange?: GuidelineChange | null;
  pictures: PagePictures;
}

export { itemAnchor };

const e = escapeHtml;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 of bytes. */
export function base64(b: Uint8Array): string {
  const parts: string[] = [];
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < b.length ? B64[n & 63] : '=');
    if (s.length >= 8192) {
      parts.push(s);
      s = '';
    }
  }
  parts.push(s);
  return parts.join('');
}

const CSS = `
:root{color-scheme:light;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--err:#cf222e;--warn:#9a6700;--ok:#1a7f37}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1280px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:16px;margin:0 0 6px}
.sub,.note{color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;vertical-align:middle}
.pass{background:var(--ok)}.fail{background:var(--err)}
.sev-error{color:var(--err);font-weight:600}.sev-warning{color:var(--warn);font-weight:600}.sev-info{color:var(--muted)}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--soft)}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:0 3px;border-radius:3px}
section.item{border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:14px 0}
section.item:target{outline:3px solid #0969da}
.pics{display:flex;flex-wrap:wrap;gap:14px;margin-top:8px}
figure.pic{margin:0;width:512px;max-width:100%}
.frame{position:relative;line-height:0;background:#28282c}
.frame img{display:block;width:100%;height:auto;image-rendering:pixelated}
.frame svg{position:absolute;left:0;top:0;width:100%;height:100%;overflow:visible}
.ov text{font-family:system-ui,sans-serif;font-weight:bold;fill:#fff;stroke:#000;paint-order:stroke}
.ov .hl{fill:none;stroke:#ffd400}
.ov .hl.change{stroke:#00e5ff}
.ov .bar{stroke:#fff}
figcaption{line-height:1.45;font-size:13px;margin-top:4px}
.legend div{overflow-wrap:anywhere}.legend span{margin-right:10px;white-space:nowrap}
.sw{display:inline-block;width:11px;height:11px;border:1px solid #0004;margin-right:3px;vertical-align:-1px}
.toc{columns:3 260px;font-size:13px;margin:0;padding-left:18px}
.heat text{font:12px system-ui,sans-serif}
`;

const sevClass = (s: string) => `sev-${s === 'error' || s === 'warning' ? s : 'info'}`;
const plural = (n: number, w: string) => `${grouped(n)} ${w}${n === 1 ? '' : 's'}`;
const fmt = (x: number | null | undefined) => (x === null || x === undefined ? '—' : num(x));
const short = (sha: string) => (/^[0-9a-f]{40}$/i.test(sha) ? sha.slice(0, 7) : sha);

function findingRows(fs: Finding[]): string {
  if (fs.length === 0) return '';
  const rows = fs
    .map(
      (f) =>
        `<tr><td class="${sevClass(f.severity)}">${e(f.severity)}</td><td><code>${e(f.rule)}</code></td><td>${e(f.label ?? '')}</td><td>${e(f.annotator ?? '')}</td><td>${e(f.message)}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>severity</th><th>rule</th><th>label</th><th>annotator</th><th>message</th></tr>${rows}</table>`;
}

function labelDiffTable(ls: LabelDiff[]): string {
  if (ls.length === 0) return '';
  const vol = (l: LabelDiff) =>
    l.volume_base === l.volume_head ? fmt(l.volume_head) : `${fmt(l.volume_base)} → ${fmt(l.volume_head)}${l.volume_change_pct !== null ? ` (${l.volume_change_pct >= 0 ? '+' : ''}${num(l.volume_change_pct)}%)` : ''}`;
  const comp = (l: LabelDiff) => (l.components_base === l.components_head ? fmt(l.components_head) : `${fmt(l.components_base)} → ${fmt(l.components_head)}`);
  const rows = ls
    .map((l) => `<tr><td>${e(l.annotation)}</td><td>${e(l.label)}</td><td class="n">${e(vol(l))}</td><td class="n">${e(comp(l))}</td><td class="n">${fmt(l.dice)}</td><td class="n">${fmt(l.nsd)}</td><td class="n">${fmt(l.hd95)}</td></tr>`)
    .join('');
  return `<table><tr><th>annotation</th><th>label</th><th>volume base → head</th><th>components</th><th>Dice</th><th>NSD</th><th>HD95 mm</th></tr>${rows}</table>`;
}

function figure(p: Picture): string {
  const w = p.width, h = p.height;
  // Text and lines are sized to the picture, which the page shows about 512 pixels wide whatever its own size.
  const u = Math.max(w, h) / 512;
  const fs = (15 * u).toFixed(1);
  const boxes = p.boxes
    .map((b) => {
      const cls = b.rule === null ? 'hl change' : `hl ${b.severity === 'error' ? 'error' : ''}`;
      const title = b.rule ?? 'largest change';
      return `<rect class="${cls.trim()}" stroke-width="${(2.5 * u).toFixed(1)}" stroke-dasharray="${(6 * u).toFixed(1)} ${(3 * u).toFixed(1)}" data-rule="${e(title)}" x="${b.x.toFixed(1)}" y="${b.y.toFixed(1)}" width="${b.w.toFixed(1)}" height="${b.h.toFixed(1)}"><title>${e(title)}</title></rect>`;
    })
    .join('');
  const bx = 12 * u, by = h - 12 * u;
  const bar = `<line class="bar" x1="${bx.toFixed(1)}" y1="${by.toFixed(1)}" x2="${(bx + p.scaleBar.px).toFixed(1)}" y2="${by.toFixed(1)}" stroke-width="${(4 * u).toFixed(1)}"/><text x="${bx.toFixed(1)}" y="${(by - 8 * u).toFixed(1)}">${e(p.scaleBar.label)}</text>`;
  const edges = p.edges
    ? `<text x="${(4 * u).toFixed(1)}" y="${h / 2}" dominant-baseline="middle">${e(p.edges.left)}</text><text x="${(w - 4 * u).toFixed(1)}" y="${h / 2}" text-anchor="end" dominant-baseline="middle">${e(p.edges.right)}</text>` +
      `<text x="${w / 2}" y="${(16 * u).toFixed(1)}" text-anchor="middle">${e(p.edges.top)}</text><text x="${w / 2}" y="${(h - 4 * u).toFixed(1)}" text-anchor="middle">${e(p.edges.bottom)}</text>`
    : '';
  const STYLE = { solid: '━━', dashed: '╍╍', ghost: '┄┄' } as const;
  const legend =
    p.styles.map((s) => `<div><b>${STYLE[s.style]}</b> ${e(s.name)}</div>`).join('') +
    p.labels.map((l) => `<span><i class="sw" style="background:${/^#[0-9a-f]{6}$/i.test(l.colour) ? l.colour : '#888'}"></i>${e(l.name)}</span>`).join('');
  return (
    `<figure class="pic"><div class="frame"><img src="data:image/png;base64,${base64(p.png)}" width="${w}" height="${h}" alt="${e(`${p.title}, ${p.where}`)}">` +
    `<svg class="ov" viewBox="0 0 ${w} ${h}" font-size="${fs}" stroke-width="${(3 * u).toFixed(1)}" aria-hidden="true">${boxes}${bar}${edges}</svg></div>` +
    `<figcaption><b>${e(p.title)}</b> · ${e(p.where)}<br>${e(p.detail)}<div class="legend">${legend}</div><span class="note">${e(p.background)}</span></figcaption></figure>`
  );
}

function picturesBlock(id: string, pics: PagePictures): string {
  if (!pics.enabled) return '';
  const it = pics.items.get(id);
  if (it && it.pictures.length > 0) return `<div class="pics">${it.pictures.map(figure).join('')}</div>`;
  if (pics.over.includes(id)) return `<p class="note">Not pictured: the pictures would make the page too large.</p>`;
  return '';
}

function diffItemSection(d: ItemDiff, head: ItemReport | undefined, pics: PagePictures, pictured: boolean): string {
  const status = { added: 'added', removed: 'removed', modified: 'modified' }[d.status];
  const files = head?.files ?? [];
  const added = d.findings_added.length ? `<p><b>New findings (${d.findings_added.length})</b></p>${findingRows(d.findings_added)}` : '';
  const resolved = d.findings_resolved.length ? `<p><b>Resolved findings (${d.findings_resolved.length})</b></p>${findingRows(d.findings_resolved)}` : '';
  const agreement = d.agreement.length
    ? `<p><b>Agreement changes</b></p><table><tr><th>label</th><th>between</th><th>Dice base → head</th></tr>${d.agreement
        .map((g) => `<tr><td>${e(g.label)}</td><td>${e(g.a)} · ${e(g.b)}</td><td class="n">${fmt(g.dice_base)} → ${fmt(g.dice_head)}</td></tr>`)
        .join('')}</table>`
    : '';
  const note = pictured || !pics.enabled ? '' : `<p class="note">Not pictured: the page pictures the first ${pics.maxItems} items.</p>`;
  return (
    `<section class="item" id="${e(itemAnchor(d.id))}"><h3>${e(d.id)} <span class="sub">· ${status}</span></h3>` +
    (files.length ? `<div class="sub">${files.map((f) => `<code>${e(f)}</code>`).join(' ')}</div>` : '') +
    picturesBlock(d.id, pics) +
    note +
    labelDiffTable(d.labels) +
    added +
    resolved +
    agreement +
    `</section>`
  );
}

function checkItemSection(it: ItemReport, pics: PagePictures, pictured: boolean): string {
  const note = pictured || !pics.enabled ? '' : `<p class="note">Not pictured: the page pictures the first ${pics.maxItems} items.</p>`;
  const labels = it.annotations
    .flatMap((a) => a.labels.map((l) => `<tr><td>${e(a.annotator ?? '')}</td><td>${e(a.source)}</td><td>${e(l.label)}</td><td class="n">${fmt(l.volume)} ${e(l.units === 'mm3' ? 'mm³' : l.units === 'mm2' ? 'mm²' : 'px')}</td><td class="n">${l.components}</td></tr>`))
    .join('');
  return (
    `<section class="item" id="${e(itemAnchor(it.id))}"><h3>${e(it.id)} <span class="sub">· ${plural(it.findings.length, 'finding')}</span></h3>` +
    (it.files.length ? `<div class="sub">${it.files.map((f) => `<code>${e(f)}</code>`).join(' ')}</div>` : '') +
    picturesBlock(it.id, pics) +
    note +
    findingRows(it.findings) +
    (labels ? `<table><tr><th>annotator</th><th>file</th><th>label</th><th>size</th><th>components</th></tr>${labels}</table>` : '') +
    `</section>`
  );
}

function annotatorSection(r: DatasetReport): string {
  if (r.annotators.length === 0) return '';
  const rows = r.annotators
    .map((a) => {
      const total = Object.values(a.findings).reduce((s, n) => s + (n ?? 0), 0);
      const by = Object.entries(a.findings)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([rule, n]) => `<code>${e(rule)}</code> ${n}`)
        .join(', ');
      return `<tr><td>${e(a.annotator)}</td><td class="n">${a.items}</td><td class="n">${total}</td><td>${by}</td><td class="n">${fmt(a.mean_dice_vs_others)}</td><td class="n">${fmt(a.mean_dice_vs_reference)}</td></tr>`;
    })
    .join('');
  const m = agreementMatrix(r.items);
  const heat = m.names.length >= 2 ? `<h3>Agreement between annotators (mean Dice)</h3>${agreementMatrixSvg(m)}` : '';
  return `<h2 id="annotators">Annotators</h2><table><tr><th>annotator</th><th>items</th><th>findings</th><th>by rule</th><th>mean Dice vs others</th><th>mean Dice vs reference</th></tr>${rows}</table>${heat}`;
}

function toc(entries: Array<{ id: string; text: string; pictured: boolean }>): string {
  if (entries.length === 0) return '';
  return `<ol class="toc">${entries.map((x) => `<li><a href="#${e(itemAnchor(x.id))}">${e(x.id)}</a> <span class="sub">${e(x.text)}${x.pictured ? ' · pictured' : ''}</span></li>`).join('')}</ol>`;
}

/** The whole page as one HTML string. */
export function renderReviewPage(input: ReviewPageInput): string {
  const r = input.report;
  const pics = input.pictures;
  const isPictured = (id: string) => pics.enabled && (pics.items.get(id)?.pictures.length ?? 0) > 0;
  const verdict = `<span class="badge ${r.verdict}">${r.verdict === 'pass' ? 'pass' : 'fail'}</span>`;
  const title = `segqc review · ${r.guideline.id} ${r.guideline.version}`;
  const parts: string[] = [];
  parts.push(`<h1>${e(title)} ${verdict}</h1>`);
  const gate = `gate fails on ${e(r.config.fail_on)}`;
  if (input.diff) {
    const d = input.diff;
    const items = sortWorstFirst(d.items.filter((i) => !i.unchanged));
    const heads = new Map(r.items.map((i) => [i.id, i]));
    const added = items.reduce((s, i) => s + i.findings_added.length, 0);
    const resolved = items.reduce((s, i) => s + i.findings_resolved.length, 0);
    parts.push(
      `<p class="sub">Pull request: base <code>${e(short(d.base_sha))}</code> → head <code>${e(short(d.head_sha))}</code> · guideline <code>${e(r.guideline.path)}</code> from the base commit · ${gate}</p>`,
      `<p>${plural(items.length, 'item')} changed · ${plural(added, 'new finding')} (${plural(r.totals.errors, 'error')} and ${plural(r.totals.warnings, 'warning')} in the changed items) · ${plural(resolved, 'finding')} resolved</p>`,
    );
    if (input.guidelineChange) {
      const g = input.guidelineChange;
      parts.push(
        `<p><b>The guideline changes</b> (${e(g.base.version)} → ${e(g.head.version)}): items failing ${g.items_failing_base} → ${g.items_failing_head} of ${g.items_checked} checked.</p>` +
          (g.changes.length ? `<ul>${g.changes.map((c) => `<li><code>${e(c)}</code></li>`).join('')}</ul>` : '') +
          (g.error ? `<p class="sev-error">${e(g.error)}</p>` : ''),
      );
    }
    parts.push(picturesNote(pics, items.filter((i) => isPictured(i.id)).length));
    parts.push(`<h2>Changed items, worst first</h2>`, toc(items.map((i) => ({ id: i.id, text: `${i.status}, ${plural(i.findings_added.length, 'new finding')}`, pictured: isPictured(i.id) }))));
    for (const it of items) parts.push(diffItemSection(it, heads.get(it.id), pics, isPictured(it.id)));
  } else {
    const withFindings = r.items.filter((i) => i.findings.length > 0).sort((a, b) => checkRank(a.findings) - checkRank(b.findings) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    parts.push(
      `<p class="sub">Dataset check · guideline <code>${e(r.guideline.path)}</code> · config <code>${e(r.config.path)}</code> · ${gate}</p>`,
      `<p>${plural(r.totals.items, 'item')}, ${plural(r.totals.annotations, 'annotation')} · ${plural(r.totals.errors, 'error')}, ${plural(r.totals.warnings, 'warning')} · ${plural(r.totals.items - withFindings.length, 'item')} without findings</p>`,
    );
    parts.push(picturesNote(pics, withFindings.filter((i) => isPictured(i.id)).length));
    parts.push(`<h2>Items with findings, worst first</h2>`, toc(withFindings.map((i) => ({ id: i.id, text: plural(i.findings.length, 'finding'), pictured: isPictured(i.id) }))));
    for (const it of withFindings) parts.push(checkItemSection(it, pics, isPictured(it.id)));
  }
  parts.push(annotatorSection(r));
  if (r.audit_sample.length) parts.push(`<p><b>Audit sample for senior review:</b> ${r.audit_sample.map((id) => `<a href="#${e(itemAnchor(id))}">${e(id)}</a>`).join(', ')}</p>`);
  parts.push(
    `<p class="note">segqc ${e(r.tool.version)} · pictures are drawn from the dataset's own masks and images (no DICOM patient attribute is read); ` +
      `<code>pictures: false</code> in segqc.yaml leaves them out · solid lines: head (or the first rater), dashed: base (or the second rater), dotted: the slice before a gap; boxes mark each finding's region, cyan boxes the largest change.</p>`,
  );
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">` +
    `<title>${e(title)}</title><style>${CSS}</style></head><body><main>${parts.join('\n')}</main></body></html>\n`
  );
}

function picturesNote(pics: PagePictures, pictured: number): string {
  if (!pics.enabled) return `<p class="note">No pictures: ${e(pics.reason)}.</p>`;
  const over = pics.over.length ? `; ${plural(pics.over.length, 'more item')} left unpictured to keep the page small` : '';
  return `<p class="note">${plural(pictured, 'item')} pictured (at most ${pics.maxItems}, worst first${over}).</p>`;
}
