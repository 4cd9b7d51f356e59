/**
 * The `segqc history --html` page in real headless Chromium: self-contained (no request leaves the page), one line per
 * annotator in each chart at the positions the data gives, one bar per rule. Screenshot in test-artifacts/history.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, launch } from './extension-harness.js';
import { buildHistory } from '../shared/history/scorecard.js';
import { renderHistoryHtml } from '../shared/history/render-html.js';
import type { HistoryStep } from '../shared/history/types.js';
import type { Finding, RuleCode } from '../shared/rules/types.js';
import type { ItemReport } from '../shared/report/types.js';

const MONTHS = ['2024-01', '2024-02', '2024-03', '2024-04', '2024-05', '2024-06'];
// Findings per annotation each month, by annotator (each annotator submits 4 annotations a month).
const RATE: Record<string, number[]> = {
  alice: [0.5, 0.5, 0.25, 0.25, 0, 0],
  bob: [1.5, 1.25, 1, 0.5, 0.75, 0.25],
  carol: [0.75, 1, 0.5, 0.5, 0.25, 0.25],
};
const RULES: RuleCode[] = ['components.too_many', 'volume.below_min', 'slices.gap'];
const DICE: Record<string, number> = { alice: 0.92, bob: 0.81, carol: 0.88 };

function finding(item: string, annotator: string, rule: RuleCode): Finding {
  return { item, annotation: `${annotator}/${item}`, annotator, label: 'Liver', rule, severity: rule === 'slices.gap' ? 'warning' : 'error', message: 'm', value: null, limit: null, location: null };
}

function steps(): HistoryStep[] {
  const out: HistoryStep[] = [];
  let n = 0;
  MONTHS.forEach((month, m) => {
    for (const [annotator, rates] of Object.entries(RATE)) {
      const findings = Math.round(rates[m] * 4);
      const items: HistoryStep['items'] = [];
      for (let k = 0; k < 4; k++) {
        const id = `ct_${m}_${k}`;
        const fs = Array.from({ length: Math.floor(findings / 4) + (k < findings % 4 ? 1 : 0) }, (_, j) => finding(id, annotator, RULES[(k + j) % RULES.length]));
        const report: ItemReport = {
          id,
          files: [],
          annotations: [{ id: `${annotator}/${id}`, annotator, source: `labels/${annotator}/${id}.nii.gz`, labels: [] }],
          findings: fs,
          agreement: [{ label: 'Liver', a: 'reference', b: annotator, dice: DICE[annotator] + m * 0.01, nsd: 0.9, hd95: 3 }],
        };
        items.push({ report, changed: [`${annotator}/${id}`] });
      }
      const sha = (n++).toString(16).padStart(40, 'a');
      out.push({
        commit: { sha, parent: null, author: annotator, email: '', date: `${month}-1${m}T10:00:00+00:00`, subject: 's', merge: false },
        guideline: { id: 'liver-ct', version: m < 3 ? '1.0.0' : '1.1.0', sha256: m < 3 ? 'a' : 'b', path: 'guideline.yaml' },
        failOn: 'error',
        gap: null,
        items,
      });
    }
  });
  return out;
}

let browser: Awaited<ReturnType<typeof launch>>;
beforeAll(async () => {
  browser = await launch();
}, 120_000);
afterAll(async () => browser?.close());

describe('segqc history --html in Chromium', () => {
  it('draws one line per annotator and one bar per rule, with nothing loaded from outside', async () => {
    const report = buildHistory(steps(), { by: 'month', toolVersion: 'test', shallow: false });
    expect(report.annotators.map((a) => a.annotator)).toEqual(['alice', 'bob', 'carol']);
    const html = renderHistoryHtml(report);
    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.setContent(html, { waitUntil: 'load' });
    const drawn = await page.evaluate(() => {
      const chart = (id: string) => {
        const svg = document.querySelector(`#${id} svg`) as SVGSVGElement;
        const lines = Array.from(svg.querySelectorAll('polyline.series')).map((p) => {
          const box = (p as SVGGraphicsElement).getBBox();
          return { annotator: p.getAttribute('data-annotator'), points: (p.getAttribute('points') ?? '').trim().split(/\s+/).length, width: box.width, height: box.height };
        });
        return { lines, rect: svg.getBoundingClientRect().width };
      };
      const bars = Array.from(document.querySelectorAll('#rules-chart rect.bar')).map((r) => ({ rule: r.querySelector('title')?.textContent, width: (r as SVGGraphicsElement).getBBox().width }));
      return { findings: chart('findings-chart'), agreement: chart('agreement-chart'), bars, rows: document.querySelectorAll('tbody tr').length };
    });
    expect(drawn.findings.lines.map((l) => [l.annotator, l.points])).toEqual([
      ['alice', 6],
      ['bob', 6],
      ['carol', 6],
    ]);
    // alice goes to zero findings: her line spans the chart's height from 0.5 to 0; bob's is the highest.
    for (const l of [...drawn.findings.lines, ...drawn.agreement.lines]) expect(l.width).toBeGreaterThan(400);
    expect(drawn.findings.lines[0].height).toBeGreaterThan(20);
    expect(drawn.agreement.lines.map((l) => l.annotator)).toEqual(['alice', 'bob', 'carol']);
    // Bars in proportion to the totals of each rule.
    const totals = Object.fromEntries(report.rules.map((r) => [r.rule, r.total]));
    expect(drawn.bars).toHaveLength(RULES.length);
    const max = Math.max(...Object.values(totals));
    for (const b of drawn.bars) {
      const [rule, count] = b.rule!.split(': ');
      expect(Number(count)).toBe(totals[rule]);
      expect(b.width / (Number(count) / max)).toBeCloseTo(Math.max(...drawn.bars.map((x) => x.width)), 0);
    }
    expect(drawn.rows).toBe(3);
    expect(requests.filter((u) => !u.startsWith('about:') && !u.startsWith('data:'))).toEqual([]);
    expect(errors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'history.html'), html);
    await page.screenshot({ path: join(ARTIFACTS, 'history.png'), fullPage: true });
    await page.close();
  }, 120_000);
});
