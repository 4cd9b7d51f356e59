/**
 * The options page: validates a guideline (pasted, or fetched from a URL) and stores it for a project id. The same
 * script runs in sandbox.html, where it validates: the schema validator compiles code at run time, which Manifest V3
 * forbids on extension pages other than sandboxed ones.
 */
import { resolveGuideline } from '../guideline-input.js';
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
      for (const t of [p.project, title, p.url ?? 'pasted']) {
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

async function fetchGuideline(url: string): Promise<string> {
  const origin = `${new URL(url).origin}/*`;
  if (chrome.permissions?.request) {
    const granted: boolean = await new Promise((ok) => chrome.permissions.request({ origins: [origin] }, (g: boolean) => ok(!!g)));
    if (!granted) throw new Error(`permission to read ${origin} was not granted`);
  }
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
}
