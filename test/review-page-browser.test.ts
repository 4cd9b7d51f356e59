/**
 * The review page in real headless Chromium: `segqc diff --html` and `segqc check --html` on a CT dataset with a
 * planted `containment.outside`, opened from disk. Every picture loads, no request leaves the page, the finding's
 * region is highlighted on its picture, and a screenshot is saved under test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT } from './extension-harness.js';
import { makeReviewRepo } from './review-fixture.js';

let scratch: string;
let repo: string;
let context: BrowserContext;
let profile: string;

const segqc = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/segqc.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/segqc.js'))) throw new Error('dist/segqc.js is missing: run "node scripts/build.mjs" first');
  scratch = mkdtempSync(join(tmpdir(), 'segqc-review-'));
  repo = join(scratch, 'repo');
  makeReviewRepo(repo);
  profile = mkdtempSync(join(tmpdir(), 'segqc-chromium-'));
  // The page's own Content-Security-Policy would block a stray fetch before it became a request: bypass it, so the
  // test sees every request the page makes.
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, bypassCSP: true, viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** Opens a page file and returns what loaded, every request it made, and the highlighted boxes. */
async function open(file: string, screenshot: string) {
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url, { waitUntil: 'load' });
  const images = await page.$$eval('img', (els) =>
    (els as HTMLImageElement[]).map((i) => ({ src: i.src.slice(0, 22), complete: i.complete, w: i.naturalWidth, h: i.naturalHeight })),
  );
  const boxes = await page.$$eval('figure.pic', (figs) =>
    figs.flatMap((f) => {
      const img = f.querySelector('img')!.getBoundingClientRect();
      return Array.from(f.querySelectorAll("rect.hl")).map((r) => {
        const b = r.getBoundingClientRect();
        return { rule: r.getAttribute('data-rule'), caption: f.querySelector('figcaption')!.textContent ?? '', x: b.x - img.x, y: b.y - img.y, w: b.width, h: b.height, imgW: img.width, imgH: img.height };
      });
    }),
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
  await page.close();
  return { url, requests: requests.filter((r) => !r.startsWith('data:')), images, boxes };
}

describe('the review page in Chromium', () => {
  it('segqc diff --html: every picture loads, nothing is fetched, the containment finding is boxed', async () => {
    const out = join(scratch, 'diff.html');
    const r = segqc(repo, 'diff', '--base', 'HEAD~1', '--head', 'HEAD', '--html', out, '--quiet');
    expect(r.code, r.stderr).toBe(1);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script|\bhttps?:\/\/|\bsrc="(?!data:image\/png;base64,)/i);
    const { url, requests, images, boxes } = await open(out, 'review-page-diff.png');
    expect(requests).toEqual([url]);
    expect(images.length).toBeGreaterThanOrEqual(3);
    for (const i of images) {
      expect(i.src).toBe('data:image/png;base64,');
      expect(i.complete).toBe(true);
      expect(i.w).toBeGreaterThan(0);
      expect(i.h).toBeGreaterThan(0);
      expect(Math.max(i.w, i.h)).toBeLessThanOrEqual(512);
    }
    const outside = boxes.filter((b) => b.rule === 'containment.outside');
    expect(outside.length).toBe(1);
    const b = outside[0];
    expect(b.caption).toContain('Liver tumour');
    expect(b.caption).toMatch(/axial slice \d+/);
    expect(b.w).toBeGreaterThan(4);
    expect(b.h).toBeGreaterThan(4);
    expect(b.x).toBeGreaterThanOrEqual(-4);
    expect(b.y).toBeGreaterThanOrEqual(-4);
    expect(b.x + b.w).toBeLessThanOrEqual(b.imgW + 4);
    expect(b.y + b.h).toBeLessThanOrEqual(b.imgH + 4);
    // The tumour lies on the patient's right: on the image's left half.
    expect(b.x + b.w / 2).toBeLessThan(b.imgW / 2);
    // The largest change (the trimmed dome) has its own picture.
    expect(boxes.some((x) => x.rule === 'largest change')).toBe(true);
  });

  it('segqc check --html: the same checks on the dataset page', async () => {
    const out = join(scratch, 'check.html');
    const r = segqc(repo, 'check', '.', '--html', out, '--quiet');
    expect(r.code, r.stderr).toBe(1);
    const { url, requests, images, boxes } = await open(out, 'review-page-check.png');
    expect(requests).toEqual([url]);
    expect(images.length).toBeGreaterThan(0);
    for (const i of images) expect(i.complete && i.w > 0 && i.h > 0).toBe(true);
    expect(boxes.filter((b) => b.rule === 'containment.outside')).toHaveLength(1);
  });
});
