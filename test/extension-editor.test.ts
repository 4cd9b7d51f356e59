/**
 * The embedding API in the real Label Studio editor in headless Debian chromium, once per editor build
 * (label-studio-frontend 1.7.1, @heartexlabs/label-studio 1.4.0): live findings, the inline checklist, the submit
 * gate, overrides, and an attestation that `segqc check` accepts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, EDITOR_BUILDS, EXT_DIST, assertEditorBuild, assertFreshBuild, type EditorBuild, editorPage, launch, paintStroke, readmeJsBlock, serve, slicePng, watchConsole } from './extension-harness.js';
import { CONFIG, GUIDELINE, GUIDELINE_TEXT, H, PLAIN_CONFIG, TASK, W, editorSetup } from './extension-scenario.js';
import { validateAttestation } from '../shared/rules/attestation.js';
import { guidelineSha256 } from '../shared/guideline/hash.js';
import { checkDataset } from '../shared/dataset/check.js';
import { memoryTree } from '../shared/dataset/tree.js';
import { parseConfig } from '../shared/guideline/config.js';
import type { Attestation } from '../shared/rules/types.js';

const BUNDLE = join(EXT_DIST, 'segqc-labelstudio.js');

let browser: Awaited<ReturnType<typeof launch>>;
let context: BrowserContext;

const attachScript = `window.segqc = SegQC.attach(window.ls, { guideline: ${JSON.stringify(GUIDELINE_TEXT)}, panel: '#segqc-panel-host' });`;

/** The pages of the tests, with the editor build served under /lsf/. */
const routes = (build: EditorBuild) => ({
  '/lsf/': { dir: build.dir },
  '/ext/': { dir: EXT_DIST },
  '/img/ct_001.png': slicePng(W, H),
  '/gated.html': editorPage({ head: '<script src="/ext/segqc-labelstudio.js"></script>', setup: editorSetup({ attach: attachScript }) }),
  '/plain.html': editorPage({ head: '<script src="/ext/segqc-labelstudio.js"></script>', setup: editorSetup({ config: PLAIN_CONFIG, attach: attachScript }) }),
  // A page that hands segqc only the app store (window.Htx), as plugin code and content scripts often have it.
  '/htx.html': editorPage({
    head: '<script src="/ext/segqc-labelstudio.js"></script>',
    setup: editorSetup({
      attach: `const wait = setInterval(() => { if (window.Htx && window.Htx.annotationStore.selected) { clearInterval(wait); window.segqc = SegQC.attach(window.Htx, { guideline: ${JSON.stringify(GUIDELINE_TEXT)}, panel: '#segqc-panel-host' }); } }, 20);`,
    }),
  }),
  // A page whose live check never runs by itself after loading (a debounce of ten minutes): only the gate checks.
  '/idle.html': editorPage({
    head: '<script src="/ext/segqc-labelstudio.js"></script>',
    setup: editorSetup({ attach: attachScript.replace("panel: '#segqc-panel-host' }", "panel: '#segqc-panel-host', debounceMs: 600000 }") }),
  }),
  // A page without Web Workers: the live check runs on the page's thread, as before workers.
  '/noworker.html': editorPage({
    head: '<script>delete window.Worker;</script><script src="/ext/segqc-labelstudio.js"></script>',
    setup: editorSetup({ attach: attachScript }),
  }),
  // The README's embedding snippet as written, with what it says the page provides: the config, the guideline, #qc.
  '/readme.html': editorPage({
    head: '<script src="/ext/segqc-labelstudio.js"></script>',
    setup: `document.body.insertAdjacentHTML('beforeend', '<div id="qc"></div>');
const config = ${JSON.stringify(CONFIG)};
const yamlText = ${JSON.stringify(GUIDELINE_TEXT)};
${readmeJsBlock('1. **Embedding**')}
window.qc = qc;`,
  }),
  // A page whose Content-Security-Policy forbids compiled code, as a hardened Label Studio server may send.
  '/csp.html': {
    body: editorPage({
      head: '<script src="/ext/segqc-labelstudio.js"></script>',
      setup: editorSetup({ attach: attachScript, extra: "try { new Function('return 1'); window.__eval = 'allowed'; } catch (e) { window.__eval = e.constructor.name; }" }),
    }),
    headers: { 'content-security-policy': "script-src 'self' 'unsafe-inline'; object-src 'none'" },
  },
});

beforeAll(async () => {
  assertFreshBuild([BUNDLE]);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launch();
  context = browser.context;
});

afterAll(async () => {
  await browser?.close();
});

/** The laptop screen the annotator's view is held to. */
const VIEWPORT = { width: 1280, height: 800 };

/** Tags of the visible elements whose own text contains `needle` (hidden ancestors, display:none and zero-size boxes excluded). */
const visibleTexts = (page: Page, needle: string) =>
  page.evaluate((n) => {
    const out: string[] = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let t = walk.nextNode(); t; t = walk.nextNode()) {
      const p = t.parentElement;
      if (p && (t.textContent ?? '').includes(n) && p.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) && p.getClientRects().length > 0) out.push(p.tagName);
    }
    return out;
  }, needle);

/** The box of the first element matching `selector`, in viewport pixels. */
const boxOf = (page: Page, selector: string) => page.locator(selector).first().evaluate((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number; top: number; bottom: number; left: number; right: number });

const panelText = (page: Page, part: string) => page.locator(`[data-segqc="${part}"]`).innerText();

async function openEditorAt(base: string, path: string): Promise<{ page: Page; log: string[] }> {
  const page = await context.newPage();
  await page.setViewportSize(VIEWPORT);
  const log = watchConsole(page);
  await page.goto(`${base}${path}`);
  await page.waitForFunction(() => (window as any).Htx?.annotationStore?.selected?.regionStore?.regions?.length === 2, null, { timeout: 90_000 });
  return { page, log };
}

/** Ticks a checklist item in the panel with the keyboard (focus, Space). */
async function tickInPanel(page: Page, id: string) {
  const box = page.locator(`#segqc-check-${id}`);
  await box.focus();
  await page.keyboard.press('Space');
  await page.waitForFunction((i) => (document.getElementById(`segqc-check-${i}`) as HTMLInputElement | null)?.checked === true, id, { timeout: 30_000 });
}

describe.each(EDITOR_BUILDS)('segqc in the Label Studio editor ($name)', (build) => {
  let server: Awaited<ReturnType<typeof serve>>;
  /** Screenshots name the build: `editor-<package>@<version>-<file>.png`. */
  const shot = (file: string) => join(ARTIFACTS, `editor-${build.name.replace(/^@/, '').replace(/[^\w.@-]+/g, '_')}-${file}`);
  const openEditor = (path: string) => openEditorAt(server.url, path);

  beforeAll(async () => {
    assertEditorBuild(build);
    server = await serve(routes(build));
  });

  afterAll(async () => {
    await server?.close();
  });

  test('live findings, the checklist and the gate; the saved attestation passes segqc check', async () => {
    const { page, log } = await openEditor('/gated.html');
    try {
      // The panel shows the guideline and the two findings of the pre-annotation.
      await page.waitForFunction(() => {
        const t = document.querySelector('[data-segqc="findings"]')?.textContent ?? '';
        return t.includes('volume.below_min') && t.includes('containment.outside');
      }, null, { timeout: 60_000 });
      expect(await panelText(page, 'title')).toContain('liver-ct 1.2.0');
      const rules = await page.locator('[data-segqc="findings"] li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-rule')}:${li.getAttribute('data-severity')}`));
      expect(rules.sort()).toEqual(['containment.outside:error', 'volume.below_min:error']);
      expect(await panelText(page, 'findings')).toMatch(/mm²/);
      // The tumour is drawn: its checklist item shows, the "no tumour" one does not.
      const items = () => page.locator('[data-segqc="checklist"] li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-item')));
      expect(await items()).toEqual(['veins_excluded', 'margins_reviewed']);
      expect(await panelText(page, 'notes')).toBe('');
      await page.screenshot({ path: shot('1-findings.png') });

      // One checklist: the panel. The config's own copy is hidden (it stays in the config for stock Label Studio),
      // and the item that does not apply (no tumour, while one is drawn) shows nowhere.
      expect(await visibleTexts(page, 'Portal and hepatic veins excluded from liver')).toEqual(['LABEL']);
      expect(await visibleTexts(page, 'Large vessels at the hilum')).toEqual(['SMALL']);
      expect(await visibleTexts(page, 'No tumour visible')).toEqual([]);
      expect(await visibleTexts(page, 'Yes, confirmed')).toEqual([]);
      expect(await page.locator('.segqc-checklist').count()).toBe(1);
      // One label bar per tool, each named.
      expect(await visibleTexts(page, 'Brush: paint with these labels')).toHaveLength(1);
      expect(await visibleTexts(page, 'Polygon: click the outline with these labels')).toHaveLength(1);

      // Ticking in the panel writes the editor's own checklist choice (one source of truth: the result).
      await tickInPanel(page, 'veins_excluded');
      await page.waitForFunction(
        () => ((window as any).Htx.annotationStore.selected.serializeAnnotation() as any[]).some((r) => r.from_name === 'segqc_checklist_veins_excluded' && r.value.choices.includes('yes')),
        null,
        { timeout: 30_000 },
      );

      // Submit is blocked: a required item is unanswered and there are error findings. The message says what is missing.
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('not confirmed'), null, { timeout: 30_000 });
      const gate1 = await panelText(page, 'gate');
      expect(gate1).toContain('Tumour margins reviewed on adjacent slices');
      expect(gate1).toContain('containment.outside');
      expect(gate1).toContain('volume.below_min');
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      // The same verdict, short, beside Submit and inside the 1280×800 viewport, saying what to do next.
      const note = page.locator('[data-segqc="gate-note"]');
      await note.waitFor({ state: 'visible', timeout: 30_000 });
      expect(await note.innerText()).toContain('Not saved. Next: fix 1 finding (click it in the segqc panel to see where); fix or override 1 finding (Override… with a reason); confirm 1 checklist item.');
      const [nb, sb] = [await boxOf(page, '[data-segqc="gate-note"]'), await boxOf(page, 'button:has-text("Submit")')];
      expect(nb.left).toBeGreaterThanOrEqual(0);
      expect(nb.top).toBeGreaterThanOrEqual(0);
      expect(nb.right).toBeLessThanOrEqual(VIEWPORT.width);
      expect(nb.bottom).toBeLessThanOrEqual(VIEWPORT.height);
      // Next to the button: touching its column, within 12 px above or below it.
      expect(Math.min(nb.right, sb.right) - Math.max(nb.left, sb.left)).toBeGreaterThan(0);
      expect(Math.min(Math.abs(nb.top - sb.bottom), Math.abs(sb.top - nb.bottom))).toBeLessThanOrEqual(12);
      // A live check with the note on screen reads no layout (the note is placed in the next frame, and only when its
      // message changes): after a stroke the editor's page is dirty, and reading it would lay it all out again.
      const layoutReads = await page.evaluate(() => {
        let n = 0;
        const spy = (name: 'getBoundingClientRect' | 'getClientRects') => {
          const f = Element.prototype[name] as (...a: unknown[]) => unknown;
          (Element.prototype as any)[name] = function (this: Element, ...a: unknown[]) {
            n++;
            return f.apply(this, a);
          };
          return () => ((Element.prototype as any)[name] = f);
        };
        const restore = [spy('getBoundingClientRect'), spy('getClientRects')];
        try {
          (window as any).segqc.check();
        } finally {
          for (const r of restore) r();
        }
        return n;
      });
      expect(layoutReads).toBe(0);
      expect(await note.isVisible()).toBe(true);
      // A finding the guideline does not let be overridden says so.
      expect(await page.locator('[data-rule="containment.outside"] [data-segqc="why-not"]').innerText()).toContain('Cannot be overridden');
      expect(await page.locator('[data-key="override:containment.outside|Liver tumour"]').count()).toBe(0);
      await page.screenshot({ path: shot('2-blocked.png') });

      // Clicking the containment finding selects the tumour polygon and zooms to the part outside the liver, which
      // the finding's location puts around pixel (117, 61); Backspace (the editor's hotkey) then deletes it.
      const view = () =>
        page.evaluate(() => {
          const img = (window as any).Htx.annotationStore.selected.objects[0];
          const m = img.stageRef.getAbsoluteTransform().m as number[];
          const c = (document.querySelector('.konvajs-content canvas') as HTMLCanvasElement).getBoundingClientRect();
          const at = (px: number, py: number) => [c.x + m[4] + m[0] * px * (img.stageWidth / img.naturalWidth), c.y + m[5] + m[3] * py * (img.stageHeight / img.naturalHeight)];
          return { zoom: img.zoomScale as number, outside: at(117, 61), liverCentre: at(70, 60), canvas: [c.x, c.y, c.right, c.bottom] };
        });
      const before = await view();
      expect(before.zoom).toBe(1);
      await page.locator('[data-rule="containment.outside"] .segqc-finding').click();
      await page.waitForFunction(
        () => ((window as any).Htx.annotationStore.selected.selectedRegions ?? []).map((r: any) => r.cleanId ?? r.id).join(',') === 'tumour_poly',
        null,
        { timeout: 30_000 },
      );
      await page.waitForFunction(() => (window as any).Htx.annotationStore.selected.objects[0].zoomScale > 1, null, { timeout: 30_000 });
      const after = await view();
      expect(after.zoom).toBeGreaterThan(1.5);
      const [cx0, cy0, cx1, cy1] = after.canvas;
      const mid = [(cx0 + cx1) / 2, (cy0 + cy1) / 2];
      // The offending part is in view, near the middle of the canvas; the liver's centre, 47 px away, is further out.
      expect(after.outside[0]).toBeGreaterThan(cx0);
      expect(after.outside[0]).toBeLessThan(cx1);
      expect(after.outside[1]).toBeGreaterThan(cy0);
      expect(after.outside[1]).toBeLessThan(cy1);
      expect(Math.hypot(after.outside[0] - mid[0], after.outside[1] - mid[1])).toBeLessThan(Math.hypot(before.outside[0] - mid[0], before.outside[1] - mid[1]) + 1);
      expect(Math.hypot(after.outside[0] - mid[0], after.outside[1] - mid[1])).toBeLessThan((cx1 - cx0) / 4);
      await page.screenshot({ path: shot('2-zoomed.png') });
      await page.keyboard.press('Backspace');
      await page.waitForFunction(() => (window as any).Htx.annotationStore.selected.regionStore.regions.length === 1, null, { timeout: 30_000 });
      // The live check follows: containment is gone, and the checklist now asks the "no tumour" question instead.
      await page.waitForFunction(() => {
        const t = document.querySelector('[data-segqc="findings"]')?.textContent ?? '';
        return !t.includes('containment.outside') && !!document.querySelector('[data-item="no_tumour_confirmed"]');
      }, null, { timeout: 30_000 });
      expect(await items()).toEqual(['veins_excluded', 'no_tumour_confirmed']);

      // Still blocked: the "no tumour" item and the size finding.
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('No tumour visible'), null, { timeout: 30_000 });
      expect(await panelText(page, 'gate')).not.toContain('containment.outside');
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);

      // Tick the remaining item and override the size finding with a typed reason (the guideline allows it).
      await tickInPanel(page, 'no_tumour_confirmed');
      await page.locator('[data-key="override:volume.below_min|Liver"]').click();
      const reason = page.locator('input[data-key="reason:volume.below_min|Liver"]');
      await reason.fill('single axial slice, not the whole liver');
      await reason.press('Enter');
      await page.waitForFunction(() => !!document.querySelector('[data-override="volume.below_min"]'), null, { timeout: 30_000 });
      await page.screenshot({ path: shot('3-ready.png') });

      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (window as any).__submitted.length === 1, null, { timeout: 30_000 });
      expect(await panelText(page, 'gate')).toBe('');
      expect(await note.isVisible()).toBe(false);
      const result = (await page.evaluate(() => (window as any).__submitted[0])) as Array<Record<string, any>>;
      // The region list has the attestation's entry (a TextArea result is a region), but nobody sees its text.
      await page.waitForFunction(() => Array.from(document.querySelectorAll('.lsf-region-item')).some((e) => (e.textContent ?? '').includes('segqc-attestation')), null, {
        timeout: 30_000,
      });
      expect(await visibleTexts(page, 'segqc-attestation')).toEqual([]);
      expect(await visibleTexts(page, '"schema"')).toEqual([]);
      await page.screenshot({ path: shot('4-submitted.png') });

      // The attestation is in the result, valid, and records the answers, the override and the guideline's sha256.
      const att = result.find((r) => r.from_name === 'segqc_attestation');
      expect(att?.type).toBe('textarea');
      const parsed = validateAttestation(att?.value.text[0]);
      expect(parsed.problems).toEqual([]);
      const a = parsed.attestation as Attestation;
      expect(a.guideline).toEqual({ id: 'liver-ct', version: '1.2.0', sha256: guidelineSha256(GUIDELINE) });
      expect(a.answers).toEqual({ veins_excluded: true, margins_reviewed: false, no_tumour_confirmed: true });
      expect(a.overrides).toEqual([{ rule: 'volume.below_min', label: 'Liver', reason: 'single axial slice, not the whole liver', by: 'ann@example.org' }]);
      expect(a.findings.map((f) => f.rule)).toEqual(['volume.below_min']);
      expect(a.tool.name).toBe('segqc-labelstudio');
      const choices = result.filter((r) => r.type === 'choices').map((r) => `${r.from_name}=${r.value.choices.join('|')}`).sort();
      expect(choices).toEqual(['segqc_checklist_no_tumour_confirmed=yes', 'segqc_checklist_veins_excluded=yes']);
      expect(result.filter((r) => r.type === 'brushlabels')).toHaveLength(1);

      // Exported as Label Studio would, the annotation passes the dataset check; without its attestation it fails.
      const exportOf = (res: unknown[]) =>
        JSON.stringify([{ id: TASK.id, data: TASK.data, annotations: [{ id: 1001, completed_by: { id: 1, email: 'ann@example.org' }, result: res, was_cancelled: false, ground_truth: false }] }]);
      const configText = 'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: export/*.json\n    spacing: pixel_spacing\n';
      const check = (res: unknown[]) =>
        checkDataset(
          memoryTree({ 'segqc.yaml': configText, 'guideline.yaml': GUIDELINE_TEXT, 'export/project-1.json': exportOf(res) }),
          parseConfig(configText, 'segqc.yaml'),
          GUIDELINE,
          { guidelinePath: 'guideline.yaml', configPath: 'segqc.yaml', toolVersion: 'test' },
        );
      const report = check(result);
      const findings = report.items.flatMap((i) => i.findings);
      expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(findings.find((f) => f.rule === 'volume.below_min')?.severity).toBe('info');
      // The gate took the settled brush's stored RLE; the editor saved its canvas export: the same liver, to the pixel.
      const saved = findings.find((f) => f.rule === 'volume.below_min')!;
      const area = (m: string) => /([\d,.]+) mm²/.exec(m)?.[1];
      expect(area(a.findings[0].message)).toMatch(/^[\d,]+$/);
      expect(area(a.findings[0].message)).toBe(area(saved.message));
      expect(report.verdict).toBe('pass');
      const stripped = check(result.filter((r) => r.from_name !== 'segqc_attestation'));
      expect(stripped.verdict).toBe('fail');
      expect(stripped.items.flatMap((i) => i.findings).map((f) => f.rule)).toContain('attestation.missing');
    } catch (e) {
      await page.screenshot({ path: shot('failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join("\n")}`);
    } finally {
      await page.close();
    }
  });

  test('the README embedding snippet, followed literally, attaches and gates', async () => {
    const page = await context.newPage();
    await page.setViewportSize(VIEWPORT);
    const log = watchConsole(page);
    try {
      await page.goto(`${server.url}/readme.html`);
      await page.waitForFunction(() => (document.querySelector('#qc [data-segqc="title"]')?.textContent ?? '').includes('liver-ct 1.2.0'), null, { timeout: 90_000 });
      await page.waitForFunction(() => (document.querySelector('#qc [data-segqc="findings"]')?.textContent ?? '').includes('label.required_missing'), null, { timeout: 60_000 });
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.locator('[data-segqc="gate-note"]').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.locator('#qc [data-segqc="gate"]').innerText()).toContain('label.required_missing');
      expect(await page.evaluate(() => (window as any).qc.check().blocked)).toBe(true);
      expect(log.filter((l) => l.startsWith('log: ') || l.startsWith('pageerror'))).toEqual([]);
    } catch (e) {
      await page.screenshot({ path: shot('readme-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join('\n')}`);
    } finally {
      await page.close();
    }
  });

  test('dragging the tumour polygon into the liver with the mouse clears the containment finding', async () => {
    const { page, log } = await openEditor('/gated.html');
    try {
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 60_000 });
      // Image pixels to screen: the stage canvas shows the whole 160x120 image.
      const { x, y, scale } = await page.evaluate(() => {
        const img = (window as any).Htx.annotationStore.selected.objects[0];
        const r = (document.querySelector('.konvajs-content canvas') as HTMLCanvasElement).getBoundingClientRect();
        return { x: r.x, y: r.y, scale: img.stageWidth / img.naturalWidth };
      });
      const cx = x + 114 * scale;
      const cy = y + 61 * scale;
      await page.mouse.click(cx, cy);
      await page.waitForFunction(() => ((window as any).Htx.annotationStore.selected.selectedRegions ?? []).map((r: any) => r.cleanId).join() === 'tumour_poly', null, {
        timeout: 30_000,
      });
      await page.mouse.down();
      for (let k = 1; k <= 10; k++) await page.mouse.move(cx - k * 4 * scale, cy);
      await page.mouse.up();
      // No editor event reports a moved region: the live check follows the store's undo snapshots.
      await page.waitForFunction(() => !(document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      const rules = await page.locator('[data-segqc="findings"] li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-rule')));
      expect(rules).toEqual(['volume.below_min']);
      const xs = await page.evaluate(() => {
        const poly = (window as any).Htx.annotationStore.selected.regionStore.regions.find((r: any) => r.type === 'polygonregion');
        const img = (window as any).Htx.annotationStore.selected.objects[0];
        return poly.points.map((p: any) => (p.x / img.stageWidth) * img.naturalWidth);
      });
      expect(Math.max(...xs)).toBeLessThan(105);
      await page.screenshot({ path: shot('dragged.png') });
    } catch (e) {
      await page.screenshot({ path: shot('drag-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join('\n')}`);
    } finally {
      await page.close();
    }
  });

  test('a brush stroke drawn with the mouse is checked live: a tumour painted outside the liver', async () => {
    const { page, log } = await openEditor('/gated.html');
    try {
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 60_000 });
      // Remove the polygon first, so the containment finding can only come from the stroke.
      await page.locator('[data-rule="containment.outside"] .segqc-finding').click();
      await page.waitForFunction(() => ((window as any).Htx.annotationStore.selected.selectedRegions ?? []).length === 1, null, { timeout: 30_000 });
      await page.keyboard.press('Backspace');
      await page.waitForFunction(() => !(document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      // Paint across image x 125..150 at y 30, well outside the liver disc (x 35..105).
      await paintStroke(page, 'Liver tumour', [125, 30], [150, 30]);
      await page.waitForFunction(() => (window as any).Htx.annotationStore.selected.regionStore.regions.some((r: any) => r.type === 'brushregion' && r.labels?.includes?.('Liver tumour')), null, {
        timeout: 30_000,
      });
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      expect(await page.locator('[data-rule="containment.outside"]').innerText()).toContain('Liver tumour');
      // The live check paints the fresh stroke itself; the editor's own export (what saving uses) agrees closely.
      const [live, exact, touches] = await page.evaluate(() => {
        const area = (r: any) => r.findings.find((f: any) => f.rule === 'containment.outside')?.value;
        const qc = (window as any).segqc;
        const stroke = (window as any).Htx.annotationStore.selected.regionStore.regions.find((r: any) => r.type === 'brushregion' && r.labels?.includes?.('Liver tumour'));
        return [area(qc.check()), area(qc.check({ exact: true })), stroke.touches.length];
      });
      // The stroke is still strokes (the editor turns them into RLE only when it exports): the live path painted it.
      expect(touches).toBeGreaterThan(0);
      expect(typeof live).toBe('number');
      expect(typeof exact).toBe('number');
      expect(Math.abs(live - exact) / exact).toBeLessThan(0.2);
      // The worker's live check of the same reading finds what the page thread's does, word for word.
      const [viaWorker, here, mode] = await page.evaluate(async () => {
        const qc = (window as any).segqc;
        const w = await qc.checkNow();
        return [w.findings, qc.check().findings, qc.liveCheck.mode];
      });
      expect(mode).toBe('worker');
      expect(viaWorker.map((f: any) => f.rule)).toContain('containment.outside');
      expect(viaWorker).toEqual(here);
      await page.screenshot({ path: shot('brush-stroke.png') });
    } catch (e) {
      await page.screenshot({ path: shot('brush-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join('\n')}`);
    } finally {
      await page.close();
    }
  });

  test('Submit right after a stroke outside the liver is blocked, though the live check has not seen the stroke yet', async () => {
    const { page, log } = await openEditor('/idle.html');
    try {
      // The polygon outside the liver goes, and a check by hand shows no containment finding.
      const before = await page.evaluate(() => {
        const ann = (window as any).Htx.annotationStore.selected;
        ann.regionStore.regions.find((r: any) => r.type === 'polygonregion').deleteRegion();
        return (window as any).segqc.check().findings.map((f: any) => f.rule);
      });
      expect(before).toEqual(['volume.below_min']);
      await paintStroke(page, 'Liver tumour', [125, 30], [150, 30]);
      await page.waitForFunction(() => (window as any).Htx.annotationStore.selected.regionStore.regions.some((r: any) => r.type === 'brushregion' && r.labels?.includes?.('Liver tumour')), null, {
        timeout: 30_000,
      });
      // The panel still shows the check from before the stroke: the live state is stale.
      expect(await panelText(page, 'findings')).not.toContain('containment.outside');
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      // The gate's own check is now what the panel shows.
      expect(await panelText(page, 'findings')).toContain('containment.outside');
    } catch (e) {
      await page.screenshot({ path: shot('stale-gate-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join('\n')}`);
    } finally {
      await page.close();
    }
  });

  test('Submit while the worker has not answered for the stroke yet is blocked: the gate checks the annotation itself', async () => {
    const { page, log } = await openEditor('/gated.html');
    try {
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('[data-segqc="debug"]')?.textContent === 'Live check: in a Web Worker.', null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).segqc.liveCheck.mode)).toBe('worker');
      // Nothing has checked on the page's thread yet; after the worker's first answer it checks once in idle time, so
      // the first Submit is not a cold check.
      await page.waitForFunction(() => (window as any).segqc.liveCheck.pageThreadReady === true, null, { timeout: 30_000 });
      await page.evaluate(() => (window as any).Htx.annotationStore.selected.regionStore.regions.find((r: any) => r.type === 'polygonregion').deleteRegion());
      // The worker's answer after the deletion is what the panel shows: no containment finding.
      await page.waitForFunction(() => !(document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside') && !(window as any).segqc.liveCheck.pending, null, {
        timeout: 30_000,
      });
      // From here the worker holds every check: its answers stay pending (none was on its way when the hold began).
      await page.waitForFunction(() => !(window as any).segqc.liveCheck.pending, null, { timeout: 30_000 });
      const { answered, pendingAtHold } = await page.evaluate(() => {
        const lc = (window as any).segqc.liveCheck;
        lc.hold(true);
        return { answered: lc.answers, pendingAtHold: lc.pending };
      });
      expect(pendingAtHold).toBe(false);
      await paintStroke(page, 'Liver tumour', [125, 30], [150, 30]);
      await page.waitForFunction(() => (window as any).Htx.annotationStore.selected.regionStore.regions.some((r: any) => r.type === 'brushregion' && r.labels?.includes?.('Liver tumour')), null, {
        timeout: 30_000,
      });
      // The live check of the stroke has been posted and not answered: the panel still shows the state before it.
      await page.waitForFunction(() => (window as any).segqc.liveCheck.pending, null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).segqc.liveCheck.answers)).toBe(answered);
      expect(await panelText(page, 'findings')).not.toContain('containment.outside');
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      expect(await panelText(page, 'findings')).toContain('containment.outside');
      // Released, the worker answers for the read before the gate's: that answer is dropped, the panel keeps the gate's check.
      const dropped = await page.evaluate(() => (window as any).segqc.liveCheck.dropped);
      await page.evaluate(() => (window as any).segqc.liveCheck.hold(false));
      await page.waitForFunction((d) => (window as any).segqc.liveCheck.dropped > d && !(window as any).segqc.liveCheck.pending, dropped, { timeout: 30_000 });
      expect(await panelText(page, 'findings')).toContain('containment.outside');
      // A live check through the worker now sees the stroke too.
      const rules = await page.evaluate(async () => ((await (window as any).segqc.checkNow()).findings as any[]).map((f) => f.rule));
      expect(rules).toContain('containment.outside');
      expect(await page.evaluate(() => (window as any).segqc.liveCheck.mode)).toBe('worker');
    } catch (e) {
      await page.screenshot({ path: shot('pending-gate-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join('\n')}`);
    } finally {
      await page.close();
    }
  });

  test('without Web Workers the live check runs on the page\'s thread, the panel says so, and it still checks and gates', async () => {
    const { page, log } = await openEditor('/noworker.html');
    try {
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 60_000 });
      expect(await page.evaluate(() => typeof (window as any).Worker)).toBe('undefined');
      expect(await page.evaluate(() => (window as any).segqc.liveCheck.mode)).toBe('main-thread');
      expect(await panelText(page, 'debug')).toBe("Live check: on the page's thread (this page has no Web Worker).");
      // A stroke outside the liver, then the live check (answered at once on this thread) finds it.
      await page.evaluate(() => (window as any).Htx.annotationStore.selected.regionStore.regions.find((r: any) => r.type === 'polygonregion').deleteRegion());
      await page.waitForFunction(() => !(document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      await paintStroke(page, 'Liver tumour', [125, 30], [150, 30]);
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      expect(await page.evaluate(() => (window as any).segqc.liveCheck.requests)).toBe(0);
      await page.screenshot({ path: shot('no-worker.png') });
    } catch (e) {
      await page.screenshot({ path: shot('no-worker-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join('\n')}`);
    } finally {
      await page.close();
    }
  });

  test('attached to the store alone (window.Htx): live findings and the gate work without the editor instance', async () => {
    const { page, log } = await openEditor('/htx.html');
    try {
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 60_000 });
      await tickInPanel(page, 'veins_excluded');
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('Tumour margins reviewed'), null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      expect(await panelText(page, 'notes')).toBe('');
    } catch (e) {
      await page.screenshot({ path: shot('htx-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join('\n')}`);
    } finally {
      await page.close();
    }
  });

  test('under a Content-Security-Policy without unsafe-eval: the panel says the schema was not checked, and the gate works', async () => {
    const { page, log } = await openEditor('/csp.html');
    try {
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 60_000 });
      expect(await panelText(page, 'notes')).toContain('Content-Security-Policy');
      // The policy really refuses compiled code on this page.
      expect(await page.evaluate(() => (window as any).__eval)).toBe('EvalError');
      // Nor does it allow blob: workers (worker-src falls back to script-src): the live check runs on the page's thread.
      await page.waitForFunction(() => (window as any).segqc.liveCheck.mode === 'main-thread', null, { timeout: 30_000 });
      await page.waitForFunction(() => (document.querySelector('[data-segqc="debug"]')?.textContent ?? '').startsWith("Live check: on the page's thread (the Web Worker"), null, { timeout: 30_000 });
      await tickInPanel(page, 'veins_excluded');
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      await page.locator('[data-rule="containment.outside"] .segqc-finding').click();
      await page.waitForFunction(() => ((window as any).Htx.annotationStore.selected.selectedRegions ?? []).length === 1, null, { timeout: 30_000 });
      await page.keyboard.press('Backspace');
      await page.waitForFunction(() => !!document.querySelector('[data-item="no_tumour_confirmed"]'), null, { timeout: 30_000 });
      await tickInPanel(page, 'no_tumour_confirmed');
      expect(await page.evaluate(() => (window as any).segqc.override('volume.below_min', 'Liver', 'one slice only'))).toBe(true);
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (window as any).__submitted.length === 1, null, { timeout: 30_000 });
      const result = (await page.evaluate(() => (window as any).__submitted[0])) as Array<Record<string, any>>;
      const parsed = validateAttestation(result.find((r) => r.from_name === 'segqc_attestation')?.value.text[0]);
      expect(parsed.problems).toEqual([]);
      expect(parsed.attestation?.guideline.sha256).toBe(guidelineSha256(GUIDELINE));
    } catch (e) {
      await page.screenshot({ path: shot('csp-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join("\n")}`);
    } finally {
      await page.close();
    }
  });

  test('a config without the segqc fields: the panel says so and still gates', async () => {
    const { page, log } = await openEditor('/plain.html');
    try {
      await page.waitForFunction(() => (document.querySelector('[data-segqc="notes"]')?.textContent ?? '').includes('segqc_attestation'), null, { timeout: 60_000 });
      const notes = await panelText(page, 'notes');
      expect(notes).toContain('attestation cannot be saved');
      expect(notes).toContain('answers stay in this panel');
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('Portal and hepatic veins'), null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      // Answers kept in the panel count for the gate: tick both, override the size, fix containment by deleting the polygon.
      await tickInPanel(page, 'veins_excluded');
      await tickInPanel(page, 'margins_reviewed');
      expect(await page.evaluate(() => (window as any).segqc.override('volume.below_min', 'Liver', 'one slice only'))).toBe(true);
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 30_000 });
      expect(await panelText(page, 'gate')).not.toContain('not confirmed');
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      await page.screenshot({ path: shot('plain-config.png') });
      // detach() removes the panel and gives the editor its own save actions back: this config has no required field.
      await page.evaluate(() => (window as any).segqc.detach());
      expect(await page.locator('[data-segqc="panel"]').count()).toBe(0);
      expect(await page.evaluate(() => Object.getOwnPropertyDescriptor((window as any).Htx, 'submitAnnotation')?.writable)).toBe(false);
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (window as any).__submitted.length === 1, null, { timeout: 30_000 });
    } catch (e) {
      await page.screenshot({ path: shot('plain-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).map((l) => l.slice(0, 300)).join("\n")}`);
    } finally {
      await page.close();
    }
  });
});



