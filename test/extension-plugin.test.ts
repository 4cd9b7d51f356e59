/**
 * The Enterprise plugin build, extension/dist/segqc-plugin.js, in the real editor with a simulated plugin host: an
 * `LSI` object whose `beforeSaveAnnotation` handlers run before the host saves, a false return keeping it unsaved.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, EDITOR_BUILDS, EXT_DIST, assertEditorBuild, assertFreshBuild, editorPage, launch, readmeJsBlock, serve, slicePng, watchConsole } from './extension-harness.js';
import { GUIDELINE_TEXT, H, W, editorSetup } from './extension-scenario.js';
import { validateAttestation } from '../shared/rules/attestation.js';

const PLUGIN = join(EXT_DIST, 'segqc-plugin.js');

// What Label Studio Enterprise provides to plugin code, reduced to what the plugin API documents: LSI.on(event, fn).
const host = `
window.__lsi = { handlers: {}, on(name, fn) { (this.handlers[name] ||= []).push(fn); }, off(name, fn) { this.handlers[name] = (this.handlers[name] || []).filter((f) => f !== fn); } };
window.__blocked = 0;
window.__saveVia = (store, annotation) => {
  const ok = (window.__lsi.handlers.beforeSaveAnnotation || []).every((fn) => fn(store, annotation) !== false);
  if (!ok) { window.__blocked++; return; }
  window.__submitted.push(annotation.serializeAnnotation());
};
`;

// The editor's submit goes through the simulated host; the plugin code runs with LSI in scope, as plugin code does.
const setup = editorSetup({ extra: host })
  .replace('onSubmitAnnotation(store, annotation) { window.__submitted.push(annotation.serializeAnnotation()); }', 'onSubmitAnnotation(store, annotation) { window.__saveVia(store, annotation); }')
  .replace('onUpdateAnnotation(store, annotation) { window.__updated.push(annotation.serializeAnnotation()); }', 'onUpdateAnnotation(store, annotation) { window.__saveVia(store, annotation); }')
  .concat(`
fetch('/ext/segqc-plugin.js').then((r) => r.text()).then((code) => {
  new Function('LSI', 'GUIDELINE', code + '\\nwindow.__plugin = SegQCPlugin.install(LSI, GUIDELINE, { panel: "#segqc-panel-host" });')(window.__lsi, ${JSON.stringify(GUIDELINE_TEXT)});
});
`);

/** The README's plugin code as written, its guideline placeholder replaced by the guideline's text. */
const README_PLUGIN = readmeJsBlock('3. **Label Studio Enterprise plugin**').replace(/(const GUIDELINE_YAML = `)[\s\S]*?(`;)/, (_, a: string, b: string) => `${a}${GUIDELINE_TEXT.replace(/[`\\]|\$\{/g, (c) => `\\${c}`)}${b}`);
const readmeSetup = editorSetup({ extra: host })
  .replace('onSubmitAnnotation(store, annotation) { window.__submitted.push(annotation.serializeAnnotation()); }', 'onSubmitAnnotation(store, annotation) { window.__saveVia(store, annotation); }')
  .replace('onUpdateAnnotation(store, annotation) { window.__updated.push(annotation.serializeAnnotation()); }', 'onUpdateAnnotation(store, annotation) { window.__saveVia(store, annotation); }')
  .concat(`
fetch('/ext/segqc-plugin.js').then((r) => r.text()).then((code) => {
  new Function('LSI', code + '\\n' + ${JSON.stringify(README_PLUGIN)})(window.__lsi);
});
`);

let browser: Awaited<ReturnType<typeof launch>>;

beforeAll(async () => {
  assertFreshBuild([PLUGIN]);
  mkdirSync(ARTIFACTS, { recursive: true });
  expect(setup.match(/window\.__saveVia\(store, annotation\)/g)).toHaveLength(2);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(EDITOR_BUILDS)('the Enterprise plugin ($name)', (build) => {
  let server: Awaited<ReturnType<typeof serve>>;
  const shot = (file: string) => join(ARTIFACTS, `plugin-${build.name.replace(/^@/, '').replace(/[^\w.@-]+/g, '_')}-${file}`);

  beforeAll(async () => {
    assertEditorBuild(build);
    server = await serve({
      '/lsf/': { dir: build.dir },
      '/ext/': { dir: EXT_DIST },
      '/img/ct_001.png': slicePng(W, H),
      '/plugin.html': editorPage({ setup }),
      '/readme-plugin.html': editorPage({ setup: readmeSetup }),
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  test('the README plugin code, followed literally: a floating panel, and saving gated through beforeSaveAnnotation', async () => {
    expect(README_PLUGIN).toContain('SegQCPlugin.install(LSI, GUIDELINE_YAML);');
    expect(README_PLUGIN).toContain('id: liver-ct');
    const page = await browser.context.newPage();
    const log = watchConsole(page);
    try {
      await page.goto(`${server.url}/readme-plugin.html`);
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, { timeout: 90_000 });
      expect(await page.locator('[data-segqc="panel"].segqc-floating').count()).toBe(1);
      expect(await page.evaluate(() => (window as any).__lsi.handlers.beforeSaveAnnotation.length)).toBe(1);
      await page.locator('#segqc-check-veins_excluded').check();
      await page.waitForFunction(() => (document.getElementById('segqc-check-veins_excluded') as HTMLInputElement | null)?.checked === true, null, { timeout: 30_000 });
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (window as any).__blocked === 1, null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
    } catch (e) {
      await page.screenshot({ path: shot('readme-failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).join('\n')}`);
    } finally {
      await page.close();
    }
  });

  test('beforeSaveAnnotation returns false until the guideline is met, then the saved result carries the attestation', async () => {
    const page = await browser.context.newPage();
    const log = watchConsole(page);
    try {
      await page.goto(`${server.url}/plugin.html`);
      await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, {
        timeout: 90_000,
      });
      expect(await page.evaluate(() => (window as any).__lsi.handlers.beforeSaveAnnotation.length)).toBe(1);
      // Pasted plugin code starts its live-check worker from its own source.
      await page.waitForFunction(() => document.querySelector('[data-segqc="debug"]')?.textContent === 'Live check: in a Web Worker.', null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__plugin.liveCheck.mode)).toBe('worker');
      // In plugin mode segqc leaves the editor's own save actions alone: the host decides, through the hook.
      expect(await page.evaluate(() => Object.getOwnPropertyDescriptor((window as any).Htx, 'submitAnnotation')?.writable)).toBe(false);

      // The editor's own required-field check would stop an empty required choice first: answer that one.
      await page.locator('#segqc-check-veins_excluded').check();
      await page.waitForFunction(() => (document.getElementById('segqc-check-veins_excluded') as HTMLInputElement | null)?.checked === true, null, { timeout: 30_000 });
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (window as any).__blocked === 1, null, { timeout: 30_000 });
      expect(await page.locator('[data-segqc="gate"]').innerText()).toContain('Tumour margins reviewed on adjacent slices');
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);

      // Fix: delete the tumour polygon (containment), tick the two items now asked, override the size finding.
      await page.locator('[data-rule="containment.outside"] .segqc-finding').click();
      await page.waitForFunction(() => ((window as any).Htx.annotationStore.selected.selectedRegions ?? []).length === 1, null, { timeout: 30_000 });
      await page.keyboard.press('Backspace');
      await page.waitForFunction(() => !!document.querySelector('[data-item="no_tumour_confirmed"]'), null, { timeout: 30_000 });
      for (const id of ['no_tumour_confirmed']) {
        await page.locator(`#segqc-check-${id}`).check();
        await page.waitForFunction((i) => (document.getElementById(`segqc-check-${i}`) as HTMLInputElement | null)?.checked === true, id, { timeout: 30_000 });
      }
      expect(await page.evaluate(() => (window as any).__plugin.override('volume.below_min', 'Liver', 'single slice of a whole-liver series'))).toBe(true);

      // The editor shows "Update" now (its submit marks the annotation as sent before the host saves); both go through the hook.
      await page.getByRole('button', { name: /submit|update/i }).click();
      await page.waitForFunction(() => (window as any).__submitted.length === 1, null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__blocked)).toBe(1);
      const saved = (await page.evaluate(() => (window as any).__submitted[0])) as Array<Record<string, any>>;
      const att = saved.find((r) => r.from_name === 'segqc_attestation');
      const parsed = validateAttestation(att?.value.text[0]);
      expect(parsed.problems).toEqual([]);
      expect(parsed.attestation?.answers).toEqual({ veins_excluded: true, margins_reviewed: false, no_tumour_confirmed: true });
      expect(parsed.attestation?.overrides.map((o) => o.rule)).toEqual(['volume.below_min']);
      await page.screenshot({ path: shot('saved.png') });
    } catch (e) {
      await page.screenshot({ path: shot('failure.png') }).catch(() => {});
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-30).join('\n')}`);
    } finally {
      await page.close();
    }
  });
});
