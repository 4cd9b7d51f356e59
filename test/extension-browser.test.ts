/**
 * The Chromium (Manifest V3) build, extension/dist/browser, loaded unpacked in Debian chromium: the options page
 * stores a guideline for a project, and the main-world content script attaches to a page hosting the editor.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, EDITOR_BUILDS, EXT_DIST, assertEditorBuild, assertFreshBuild, editorPage, launch, serve, slicePng, watchConsole } from './extension-harness.js';
import { GUIDELINE_TEXT, H, W, editorSetup } from './extension-scenario.js';
import { guidelineFor, projectIdFromUrl, sanitizeProjects } from '../extension/src/browser/projects.js';

const EXT_DIR = join(EXT_DIST, 'browser');

/** Chromium's id of an unpacked extension: SHA-256 of its absolute path, first 32 hex digits mapped 0-f → a-p. */
const unpackedId = (dir: string) =>
  [...createHash('sha256').update(dir).digest('hex').slice(0, 32)].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');

let browser: Awaited<ReturnType<typeof launch>>;

beforeAll(async () => {
  assertFreshBuild(['manifest.json', 'content.js', 'bridge.js', 'options.html', 'options.js', 'sandbox.html'].map((f) => join(EXT_DIR, f)));
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launch({ extensionDir: EXT_DIR });
});

afterAll(async () => {
  await browser?.close();
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
  test('manifest: a main-world content script and an options page', () => {
    const m = JSON.parse(readFileSync(join(EXT_DIR, 'manifest.json'), 'utf8'));
    expect(m.manifest_version).toBe(3);
    expect(m.content_scripts.find((c: { world?: string }) => c.world === 'MAIN')?.js).toEqual(['content.js']);
    expect(m.options_page).toBe('options.html');
  });
});

describe.each(EDITOR_BUILDS)('the Chromium extension in a page hosting the editor ($name)', (build) => {
  let server: Awaited<ReturnType<typeof serve>>;
  const shot = (file: string) => join(ARTIFACTS, `browser-extension-${build.name.replace(/^@/, '').replace(/[^\w.@-]+/g, '_')}-${file}`);

  beforeAll(async () => {
    assertEditorBuild(build);
    // The editor page carries no segqc script: only the extension can put the panel there.
    const page = editorPage({ setup: editorSetup() });
    server = await serve({ '/lsf/': { dir: build.dir }, '/img/ct_001.png': slicePng(W, H), '/projects/7/data': page, '/projects/8/data': page });
  });

  afterAll(async () => {
    await server?.close();
  });

  test('loads in chromium, stores a guideline for project 7 and attaches to the editor of that project only', async () => {
    const id = unpackedId(EXT_DIR);
    const options = await browser.context.newPage();
    let page: Page | null = null;
    try {
      await options.goto(`chrome-extension://${id}/options.html`);
      // An invalid guideline is refused with the validator's message.
      await options.locator('#project').fill('7');
      await options.locator('#text').fill('schema_version: 1\nid: broken\n');
      await options.locator('#save').click();
      await options.waitForFunction(() => document.getElementById('status')?.className === 'error', null, { timeout: 30_000 });
      expect(await options.locator('#status').innerText()).toContain('invalid');

      await options.locator('#text').fill(GUIDELINE_TEXT);
      await options.locator('#save').click();
      await options.waitForFunction(() => (document.getElementById('status')?.textContent ?? '').startsWith('Saved'), null, { timeout: 30_000 });
      expect(await options.locator('#projects').innerText()).toContain('liver-ct 1.2.0');
      await options.screenshot({ path: shot('options.png') });

      page = await browser.context.newPage();
      const log = watchConsole(page);
      await page.goto(`${server.url}/projects/7/data`);
      try {
        await page.waitForFunction(() => (document.querySelector('[data-segqc="findings"]')?.textContent ?? '').includes('containment.outside'), null, {
          timeout: 90_000,
        });
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- page log ---\n${log.slice(-20).join('\n')}`);
      }
      expect(await page.locator('[data-segqc="title"]').innerText()).toContain('liver-ct 1.2.0');
      expect(await page.evaluate(() => (window as any).SegQCExtension.status)).toBe('attached');
      // The gate is live: submitting with the checklist empty is refused.
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForFunction(() => (document.querySelector('[data-segqc="gate"]')?.textContent ?? '').includes('not confirmed'), null, { timeout: 30_000 });
      expect(await page.evaluate(() => (window as any).__submitted.length)).toBe(0);
      await page.screenshot({ path: shot('attached.png') });

      // Project 8 has no guideline (and there is no * entry): the extension leaves that editor alone.
      const other = await browser.context.newPage();
      await other.goto(`${server.url}/projects/8/data`);
      await other.waitForFunction(() => (window as any).Htx?.annotationStore?.selected?.regionStore?.regions?.length === 2, null, { timeout: 90_000 });
      await other.waitForFunction(() => (window as any).SegQCExtension?.status === 'no-guideline', null, { timeout: 30_000 });
      expect(await other.evaluate(() => (window as any).SegQCExtension.project)).toBe('8');
      expect(await other.locator('[data-segqc="panel"]').count()).toBe(0);
      await other.close();
    } finally {
      await page?.close();
      await options.close();
    }
  });
});
