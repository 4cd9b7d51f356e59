/**
 * The Chromium (Manifest V3) build, extension/dist/browser, loaded unpacked in Debian chromium: the options page
 * allows a Label Studio address and stores a guideline (by URL) for a project, and the main-world content script,
 * registered for that address only, attaches to a page hosting the editor and follows a guideline bump.
 *
 * Headless chromium cannot click a permission prompt: the copy loaded here lists the two test hosts under
 * `host_permissions`, as if the user had allowed both, so `chrome.permissions.request` resolves at once. Only the
 * address added in the options may get segqc; the other granted host is the "outside the configured origins" page.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, EDITOR_BUILDS, EXT_DIST, assertEditorBuild, assertFreshBuild, editorPage, launch, serve, slicePng, watchConsole, type Routes } from './extension-harness.js';
import { GUIDELINE_TEXT, H, W, editorSetup } from './extension-scenario.js';
import { guidelineFor, projectIdFromUrl, sanitizeProjects } from '../extension/src/browser/projects.js';
import { originOf, registrations, sanitizeOrigins, versionOf } from '../extension/src/browser/origins.js';

const BUILT = join(EXT_DIST, 'browser');
/** The loaded copy: the build, with both test hosts granted (see above). */
const EXT_DIR = realpathSync(mkdtempSync(join(tmpdir(), 'segqc-ext-')));

/** Chromium's id of an unpacked extension: SHA-256 of its absolute path, first 32 hex digits mapped 0-f → a-p. */
const unpackedId = (dir: string) =>
  [...createHash('sha256').update(dir).digest('hex').slice(0, 32)].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');

let browser: Awaited<ReturnType<typeof launch>>;

beforeAll(async () => {
  assertFreshBuild(['manifest.json', 'content.js', 'bridge.js', 'background.js', 'options.html', 'options.js', 'sandbox.html'].map((f) => join(BUILT, f)));
  mkdirSync(ARTIFACTS, { recursive: true });
  cpSync(BUILT, EXT_DIR, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(BUILT, 'manifest.json'), 'utf8'));
  writeFileSync(join(EXT_DIR, 'manifest.json'), JSON.stringify({ ...manifest, host_permissions: ['http://127.0.0.1/*', 'http://localhost/*'] }));
  browser = await launch({ extensionDir: EXT_DIR });
});

afterAll(async () => {
  await browser?.close();
  rmSync(EXT_DIR, { recursive: true, force: true });
});

describe('Label Studio origins', () => {
  test('an address becomes its origin; content scripts are registered for the configured origins only', () => {
    expect(originOf(' https://ls.example.org/projects/3/data?task=1 ')).toBe('https://ls.example.org');
    expect(originOf('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(() => originOf('ls.example.org')).toThrow(/not an address/);
    expect(() => originOf('file:///etc/passwd')).toThrow(/not an http\(s\) address/);
    expect(sanitizeOrigins(['https://a.org', 'https://a.org', 'https://b.org/x', 7, 'ftp://c.org'])).toEqual(['https://a.org']);
    expect(registrations([])).toEqual([]);
    const regs = registrations(['https://a.org', 'http://127.0.0.1:8080']);
    expect(regs.map((r) => [r.id, r.js, r.matches, r.world ?? 'ISOLATED'])).toEqual([
      ['segqc-bridge', ['bridge.js'], ['https://a.org/*', 'http://127.0.0.1:8080/*'], 'ISOLATED'],
      ['segqc-main', ['content.js'], ['https://a.org/*', 'http://127.0.0.1:8080/*'], 'MAIN'],
    ]);
    expect(versionOf('id: x\nversion: 1.3.0 # bumped\n')).toBe('1.3.0');
    expect(versionOf('{"id":"x","version":"2.0.0"}')).toBe('2.0.0');
    expect(versionOf('id: x\n')).toBeNull();
  });
});

describe('project mapping', () => {
  test('project ids come from Label Studio addresses; a project mapping wins over *', () => {
    expect(projectIdFromUrl('https://ls.example.org/projects/12/data?task=3')).toBe('12');
    expect(projectIdFromUrl('http://127.0.0.1:8080/projects/7/data')).toBe('7');
    expect(projectIdFromUrl('http://127.0.0.1:8080/tasks/7')).toBeNull();
    const ps = sanitizeProjects([
      { project: '*', url: null, text: 'a', savedAt: '' },
      { project: '12', url: null, text: 'b', savedAt: '' },
      { project: 'x y', text: 'c' },
      'junk',
    ]);
    expect(ps.map((p) => p.project)).toEqual(['*', '12']);
    expect(guidelineFor(ps, '12')?.text).toBe('b');
    expect(guidelineFor(ps, '13')?.text).toBe('a');
    expect(guidelineFor(ps.slice(1), '13')).toBeNull();
  });
});

describe('the Chromium extension', () => {
  test('manifest: no host permission up front (optional ones only), no content script until an address is allowed', () => {
    const m = JSON.parse(readFileSync(join(BUILT, 'manifest.json'), 'utf8'));
    expect(m.manifest_version).toBe(3);
    expect(m.host_permissions).toBeUndefined();
    expect(m.content_scripts).toBeUndefined();
    expect(m.permissions.sort()).toEqual(['scripting', 'storage']);
    expect(m.optional_host_permissions.sort()).toEqual(['http://*/*', 'https://*/*']);
    expect(m.background).toEqual({ service_worker: 'background.js' });
    expect(m.options_page).toBe('options.html');
  });
});

describe.each(EDITOR_BUILDS)('the Chromium extension in a page hosting the editor ($name)', (build) => {
  let server: Awaited<ReturnType<typeof serve>>;
  const routes: Routes = {};
  const shot = (file: string) => join(ARTIFACTS, `browser-extension-${build.name.replace(/^@/, '').replace(/[^\w.@-]+/g, '_')}-${file}`);

  beforeAll(async () => {
    assertEditorBuild(build);
    // The editor page carries no segqc script: only the extension can put the panel there.
    const page = editorPage({ setup: editorSetup() });
    Object.assign(routes, { '/lsf/': { dir: build.dir }, '/img/ct_001.png': slicePng(W, H), '/projects/7/data': page, '/projects/8/data': page, '/guideline.yaml': GUIDELINE_TEXT });
    server = await serve(routes);
  });

  afterAll(async () => {
    await server?.close();
  });

  const openProject = async (base: string, project: string) => {
    const page = await browser.context.newPage();
    const log = watchConsole(page);
    await page.goto(`${base}/projects/${project}/data`);
    await page.waitForFunction(() => (window as any).Htx?.annotationStore?.selected?.regionStore?.regions?.length === 2, null, { timeout: 90_000 });
    return { page, log };
  };
  const attached = async (page: Page, log: string[], version: string) => {
    try {
      await page.waitForFunction((v) => (document.querySelector('[data-segqc="title"]')?.textContent ?? '').includes(`liver-ct ${v}`), version, { timeout: 90_000 });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-20).join('\n')}`);
    }
  };

  test('runs only on the allowed address: attaches to project 7 there, follows a guideline bump at its URL, and injects nothing elsewhere', async () => {
    const id = unpackedId(EXT_DIR);
    const origin = server.url;
    const options = await browser.context.newPage();
    const pages: Page[] = [];
    try {
      await options.goto(`chrome-extension://${id}/options.html`);
      // Allow the Label Studio address: segqc's content scripts are registered for it and nothing else.
      await options.locator('#origin').fill(`${origin}/projects/7/data`);
      await options.locator('#allow').click();
      await options.waitForFunction(() => /^(segqc runs on|Permission|Waiting)/.test(document.getElementById('origin-status')?.textContent ?? '') && !/^Waiting/.test(document.getElementById('origin-status')?.textContent ?? '') || document.getElementById('origin-status')?.className === 'error', null, { timeout: 30_000 });
      expect(await options.locator('#origin-status').innerText()).toBe(`segqc runs on ${origin}. Reload its open pages.`);
      expect(await options.locator(`[data-origin="${origin}"]`).innerText()).toContain('(allowed)');
      // Chrome keeps the matches as a set: compared in sorted order.
      const registered = await options.evaluate(async () => (await (globalThis as any).chrome.scripting.getRegisteredContentScripts()).map((r: any) => [r.id, [...r.matches].sort().join(' '), r.world]));
      const configured = await options.locator('[data-origin]').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-origin')}/*`).sort().join(' '));
      expect(configured).toContain(`${origin}/*`);
      expect(registered).toEqual([
        ['segqc-bridge', configured, 'ISOLATED'],
        ['segqc-main', configured, 'MAIN'],
      ]);

      // An invalid guideline is refused with the validator's message.
      await options.locator('#project').fill('7');
      await options.locator('#text').fill('schema_version: 1\nid: broken\n');
      await options.locator('#save').click();
      await options.waitForFunction(() => document.getElementById('status')?.className === 'error', null, { timeout: 30_000 });
      expect(await options.locator('#status').innerText()).toContain('invalid');

      // The guideline of project 7, by URL.
      await options.locator('#url').fill(`${origin}/guideline.yaml`);
      await options.locator('#save').click();
      await options.waitForFunction(() => (document.getElementById('status')?.textContent ?? '').startsWith('Saved'), null, { timeout: 30_000 });
      expect(await options.locator('#projects').innerText()).toContain('liver-ct 1.2.0');
      await options.screenshot({ path: shot('options.png') });

      const { page, log } = await openProject(origin, '7');
      pages.push(page);
      await attached(page, log, '1.2.0');
      expect(await page.evaluate(() => (window as any).SegQCExtension.status)).toBe('attached');
      expect(await page.locator('[data-segqc="notes"]').innerText()).toContain(`Guideline 1.2.0 from ${origin}/guideline.yaml, checked`);
      // The content script starts the live-check worker from its own source, in the page.
      await page.waitForFunction(() => document.querySelector('[data-segqc="debug"]')?.textContent === 'Live check: in a Web Worker.', null, { timeout: 30_000 });
      // The gate is live: submitting with the checklist empty is refused.
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('not confirmed'), null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      await page.screenshot({ path: shot('attached.png') });

      // The guideline at its URL is bumped: the next page of the project gets it, and the panel says so.
      routes['/guideline.yaml'] = GUIDELINE_TEXT.replace(/^version: 1\.2\.0$/m, 'version: 1.3.0');
      expect(routes['/guideline.yaml']).not.toBe(GUIDELINE_TEXT);
      const bumped = await openProject(origin, '7');
      pages.push(bumped.page);
      await attached(bumped.page, bumped.log, '1.3.0');
      expect(await bumped.page.locator('[data-segqc="notes"]').innerText()).toContain('updated from 1.2.0 to 1.3.0');

      // Project 8 has no guideline (and there is no * entry): the extension leaves that editor alone.
      const other = await openProject(origin, '8');
      pages.push(other.page);
      await other.page.waitForFunction(() => (window as any).SegQCExtension?.status === 'no-guideline', null, { timeout: 30_000 });
      expect(await other.page.evaluate(() => (window as any).SegQCExtension.project)).toBe('8');
      expect(await other.page.locator('[data-segqc="panel"]').count()).toBe(0);

      // The same server under another host name, granted to the extension but not configured: nothing is injected.
      const outside = await openProject(origin.replace('127.0.0.1', 'localhost'), '7');
      pages.push(outside.page);
      await outside.page.waitForFunction(() => document.readyState === 'complete', null, { timeout: 30_000 });
      // By now a page of the allowed address has its scripts (they were registered before either page opened).
      const control = await openProject(origin, '8');
      pages.push(control.page);
      await control.page.waitForFunction(() => (window as any).SegQCExtension?.status === 'no-guideline', null, { timeout: 30_000 });
      expect(await outside.page.evaluate(() => [typeof (window as any).SegQCExtension, typeof (window as any).__segqcContentScript])).toEqual(['undefined', 'undefined']);
      expect(await outside.page.locator('[data-segqc]').count()).toBe(0);
    } finally {
      for (const p of pages) await p.close();
      await options.close();
    }
  });
});
