/**
 * The options page: validates a guideline (pasted, or fetched from a URL) and stores it for a project id. The same
 * script runs in sandbox.html, where it validates: the schema validator compiles code at run time, which Manifest V3
 * forbids on extension pages other than sandboxed ones.
 */
import { resolveGuideline } from '../guideline-input.js';
import { ORIGINS_KEY, originOf, patternOf, sanitizeOrigins } from './origins.js';
import { STORAGE_KEY, sanitizeProjects, type ProjectGuideline } from './projects.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const chrome: any;

type Verdict = { ok: true; title: string } | { ok: false; error: string };

function describeGuideline(text: string, name: string): Verdict {
  try {
    const g = resolveGuideline(text, name);
    return { ok: true, title: `${g.id} ${g.version} — ${g.title}` };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

if (location.pathname.endsWith('/sandbox.html')) {
  window.addEventListener('message', (e) => {
    const d = e.data as { type?: string; id?: number; text?: string; name?: string };
    if (d?.type !== 'segqc:validate' || typeof d.text !== 'string') return;
    (e.source as Window | null)?.postMessage({ type: 'segqc:verdict', id: d.id, verdict: describeGuideline(d.text, d.name ?? 'guideline') }, '*');
  });
} else {
  startOptions();
}

function validator(): (text: string, name: string) => Promise<Verdict> {
  const frame = document.createElement('iframe');
  frame.src = 'sandbox.html';
  frame.hidden = true;
  document.body.appendChild(frame);
  const ready = new Promise<void>((ok) => frame.addEventListener('load', () => ok(), { once: true }));
  let next = 0;
  const pending = new Map<number, (v: Verdict) => void>();
  window.addEventListener('message', (e) => {
    if (e.source !== frame.contentWindow || e.data?.type !== 'segqc:verdict') return;
    pending.get(e.data.id)?.(e.data.verdict as Verdict);
    pending.delete(e.data.id);
  });
  return async (text, name) => {
    await ready;
    const id = ++next;
    return new Promise<Verdict>((ok) => {
      pending.set(id, ok);
      frame.contentWindow?.postMessage({ type: 'segqc:validate', id, text, name }, '*');
    });
  };
}

function startOptions() {
const validate = validator();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const load = (): Promise<ProjectGuideline[]> => new Promise((ok) => chrome.storage.local.get(STORAGE_KEY, (v: any) => ok(sanitizeProjects(v[STORAGE_KEY]))));
const store = (projects: ProjectGuideline[]): Promise<void> => new Promise((ok) => chrome.storage.local.set({ [STORAGE_KEY]: projects }, () => ok()));

function status(text: string, error = false) {
  const s = $('status');
  s.textContent = text;
  s.className = error ? 'error' : '';
}

async function render() {
  const projects = await load();
  const body = $('projects');
  body.replaceChildren(
    ...(await Promise.all(projects.map(async (p) => {
      const tr = document.createElement('tr');
      const verdict = await validate(p.text, `project ${p.project}`);
      const title = verdict.ok ? verdict.title : '(invalid guideline)';
      const last = p.url ? (p.checkedAt ? `${new Date(p.checkedAt).toLocaleString()}: ${p.check ?? ''}` : 'not fetched again yet') : '';
      for (const t of [p.project, title, p.url ?? 'pasted', last]) {
        const td = document.createElement('td');
        td.textContent = t;
        tr.appendChild(td);
      }
      const td = document.createElement('td');
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', `Remove the guideline of project ${p.project}`);
      remove.addEventListener('click', async () => {
        await store((await load()).filter((x) => x.project !== p.project));
        await render();
        status(`Removed project ${p.project}.`);
      });
      td.appendChild(remove);
      tr.appendChild(td);
      return tr;
    }))),
  );
}

/** Asks for a host permission; the status says what is awaited while Chrome's prompt is open. */
async function requestHost(origin: string, say: (text: string) => void): Promise<void> {
  const pattern = patternOf(origin);
  // Called straight from the click (an extension API asks for a user gesture); an origin already allowed resolves at once.
  say(`Waiting for your answer in Chrome's prompt: allow segqc on ${origin}?`);
  const granted: boolean = await chrome.permissions.request({ origins: [pattern] });
  if (!granted) throw new Error(`Permission for ${origin} was not granted: segqc will not run there.`);
}

const loadOrigins = async (): Promise<string[]> => sanitizeOrigins((await chrome.storage.local.get(ORIGINS_KEY))[ORIGINS_KEY]);

function originStatus(text: string, error = false) {
  const s = $('origin-status');
  s.textContent = text;
  s.className = error ? 'error' : '';
}

async function renderOrigins() {
  const origins = await loadOrigins();
  // The service worker registers the content scripts for the configured, granted origins, and says which those are.
  const r: { ok: boolean; origins?: string[]; error?: string } = await chrome.runtime.sendMessage({ type: 'segqc:sync' });
  if (!r?.ok) throw new Error(`segqc could not register its content scripts: ${r?.error ?? 'no answer'}`);
  const granted = new Set(r.origins ?? []);
  $('origins').replaceChildren(
    ...(origins.length === 0
      ? [Object.assign(document.createElement('li'), { textContent: 'None yet: segqc runs nowhere.' })]
      : origins.map((o) => {
          const li = document.createElement('li');
          li.setAttribute('data-origin', o);
          li.textContent = `${o} ${granted.has(o) ? '(allowed)' : '(permission not granted: add it again)'} `;
          const remove = document.createElement('button');
          remove.type = 'button';
          remove.textContent = 'Remove';
          remove.setAttribute('aria-label', `Stop running segqc on ${o}`);
          remove.addEventListener('click', async () => {
            await chrome.storage.local.set({ [ORIGINS_KEY]: (await loadOrigins()).filter((x) => x !== o) });
            await chrome.permissions.remove({ origins: [patternOf(o)] }).catch(() => false);
            await renderOrigins();
            originStatus(`segqc no longer runs on ${o}.`);
          });
          li.appendChild(remove);
          return li;
        })),
  );
}

$('origin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const origin = originOf(($('origin') as HTMLInputElement).value);
    await requestHost(origin, originStatus);
    await chrome.storage.local.set({ [ORIGINS_KEY]: [...(await loadOrigins()).filter((o) => o !== origin), origin] });
    await renderOrigins();
    originStatus(`segqc runs on ${origin}. Reload its open pages.`);
  } catch (err) {
    originStatus((err as Error).message, true);
  }
});

async function fetchGuideline(url: string): Promise<string> {
  await requestHost(new URL(url).origin, status);
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

$('form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const project = ($('project') as HTMLInputElement).value.trim();
  const url = ($('url') as HTMLInputElement).value.trim();
  try {
    const text = url ? await fetchGuideline(url) : ($('text') as HTMLTextAreaElement).value;
    const verdict = await validate(text, url || 'pasted guideline');
    if (!verdict.ok) throw new Error(verdict.error);
    const entry: ProjectGuideline = { project, url: url || null, text, savedAt: new Date().toISOString() };
    await store([...(await load()).filter((p) => p.project !== project), entry]);
    await render();
    status(`Saved: project ${project} follows ${verdict.title}.`);
  } catch (err) {
    status((err as Error).message, true);
  }
});

void render();
renderOrigins().catch((e: Error) => originStatus(e.message, true));
}
