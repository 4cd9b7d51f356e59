/**
 * The review loop in the real Label Studio editor in headless chromium, once per editor build: a reviewer opens an
 * annotator's task and rejects it with two reasons, and the exported task goes through the built `segqc check`
 * (`review.rejected` naming both); the annotator reopens it, sees the feedback, cannot save before confirming each
 * reason, paints the missed lesion and saves (`review.stale`); the reviewer accepts the new version (no review finding).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, EDITOR_BUILDS, EXT_DIST, ROOT, assertEditorBuild, assertFreshBuild, type EditorBuild, editorPage, launch, paintStroke, serve, slicePng, watchConsole } from './extension-harness.js';
import { H, TASK, W, preAnnotation } from './extension-scenario.js';
import { ANN, REV, REVIEW_GUIDELINE, REVIEW_GUIDELINE_TEXT } from './extension-review-scenario.js';
import { labelConfig } from '../shared/guideline/labelconfig.js';
import { guidelineSha256 } from '../shared/guideline/hash.js';
import { validateAttestation } from '../shared/rules/attestation.js';
import { labelStudioMaskSha256 } from '../shared/review/reader.js';

const BUNDLE = join(EXT_DIST, 'segqc-labelstudio.js');
/** Generous limits: each step waits for a condition, and the machine may be busy. */
const WAIT = 60_000;
const STORY_MS = 300_000;
const CLI = join(ROOT, 'bin/segqc.js');

const REVIEW_TEXT = REVIEW_GUIDELINE_TEXT;
const GUIDELINE = REVIEW_GUIDELINE;
const CONFIG = labelConfig(GUIDELINE, { tool: 'both' });

/** The attestation the annotator saved: both visible items confirmed, the size finding overridden. */
const ATTESTATION = JSON.stringify({
  schema: 'segqc-attestation/1',
  guideline: { id: GUIDELINE.id, version: GUIDELINE.version, sha256: guidelineSha256(GUIDELINE) },
  answers: { veins_excluded: true, margins_reviewed: false, no_tumour_confirmed: true },
  findings: [{ rule: 'volume.below_min', severity: 'error', label: 'Liver', message: 'Liver is small' }],
  overrides: [{ rule: 'volume.below_min', label: 'Liver', reason: 'single axial slice, not the whole liver', by: ANN.email }],
  tool: { name: 'segqc-labelstudio', version: 'test' },
  submitted_at: '2026-12-01T10:00:00.000Z',
});

/** The annotator's saved result: the liver brush mask, two checklist answers, the attestation. */
const annotatorResult = (): Array<Record<string, unknown>> => [
  preAnnotation()[0],
  ...['veins_excluded', 'no_tumour_confirmed'].map((id) => ({ id: `c_${id}`, from_name: `segqc_checklist_${id}`, to_name: 'image', type: 'choices', value: { choices: ['yes'] } })),
  { id: 'att', from_name: 'segqc_attestation', to_name: 'image', type: 'textarea', value: { text: [ATTESTATION] } },
];

/** A page where `user` opens task 1 with the annotator's annotation 1001 holding `result` (and the task's `others`). */
function pageFor(user: typeof ANN, result: unknown[], others: unknown[] = []): string {
  const task = { ...TASK, annotations: [{ id: 1001, pk: '1001', completed_by: { id: ANN.id, email: ANN.email }, result, was_cancelled: false, ground_truth: false }, ...others] };
  return editorPage({
    head: '<script src="/ext/segqc-labelstudio.js"></script>',
    setup: `
window.ls = new LabelStudio('label-studio', {
  config: ${JSON.stringify(CONFIG)}, task: ${JSON.stringify(task)},
  interfaces: ['panel', 'update', 'submit', 'controls', 'side-column', 'annotations:menu', 'edit-history', 'topbar'],
  user: ${JSON.stringify({ pk: user.id, ...user })},
  users: ${JSON.stringify([ANN, REV])},
  onLabelStudioLoad(store) {
    // The task's annotations arrive after the editor says it loaded, in some builds.
    const select = () => {
      const a = store.annotationStore.annotations.find((x) => String(x.pk) === '1001');
      if (!a) return void setTimeout(select, 20);
      if (store.annotationStore.selected !== a) store.annotationStore.selectAnnotation(a.id);
    };
    select();
  },
  onSubmitAnnotation(store, annotation) { window.__submitted.push(annotation.serializeAnnotation()); },
  onUpdateAnnotation(store, annotation) { window.__updated.push(annotation.serializeAnnotation()); },
});
window.segqc = SegQC.attach(window.ls, { guideline: ${JSON.stringify(REVIEW_TEXT)}, panel: '#segqc-panel-host' });
`,
  });
}

let browser: Awaited<ReturnType<typeof launch>>;
let context: BrowserContext;

beforeAll(async () => {
  assertFreshBuild([BUNDLE, join(ROOT, 'dist/segqc.js')]);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launch();
  context = browser.context;
});

afterAll(async () => {
  await browser?.close();
});

type Entry = Record<string, any>;
const textOf = (result: Entry[], from: string): string | undefined => result.find((r) => r.from_name === from)?.value?.text?.[0];
const gateText = (page: Page) => page.locator('[data-segqc="gate"]').innerText();
const clickUpdate = (page: Page) => page.locator('button').filter({ hasText: /^\s*Update\s*$/ }).click();
const waitGate = (page: Page, text: string) =>
  page.waitForFunction((t) => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes(t), text, { timeout: WAIT });
const waitChecked = (page: Page, id: string) =>
  page.waitForFunction((i) => (document.getElementById(i) as HTMLInputElement | null)?.checked === true, id, { timeout: WAIT });
const rulesOf = (report: any): string[] => report.items.flatMap((i: any) => i.findings.map((f: any) => f.rule));

/** Runs the built CLI on a Label Studio export of annotation 1001 holding `result` (and the task's `others`). */
function segqcCheck(result: unknown[], others: unknown[] = []): { status: number | null; report: any; stderr: string } {
  const d = mkdtempSync(join(tmpdir(), 'segqc-review-'));
  try {
    mkdirSync(join(d, 'export'));
    writeFileSync(join(d, 'guideline.yaml'), REVIEW_TEXT);
    writeFileSync(join(d, 'segqc.yaml'), 'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: export/*.json\n    spacing: pixel_spacing\n');
    const task = { id: TASK.id, data: TASK.data, annotations: [{ id: 1001, completed_by: { id: ANN.id, email: ANN.email }, result, was_cancelled: false, ground_truth: false }, ...others] };
    writeFileSync(join(d, 'export/project-1.json'), JSON.stringify([task]));
    const r = spawnSync(process.execPath, [CLI, 'check', d, '--json', join(d, 'r.json')], { encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, report: JSON.parse(readFileSync(join(d, 'r.json'), 'utf8')), stderr: r.stderr };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

describe.each(EDITOR_BUILDS)('the review loop in the Label Studio editor ($name)', (build: EditorBuild) => {
  let server: Awaited<ReturnType<typeof serve>>;
  /** The result after each save of the story: the reviewer's reject, the annotator's fix. */
  let rejected: Entry[] | null = null;
  let fixed: Entry[] | null = null;
  const shot = (file: string) => join(ARTIFACTS, `review-${build.name.replace(/^@/, '').replace(/[^\w.@-]+/g, '_')}-${file}`);
  const routes: Record<string, string | Uint8Array | { dir: string }> = {};

  beforeAll(async () => {
    assertEditorBuild(build);
    Object.assign(routes, { '/lsf/': { dir: build.dir }, '/ext/': { dir: EXT_DIST }, '/img/ct_001.png': slicePng(W, H), '/review.html': pageFor(REV, annotatorResult()) });
    server = await serve(routes);
  });

  afterAll(async () => {
    await server?.close();
  });

  /** Opens a page and waits until the annotation shows `regions` regions and the panel has checked it. */
  async function open(path: string, regions: number): Promise<{ page: Page; log: string[] }> {
    const page = await context.newPage();
    const log = watchConsole(page);
    await page.goto(`${server.url}${path}`);
    try {
      await page.waitForFunction((n) => (window as any).Htx?.annotationStore?.selected?.regionStore?.regions?.length === n, regions, { timeout: 90_000 });
      await page.waitForFunction(() => (document.querySelector('[data-segqc="status"]')?.textContent ?? '') !== '', null, { timeout: 60_000 });
    } catch (e) {
      const state = await page
        .evaluate(() => {
          const as = (window as any).Htx?.annotationStore;
          return JSON.stringify({ n: as?.annotations?.length, selected: !!as?.selected, regions: as?.selected?.regionStore?.regions?.length });
        })
        .catch((x) => String(x));
      await page.close();
      throw new Error(`${(e as Error).message}: ${state}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join('\n')}`);
    }
    return { page, log };
  }

  const fail = async (page: Page, log: string[], name: string, e: unknown) => {
    await page.screenshot({ path: shot(name) }).catch(() => {});
    return new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join('\n')}`);
  };

  test('a reviewer rejects with two reasons; the attestation is untouched and segqc check reports review.rejected naming both', async () => {
    const { page, log } = await open('/review.html', 1);
    try {
      // Someone else's annotation: the review form replaces the checklist.
      await page.waitForFunction(() => !!document.querySelector('[data-segqc="review"] #segqc-verdict-reject'), null, { timeout: 60_000 });
      expect(await page.locator('[data-segqc="checklist"]').isHidden()).toBe(true);
      expect(await page.locator('[data-segqc="review"]').innerText()).toContain(`Reviewing the annotation of ${ANN.email}`);
      expect(await page.locator('[data-segqc="review-stage"]').innerText()).toBe('Stage: Peer review');
      const reasons = page.locator('[data-segqc="review"] [data-reason]');
      expect(await reasons.evaluateAll((els) => els.map((e) => e.getAttribute('data-reason')))).toEqual(['boundary_loose', 'missed_lesion', 'wrong_label']);
      expect(await page.locator('[data-segqc="review"] [data-reason="boundary_loose"]').innerText()).toContain('Trim the liver at the capsule');
      // A reviewer's save is not gated by the annotator's findings, and offers no override.
      expect(await page.locator('[data-segqc="findings"]').innerText()).toContain('volume.below_min');
      expect(await page.locator('[data-segqc="findings"] [data-key^="override:"]').count()).toBe(0);

      // No verdict yet: Update is refused and says so.
      await clickUpdate(page);
      await waitGate(page, 'choose a verdict');
      // A reject without a reason is refused too.
      await page.locator('#segqc-verdict-reject').check();
      await waitChecked(page, 'segqc-verdict-reject');
      await clickUpdate(page);
      await waitGate(page, 'at least one reason');
      expect(await page.evaluate(() => (window as any).__updated.length)).toBe(0);

      await page.locator('#segqc-reason-boundary_loose').check();
      await waitChecked(page, 'segqc-reason-boundary_loose');
      await page.locator('#segqc-reason-missed_lesion').check();
      await waitChecked(page, 'segqc-reason-missed_lesion');
      // Typing the comment survives a redraw of the panel (a check while the box has the focus).
      await page.locator('[data-key="review-comment"]').click();
      await page.keyboard.type('The IVC is inside the mask;');
      await page.evaluate(() => (window as any).segqc.check());
      await page.keyboard.type(' the lesion at segment VII is missing.');
      expect(await page.locator('[data-key="review-comment"]').inputValue()).toBe('The IVC is inside the mask; the lesion at segment VII is missing.');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-key'))).toBe('review-comment');
      await page.screenshot({ path: shot('1-review.png') });
      await clickUpdate(page);
      await page.waitForFunction(() => (window as any).__updated.length === 1, null, { timeout: WAIT });
      expect(await gateText(page)).toBe('');
      const result = (await page.evaluate(() => (window as any).__updated[0])) as Entry[];
      rejected = result;

      // The record is in the hidden field; the annotator's attestation is exactly what they saved.
      const doc = JSON.parse(textOf(result, 'segqc_review') ?? 'null');
      expect(doc.schema).toBe('segqc-review/1');
      expect(doc.reviews).toHaveLength(1);
      expect(doc.reviews[0]).toMatchObject({
        stage: 'peer',
        reviewer: REV.email,
        reviewer_id: '2',
        verdict: 'reject',
        reasons: ['boundary_loose', 'missed_lesion'],
        comment: 'The IVC is inside the mask; the lesion at segment VII is missing.',
      });
      expect(doc.reviews[0].mask_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(doc.reviews[0].fixed_sha256).toBeUndefined();
      expect(textOf(result, 'segqc_attestation')).toBe(ATTESTATION);
      expect(result.filter((r) => r.type === 'brushlabels')).toHaveLength(1);

      // The exported task through the built CLI: rejected with both reasons by title; not stale, not ineligible.
      const { report, stderr } = segqcCheck(result);
      const findings = report.items.flatMap((i: any) => i.findings);
      const rej = findings.filter((f: any) => f.rule === 'review.rejected');
      expect(rej, stderr).toHaveLength(1);
      expect(rej[0].message).toContain('Boundary includes adjacent structures');
      expect(rej[0].message).toContain('A lesion is not segmented');
      expect(rej[0].annotator).toBe(ANN.email);
      expect(rulesOf(report).filter((r) => r.startsWith('review.') || r.startsWith('attestation.'))).toEqual(['review.rejected']);
      expect(report.verdict).toBe('fail');
      // The record is not an annotation: task 1 still has the one annotation, rejected at the peer stage.
      expect(report.items).toHaveLength(1);
      expect(report.items[0].annotations).toHaveLength(1);
      expect(report.items[0].reviews.map((r: any) => `${r.stage}:${r.status}:${r.reviewer}`)).toEqual([`peer:rejected:${REV.email}`]);
      expect(report.annotators.find((a: any) => a.annotator === ANN.email)?.open_rejections?.[0]?.reasons).toEqual(['boundary_loose', 'missed_lesion']);
    } catch (e) {
      throw await fail(page, log, 'review-failure.png', e);
    } finally {
      await page.close();
    }
  }, STORY_MS);

  test('the annotator reopens it: the feedback is on top, saving waits until each reason is confirmed, the fix makes the review stale', async () => {
    expect(rejected, 'the reviewer test saved a review').not.toBeNull();
    routes['/feedback.html'] = pageFor(ANN, rejected as Entry[]);
    const { page, log } = await open('/feedback.html', 1);
    try {
      await page.waitForFunction(() => (document.querySelector('[data-segqc="feedback"]')?.textContent ?? '').includes('A lesion is not segmented'), null, { timeout: 60_000 });
      const fb = await page.locator('[data-segqc="feedback"]').innerText();
      expect(fb).toContain(`Rejected at Peer review by ${REV.email}`);
      expect(fb).toContain('Boundary includes adjacent structures');
      expect(fb).toContain('Trim the liver at the capsule');
      expect(fb).toContain('Scroll through the whole liver');
      expect(fb).toContain('The IVC is inside the mask');
      expect(await page.locator('[data-segqc="review"]').innerText()).toBe('');
      expect(await page.locator('[data-segqc="checklist"]').isVisible()).toBe(true);
      // The feedback sits above the findings and the checklist.
      const above = await page.evaluate(() => {
        const f = document.querySelector('[data-segqc="feedback"]')!;
        const s = document.querySelector('[data-segqc="findings"]')!;
        return !!(f.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING);
      });
      expect(above).toBe(true);
      await page.screenshot({ path: shot('2-feedback.png') });

      // The size finding overridden, the checklist answered from the result: only the feedback blocks.
      expect(await page.evaluate(() => (window as any).segqc.override('volume.below_min', 'Liver', 'single axial slice, not the whole liver'))).toBe(true);
      await clickUpdate(page);
      await waitGate(page, 'review feedback');
      const gate = await gateText(page);
      expect(gate).toContain('"Boundary includes adjacent structures"');
      expect(gate).toContain('"A lesion is not segmented"');
      expect(gate).not.toContain('volume.below_min');
      expect(gate).not.toContain('Portal and hepatic veins');

      // One reason confirmed: still refused, naming only the other.
      await page.locator('#segqc-feedback-peer_boundary_loose').check();
      await waitChecked(page, 'segqc-feedback-peer_boundary_loose');
      await page.waitForFunction(() => !(document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('Boundary includes'), null, { timeout: WAIT });
      await clickUpdate(page);
      await waitGate(page, 'A lesion is not segmented');
      expect(await gateText(page)).not.toContain('Boundary includes');
      expect(await page.evaluate(() => (window as any).__updated.length)).toBe(0);
      await page.locator('#segqc-feedback-peer_missed_lesion').check();
      await waitChecked(page, 'segqc-feedback-peer_missed_lesion');

      // The fix: the missed lesion painted inside the liver with the brush (Liver tumour).
      // Across image x 60..75 at y 55: well inside the liver disc (centre (70, 60), radius 35).
      await paintStroke(page, 'Liver tumour', [60, 55], [75, 55], WAIT);
      await page.waitForFunction(() => (window as any).Htx.annotationStore.selected.regionStore.regions.some((r: any) => r.type === 'brushregion' && r.labels?.includes?.('Liver tumour')), null, {
        timeout: WAIT,
      });
      // With a tumour drawn the checklist asks for its margins: the gate now wants that, and nothing from the feedback.
      await page.waitForFunction(() => !!document.querySelector('[data-item="margins_reviewed"]'), null, { timeout: WAIT });
      await clickUpdate(page);
      await waitGate(page, 'Tumour margins reviewed');
      expect(await gateText(page)).not.toContain('review feedback');
      expect(await page.evaluate(() => (window as any).__updated.length)).toBe(0);
      const box = page.locator('#segqc-check-margins_reviewed');
      await box.focus();
      await page.keyboard.press('Space');
      await waitChecked(page, 'segqc-check-margins_reviewed');

      await clickUpdate(page);
      await page.waitForFunction(() => (window as any).__updated.length === 1, null, { timeout: WAIT });
      const result = (await page.evaluate(() => (window as any).__updated[0])) as Entry[];
      fixed = result;
      await page.screenshot({ path: shot('3-addressed.png') });

      // The new attestation records the feedback addressed and the annotator's own answers; the review record is untouched.
      const parsed = validateAttestation(textOf(result, 'segqc_attestation'));
      expect(parsed.problems).toEqual([]);
      const reviewDoc = JSON.parse(textOf(rejected as Entry[], 'segqc_review') as string);
      expect(parsed.attestation?.feedback).toEqual([{ stage: 'peer', reviewer: REV.email, time: reviewDoc.reviews[0].time, reasons: ['boundary_loose', 'missed_lesion'] }]);
      expect(parsed.attestation?.answers).toMatchObject({ veins_excluded: true, margins_reviewed: true });
      expect(parsed.attestation?.findings.map((f) => f.rule)).toEqual(['volume.below_min']);
      expect(textOf(result, 'segqc_review')).toBe(textOf(rejected as Entry[], 'segqc_review'));
      expect(result.filter((r) => r.type === 'brushlabels').map((r) => r.value.brushlabels[0]).sort()).toEqual(['Liver', 'Liver tumour']);

      // The mask changed after the reject: segqc check says the review is stale, no longer rejected.
      const { report, stderr } = segqcCheck(result);
      const stale = report.items.flatMap((i: any) => i.findings).filter((f: any) => f.rule === 'review.stale');
      expect(stale, stderr).toHaveLength(1);
      expect(stale[0].annotator).toBe(ANN.email);
      expect(rulesOf(report).filter((r) => r.startsWith('review.') || r.startsWith('attestation.'))).toEqual(['review.stale']);
      expect(report.items[0].reviews.map((r: any) => `${r.stage}:${r.status}`)).toEqual(['peer:stale']);
      expect(report.verdict).toBe('fail');
    } catch (e) {
      throw await fail(page, log, 'feedback-failure.png', e);
    } finally {
      await page.close();
    }
  }, STORY_MS);

  test('the reviewer accepts the fixed annotation: the earlier verdict is listed, and segqc check has no review finding', async () => {
    expect(fixed, 'the annotator test saved the fix').not.toBeNull();
    routes['/rereview.html'] = pageFor(REV, fixed as Entry[]);
    const { page, log } = await open('/rereview.html', 2);
    try {
      await page.waitForFunction(() => !!document.querySelector('[data-segqc="review"] #segqc-verdict-accept'), null, { timeout: 60_000 });
      expect(await page.locator('[data-segqc="feedback"]').innerText()).toBe('');
      const history = await page.locator('[data-segqc="review"] [aria-label="Earlier verdicts"]').innerText();
      expect(history).toContain(`Reject at Peer review by ${REV.email}`);
      expect(history).toContain('Boundary includes adjacent structures; A lesion is not segmented');
      await page.locator('#segqc-verdict-accept').check();
      await waitChecked(page, 'segqc-verdict-accept');
      await clickUpdate(page);
      await page.waitForFunction(() => (window as any).__updated.length === 1, null, { timeout: WAIT });
      const result = (await page.evaluate(() => (window as any).__updated[0])) as Entry[];
      await page.screenshot({ path: shot('4-accepted.png') });

      // Appended, never rewritten: the reject stays, the accept follows it about the annotator's new mask.
      const before = JSON.parse(textOf(fixed as Entry[], 'segqc_review') as string);
      const doc = JSON.parse(textOf(result, 'segqc_review') as string);
      expect(doc.reviews).toHaveLength(2);
      expect(doc.reviews[0]).toEqual(before.reviews[0]);
      expect(doc.reviews[1]).toMatchObject({ stage: 'peer', reviewer: REV.email, verdict: 'accept', reasons: [] });
      expect(doc.reviews[1].mask_sha256).not.toBe(doc.reviews[0].mask_sha256);
      expect(doc.reviews[1].fixed_sha256).toBeUndefined();
      expect(textOf(result, 'segqc_attestation')).toBe(textOf(fixed as Entry[], 'segqc_attestation'));

      const { report, stderr } = segqcCheck(result);
      expect(rulesOf(report).filter((r) => r.startsWith('review.') || r.startsWith('attestation.')), stderr).toEqual([]);
      expect(report.items[0].reviews.map((r: any) => `${r.stage}:${r.status}:${r.verdict}`)).toEqual(['peer:accepted:accept']);
      expect(report.review.stages[0]).toMatchObject({ id: 'peer', items_covered: 1, items_accepted: 1, items_rejected: 0, items_stale: 0, items_pending: 0 });
      expect(report.annotators.find((a: any) => a.annotator === ANN.email)?.open_rejections ?? []).toEqual([]);
    } catch (e) {
      throw await fail(page, log, 'accept-failure.png', e);
    } finally {
      await page.close();
    }
  }, STORY_MS);
  test('a reviewer who changes the regions must say accept with fixes: the record carries the annotator\'s hash and theirs', async () => {
    expect(fixed, 'the annotator test saved the fix').not.toBeNull();
    routes['/fix.html'] = pageFor(REV, fixed as Entry[]);
    const { page, log } = await open('/fix.html', 2);
    try {
      await page.waitForFunction(() => !!document.querySelector('[data-segqc="review"] #segqc-verdict-accept'), null, { timeout: WAIT });
      // The reviewer paints more liver over the disc's right edge (x 95..110 at y 60; the disc ends at x 105).
      await paintStroke(page, 'Liver', [95, 60], [110, 60], WAIT);
      await page.waitForFunction(() => (window as any).Htx.annotationStore.selected.regionStore.regions.length === 3, null, { timeout: WAIT });

      // A plain accept of a mask the reviewer changed is refused: it would pass the reviewer's work off as the annotator's.
      await page.locator('#segqc-verdict-accept').check();
      await waitChecked(page, 'segqc-verdict-accept');
      await clickUpdate(page);
      await waitGate(page, 'you changed the regions');
      expect(await page.evaluate(() => (window as any).__updated.length)).toBe(0);
      await page.locator('#segqc-verdict-accept_with_fixes').check();
      await waitChecked(page, 'segqc-verdict-accept_with_fixes');
      await page.locator('#segqc-reason-boundary_loose').check();
      await waitChecked(page, 'segqc-reason-boundary_loose');
      await clickUpdate(page);
      await page.waitForFunction(() => (window as any).__updated.length === 1, null, { timeout: WAIT });
      const result = (await page.evaluate(() => (window as any).__updated[0])) as Entry[];
      await page.screenshot({ path: shot('5-fixed-by-reviewer.png') });

      // mask_sha256 is the annotator's mask as exported before, fixed_sha256 the mask saved now (hashed here in Node).
      const doc = JSON.parse(textOf(result, 'segqc_review') as string);
      expect(doc.reviews).toHaveLength(2);
      expect(doc.reviews[1]).toMatchObject({ stage: 'peer', reviewer: REV.email, verdict: 'accept_with_fixes', reasons: ['boundary_loose'] });
      expect(doc.reviews[1].mask_sha256).toBe(labelStudioMaskSha256(fixed as Entry[]));
      expect(doc.reviews[1].fixed_sha256).toBe(labelStudioMaskSha256(result));
      expect(doc.reviews[1].fixed_sha256).not.toBe(doc.reviews[1].mask_sha256);
      // The attestation still says what the annotator confirmed.
      expect(textOf(result, 'segqc_attestation')).toBe(textOf(fixed as Entry[], 'segqc_attestation'));

      const { report, stderr } = segqcCheck(result);
      expect(rulesOf(report).filter((r) => r.startsWith('review.') || r.startsWith('attestation.')), stderr).toEqual([]);
      expect(report.items[0].reviews.map((r: any) => `${r.stage}:${r.status}:${r.verdict}`)).toEqual(['peer:accepted:accept_with_fixes']);
      // Edited again after the fix (the lesion removed), the verdict is stale: it is about the reviewer's version only.
      const edited = result.filter((r) => !(r.type === 'brushlabels' && r.value.brushlabels[0] === 'Liver tumour'));
      expect(labelStudioMaskSha256(edited)).not.toBe(labelStudioMaskSha256(result));
      expect(rulesOf(segqcCheck(edited).report).filter((r) => r.startsWith('review.'))).toEqual(['review.stale']);
    } catch (e) {
      throw await fail(page, log, 'fix-failure.png', e);
    } finally {
      await page.close();
    }
  }, STORY_MS);
  test("a reject kept in the reviewer's own review-only annotation reaches the annotator: feedback on top, confirmed before saving", async () => {
    // Community has no review step: the reviewer answered with an annotation of their own (1002) holding only the record.
    const record = {
      stage: 'peer',
      reviewer: REV.email,
      reviewer_id: String(REV.id),
      verdict: 'reject',
      reasons: ['boundary_loose', 'missed_lesion'],
      comment: 'Kept apart: the IVC is inside the mask.',
      time: '2026-12-02T09:30:00.000Z',
      mask_sha256: labelStudioMaskSha256(annotatorResult()),
      annotation: '1001',
    };
    const carrier = {
      id: 1002,
      pk: '1002',
      completed_by: { id: REV.id, email: REV.email },
      result: [{ id: 'rev', from_name: 'segqc_review', to_name: 'image', type: 'textarea', value: { text: [JSON.stringify({ schema: 'segqc-review/1', reviews: [record] })] } }],
      was_cancelled: false,
      ground_truth: false,
    };
    // The export as it stands: segqc check already reads the record (and does not count 1002 as an annotation).
    const before = segqcCheck(annotatorResult(), [carrier]);
    expect(rulesOf(before.report).filter((r) => r.startsWith('review.')), before.stderr).toEqual(['review.rejected']);
    expect(before.report.items[0].annotations).toHaveLength(1);

    routes['/carrier.html'] = pageFor(ANN, annotatorResult(), [carrier]);
    const { page, log } = await open('/carrier.html', 1);
    try {
      await page.waitForFunction(() => (document.querySelector('[data-segqc="feedback"]')?.textContent ?? '').includes('A lesion is not segmented'), null, { timeout: 60_000 });
      expect(await page.evaluate(() => String((window as any).Htx.annotationStore.selected.pk))).toBe('1001');
      const fb = await page.locator('[data-segqc="feedback"]').innerText();
      expect(fb).toContain(`Rejected at Peer review by ${REV.email}`);
      expect(fb).toContain('Boundary includes adjacent structures');
      expect(fb).toContain('Trim the liver at the capsule');
      expect(fb).toContain('Scroll through the whole liver');
      expect(fb).toContain('Kept apart: the IVC is inside the mask.');
      expect(await page.locator('[data-segqc="review"]').innerText()).toBe('');
      await page.screenshot({ path: shot('6-feedback-from-review-annotation.png') });

      expect(await page.evaluate(() => (window as any).segqc.override('volume.below_min', 'Liver', 'single axial slice, not the whole liver'))).toBe(true);
      await clickUpdate(page);
      await waitGate(page, 'review feedback');
      const gate = await gateText(page);
      expect(gate).toContain('"Boundary includes adjacent structures"');
      expect(gate).toContain('"A lesion is not segmented"');
      expect(await page.evaluate(() => (window as any).__updated.length)).toBe(0);
      await page.locator('#segqc-feedback-peer_boundary_loose').check();
      await waitChecked(page, 'segqc-feedback-peer_boundary_loose');
      await page.locator('#segqc-feedback-peer_missed_lesion').check();
      await waitChecked(page, 'segqc-feedback-peer_missed_lesion');
      await page.waitForFunction(() => !(document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('review feedback'), null, { timeout: WAIT });
      await clickUpdate(page);
      await page.waitForFunction(() => (window as any).__updated.length === 1, null, { timeout: WAIT });
      const result = (await page.evaluate(() => (window as any).__updated[0])) as Entry[];

      // The attestation records the feedback addressed; the record stays in the reviewer's annotation, not copied here.
      const parsed = validateAttestation(textOf(result, 'segqc_attestation'));
      expect(parsed.problems).toEqual([]);
      expect(parsed.attestation?.feedback).toEqual([{ stage: 'peer', reviewer: REV.email, time: record.time, reasons: ['boundary_loose', 'missed_lesion'] }]);
      expect(textOf(result, 'segqc_review')).toBeUndefined();
      // The mask is unchanged, so the reject still stands for segqc check until it changes or a reviewer accepts.
      const after = segqcCheck(result, [carrier]);
      expect(rulesOf(after.report).filter((r) => r.startsWith('review.')), after.stderr).toEqual(['review.rejected']);
      expect(after.report.items[0].annotations).toHaveLength(1);
    } catch (e) {
      throw await fail(page, log, 'carrier-failure.png', e);
    } finally {
      await page.close();
    }
  }, STORY_MS);
});
