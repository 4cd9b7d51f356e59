/** The options of the browser extension: which guideline each Label Studio project follows. */

/** One mapping: a project id (or `*` for any project) and its guideline, pasted or fetched from a URL. */
export interface ProjectGuideline {
  project: string;
  /** Where the guideline was fetched from, when it was; `text` holds what was fetched. */
  url: string | null;
  /** The guideline's YAML or JSON text. */
  text: string;
  savedAt: string;
  /** When a URL mapping was last fetched again, and how it went (`unchanged (1.2.0)`, `updated from 1.2.0 to 1.3.0`, …). */
  checkedAt?: string;
  check?: string;
}

/** The storage key of the mappings (`chrome.storage.local`). */
export const STORAGE_KEY = 'segqcProjects';

/** The Label Studio project id of a page URL (`/projects/12/data?task=3` → `12`), or null. */
export function projectIdFromUrl(url: string): string | null {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  const m = /\/projects\/(\d+)(?:\/|$)/.exec(path);
  return m ? m[1] : null;
}

/** The guideline of a project: its own mapping, else the `*` mapping. */
export function guidelineFor(projects: ProjectGuideline[], projectId: string | null): ProjectGuideline | null {
  return (projectId !== null ? projects.find((p) => p.project === projectId) : undefined) ?? projects.find((p) => p.project === '*') ?? null;
}

/** Keeps only well-formed mappings (storage is user-editable). */
export function sanitizeProjects(raw: unknown): ProjectGuideline[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object')
    .filter((p) => typeof p.project === 'string' && /^(\*|\d+)$/.test(p.project) && typeof p.text === 'string')
    .map((p) => ({
      project: p.project as string,
      url: typeof p.url === 'string' ? p.url : null,
      text: p.text as string,
      savedAt: typeof p.savedAt === 'string' ? p.savedAt : '',
      ...(typeof p.checkedAt === 'string' ? { checkedAt: p.checkedAt } : {}),
      ...(typeof p.check === 'string' ? { check: p.check } : {}),
    }));
}
