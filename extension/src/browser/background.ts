/**
 * The extension's service worker: keeps the content scripts registered for the configured, granted Label Studio
 * origins, and re-fetches guidelines given by URL when a Label Studio page opens, so a guideline bump reaches every
 * annotator without re-saving the options.
 */
import { ORIGINS_KEY, syncContentScripts, versionOf } from './origins.js';
import { STORAGE_KEY, sanitizeProjects, type ProjectGuideline } from './projects.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const chrome: any;

/** How long a page waits for a guideline URL before segqc attaches with the copy it has. */
const FETCH_TIMEOUT_MS = 5000;

/** Fetches each URL mapping again; stores a changed text and, for every one, when it was checked and how it went. */
async function refreshGuidelines(): Promise<void> {
  const projects = sanitizeProjects((await chrome.storage.local.get(STORAGE_KEY))[STORAGE_KEY]);
  if (!projects.some((p) => p.url)) return;
  const next: ProjectGuideline[] = [];
  for (const p of projects) {
    if (!p.url) {
      next.push(p);
      continue;
    }
    const checkedAt = new Date().toISOString();
    try {
      const res = await fetch(p.url, { cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (text === p.text) next.push({ ...p, checkedAt, check: `unchanged (${versionOf(text) ?? 'no version'})` });
      else next.push({ ...p, text, savedAt: checkedAt, checkedAt, check: `updated from ${versionOf(p.text) ?? '?'} to ${versionOf(text) ?? '?'}` });
    } catch (e) {
      next.push({ ...p, checkedAt, check: `could not fetch (${(e as Error).message}); using the copy saved ${p.savedAt}` });
    }
  }
  // A mapping the options page changed meanwhile wins over what was fetched for it.
  const before = new Map(projects.map((p) => [p.project, p.savedAt]));
  const now = sanitizeProjects((await chrome.storage.local.get(STORAGE_KEY))[STORAGE_KEY]);
  const merged = now.map((p) => (before.get(p.project) === p.savedAt ? (next.find((n) => n.project === p.project) ?? p) : p));
  await chrome.storage.local.set({ [STORAGE_KEY]: merged });
}

/** Registrations are changed here only, one change at a time. */
let syncing: Promise<string[]> = Promise.resolve([]);
const syncNow = (): Promise<string[]> => {
  syncing = syncing.catch(() => []).then(() => syncContentScripts(chrome));
  return syncing;
};
const sync = () => void syncNow().catch((e: Error) => console.error(`segqc: ${e.message}`));

chrome.runtime.onInstalled.addListener(sync);
chrome.runtime.onStartup.addListener(sync);
chrome.permissions.onAdded.addListener(sync);
chrome.permissions.onRemoved.addListener(sync);
chrome.storage.onChanged.addListener((changes: Record<string, unknown>, area: string) => {
  if (area === 'local' && changes[ORIGINS_KEY]) sync();
});
chrome.runtime.onMessage.addListener((msg: { type?: string }, _sender: unknown, reply: (v: unknown) => void) => {
  if (msg?.type === 'segqc:sync') {
    syncNow().then(
      (origins) => reply({ ok: true, origins }),
      (e: Error) => reply({ ok: false, error: e.message }),
    );
    return true;
  }
  if (msg?.type !== 'segqc:refresh') return false;
  refreshGuidelines().then(
    () => reply({ ok: true }),
    (e: Error) => reply({ ok: false, error: e.message }),
  );
  return true;
});
