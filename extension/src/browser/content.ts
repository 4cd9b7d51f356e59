/**
 * The main-world content script: finds the Label Studio editor on the page (a stock Label Studio server, Community
 * or Enterprise, or any page embedding the editor), and attaches segqc with the guideline of the page's project.
 */
import { attach, type SegQCHandle } from '../attach.js';
import { editorInstances, findStore } from '../editor.js';
import { versionOf } from './origins.js';
import { guidelineFor, projectIdFromUrl, sanitizeProjects, type ProjectGuideline } from './projects.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

interface Attached {
  store: unknown;
  key: string;
  handle: SegQCHandle;
}

const POLL_MS = 500;

/** Where the guideline came from, for the panel: a URL with when it was last fetched and how that went. */
export function sourceNote(m: ProjectGuideline): string | null {
  if (!m.url) return null;
  const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : 'unknown');
  const version = versionOf(m.text) ?? '?';
  return m.checkedAt
    ? `Guideline ${version} from ${m.url}, checked ${when(m.checkedAt)}: ${m.check ?? ''}`
    : `Guideline ${version} from ${m.url}, saved ${when(m.savedAt)}`;
}

function start(win: Any): void {
  let projects: ProjectGuideline[] | null = null;
  let current: Attached | null = null;
  let failedKey: string | null = null;

  const tick = () => {
    if (projects === null) return;
    const instance = editorInstances(win).find((i) => findStore(i));
    const target: unknown = instance ?? win.Htx;
    const store = findStore(target);
    const mapping = guidelineFor(projects, projectIdFromUrl(win.location.href));

    const key = mapping ? `${mapping.project}|${mapping.savedAt}|${mapping.text.length}` : '';
    if (current && (current.store !== store || current.key !== key)) {
      current.handle.detach();
      current = null;
    }
    const project = projectIdFromUrl(win.location.href);
    if (current) return;
    if (!mapping) {
      win.SegQCExtension = { status: 'no-guideline', project };
      return;
    }
    if (!store) {
      win.SegQCExtension = { status: 'waiting-for-editor', project };
      return;
    }
    if (failedKey === key) return;
    try {
      current = { store, key, handle: attach(target, { guideline: mapping.text, note: sourceNote(mapping) }) };
      win.SegQCExtension = { status: 'attached', project, handle: current.handle };
    } catch (e) {
      failedKey = key;
      win.SegQCExtension = { status: 'error', project, error: (e as Error).message };
      console.error(`segqc: cannot attach: ${(e as Error).message}`);
    }
  };

  win.addEventListener('message', (e: MessageEvent) => {
    if (e.source !== win || !e.data || e.data.type !== 'segqc:config') return;
    projects = sanitizeProjects(e.data.projects);
    failedKey = null;
    tick();
  });
  win.postMessage({ type: 'segqc:ready' }, win.location.origin);
  setInterval(tick, POLL_MS);
}

if (typeof window !== 'undefined' && !(window as Any).__segqcContentScript) {
  (window as Any).__segqcContentScript = true;
  start(window);
}
