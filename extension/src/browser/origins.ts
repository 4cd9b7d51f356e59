/**
 * The Label Studio servers the browser extension runs on: the origins the user configured and granted. The manifest
 * asks for no host up front; content scripts are registered for these origins only.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** The storage key of the configured origins (`chrome.storage.local`). */
export const ORIGINS_KEY = 'segqcOrigins';

/** Ids of the registered content scripts: the isolated-world bridge and the main-world script. */
export const SCRIPT_IDS = ['segqc-bridge', 'segqc-main'] as const;

/** The origin of an address the user typed (`https://ls.example.org/projects/3` → `https://ls.example.org`); throws on anything but http(s). */
export function originOf(input: string): string {
  let u: URL;
  try {
    u = new URL(input.trim());
  } catch {
    throw new Error(`"${input}" is not an address: type the Label Studio address, such as https://label-studio.example.org`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`"${input}" is not an http(s) address`);
  return u.origin;
}

/** The match pattern of an origin, for host permissions and content scripts. */
export const patternOf = (origin: string): string => `${origin}/*`;

/** Keeps only well-formed origins, once each (storage is user-editable). */
export function sanitizeOrigins(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const out: string[] = [];
  for (const o of raw) {
    if (typeof o !== 'string') continue;
    try {
      const origin = originOf(o);
      if (origin === o && !out.includes(origin)) out.push(origin);
    } catch {
      // a malformed entry is dropped
    }
  }
  return out;
}

/** The content scripts to register for the origins segqc may run on (none when there are none). */
export function registrations(origins: string[]): Array<Record<string, unknown>> {
  if (origins.length === 0) return [];
  const matches = origins.map(patternOf);
  return [
    { id: SCRIPT_IDS[0], js: ['bridge.js'], matches, runAt: 'document_start', allFrames: false, persistAcrossSessions: true },
    { id: SCRIPT_IDS[1], js: ['content.js'], matches, runAt: 'document_idle', allFrames: false, world: 'MAIN', persistAcrossSessions: true },
  ];
}

/** Configured origins whose host permission is granted. */
export async function grantedOrigins(chrome: Any): Promise<string[]> {
  const stored = await chrome.storage.local.get(ORIGINS_KEY);
  const configured = sanitizeOrigins(stored[ORIGINS_KEY]);
  const granted = await Promise.all(configured.map((o) => chrome.permissions.contains({ origins: [patternOf(o)] }) as Promise<boolean>));
  return configured.filter((_, i) => granted[i]);
}

/**
 * Registers the content scripts for exactly the configured, granted origins (replacing what was registered). The
 * options page and the service worker may both do it at once: a clash with the other's registration is retried.
 */
export async function syncContentScripts(chrome: Any): Promise<string[]> {
  const origins = await grantedOrigins(chrome);
  const regs = registrations(origins);
  for (let attempt = 0; ; attempt++) {
    try {
      const existing: Array<{ id: string }> = await chrome.scripting.getRegisteredContentScripts({ ids: [...SCRIPT_IDS] });
      const ids = existing.map((r) => r.id);
      if (regs.length > 0 && ids.length === SCRIPT_IDS.length) await chrome.scripting.updateContentScripts(regs);
      else {
        if (ids.length > 0) await chrome.scripting.unregisterContentScripts({ ids });
        if (regs.length > 0) await chrome.scripting.registerContentScripts(regs);
      }
      return origins;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/** The `version:` of a guideline's YAML or JSON text, for status lines (the panel shows the validated one). */
export function versionOf(text: string): string | null {
  try {
    const j = JSON.parse(text);
    return j && typeof j.version === 'string' ? j.version : null;
  } catch {
    const m = /^version:\s*["']?([^"'\s#]+)/m.exec(text);
    return m ? m[1] : null;
  }
}
