/** What segqc changes in the editor's own page: data fields kept out of the region list, and the gate message beside Submit/Update. */
import { neutralize } from '../../shared/report/escape.js';

/** Text of a hidden segqc field (the attestation, a review record): JSON with a `schema` starting `segqc-`. */
const DATA_TEXT = /\{\s*"schema"\s*:\s*"segqc-/;
const HIDDEN = 'data-segqc-hidden';

/**
 * Keeps region-list entries showing a segqc data field (the attestation TextArea is a region of its annotation)
 * out of sight, as the editor re-renders the list. Returns the remover.
 */
export function hideDataRegions(doc: Document): () => void {
  const scan = () => {
    for (const item of Array.from(doc.querySelectorAll<HTMLElement>('.lsf-region-item'))) {
      if (!DATA_TEXT.test(item.textContent ?? '')) continue;
      const entry = item.closest<HTMLElement>('.ant-tree-treenode') ?? item.closest<HTMLElement>('li') ?? item;
      if (entry.getAttribute(HIDDEN) === 'true') continue;
      entry.setAttribute(HIDDEN, 'true');
      entry.style.setProperty('display', 'none', 'important');
    }
  };
  let queued = false;
  const observer = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      scan();
    });
  });
  observer.observe(doc.body, { childList: true, subtree: true, characterData: true });
  scan();
  return () => observer.disconnect();
}

/** The editor's visible Submit or Update button. */
export function saveButton(doc: Document): HTMLElement | null {
  for (const b of Array.from(doc.querySelectorAll<HTMLElement>('button'))) {
    if (/^(submit|update)$/i.test((b.textContent ?? '').trim()) && b.getClientRects().length > 0 && !b.closest('[data-segqc]')) return b;
  }
  return null;
}

const CSS = `
.segqc-gate-note{position:fixed;z-index:2147483001;box-sizing:border-box;max-width:360px;font:13px/1.4 system-ui,sans-serif;color:#5f1111;background:#fdecea;border:1px solid #e57373;border-radius:6px;padding:6px 28px 6px 8px;box-shadow:0 2px 8px rgba(0,0,0,.18)}
.segqc-gate-note button{position:absolute;top:2px;right:4px;border:0;background:none;font:16px/1 system-ui,sans-serif;cursor:pointer;color:#5f1111}
`;

/** A short message pinned next to the editor's Submit/Update button (inside the viewport), following it on scroll and resize. */
export class GateNote {
  private readonly el: HTMLElement;
  private readonly text: HTMLElement;
  private readonly style: HTMLStyleElement;
  private readonly place = () => this.position();
  /** The message shown (or about to be, in the pending frame). */
  private shown: string | null = null;
  private frame: number | null = null;

  constructor(private readonly doc: Document) {
    this.style = doc.createElement('style');
    this.style.setAttribute('data-segqc', 'gate-note-style');
    this.style.textContent = CSS;
    doc.head.appendChild(this.style);
    this.el = doc.createElement('div');
    this.el.className = 'segqc-gate-note';
    this.el.setAttribute('data-segqc', 'gate-note');
    this.el.setAttribute('role', 'alert');
    this.el.hidden = true;
    this.text = doc.createElement('span');
    const close = doc.createElement('button');
    close.type = 'button';
    close.textContent = '×';
    close.setAttribute('aria-label', 'Hide this message');
    close.addEventListener('click', () => this.show(null));
    this.el.append(this.text, close);
    doc.body.appendChild(this.el);
    doc.defaultView?.addEventListener('scroll', this.place, true);
    doc.defaultView?.addEventListener('resize', this.place);
  }

  /**
   * Shows the message beside the save button, or hides it. The note is placed in the next animation frame, before it
   * is painted: placing it reads the page's layout, which the live check would otherwise force on every stroke. The
   * same message again leaves it where it is (scrolling and resizing move it).
   */
  show(message: string | null): void {
    if (!message) {
      this.cancelFrame();
      this.shown = null;
      this.el.hidden = true;
      return;
    }
    const text = neutralize(message);
    if (text === this.shown) return;
    this.shown = text;
    this.text.textContent = text;
    const win = this.doc.defaultView;
    if (this.frame !== null) return;
    if (!win || typeof win.requestAnimationFrame !== 'function') return this.reveal();
    this.frame = win.requestAnimationFrame(() => {
      this.frame = null;
      this.reveal();
    });
  }

  private reveal(): void {
    if (this.shown === null) return;
    this.el.hidden = false;
    this.position();
  }

  private cancelFrame(): void {
    if (this.frame !== null) this.doc.defaultView?.cancelAnimationFrame(this.frame);
    this.frame = null;
  }

  /** Below the button when there is room in the viewport, else above it; clamped into the viewport. */
  private position(): void {
    if (this.el.hidden) return;
    const win = this.doc.defaultView;
    const button = saveButton(this.doc);
    if (!win || !button) {
      this.el.style.cssText = 'right:12px;top:12px';
      return;
    }
    const r = button.getBoundingClientRect();
    const width = Math.min(360, Math.max(r.width, 260), win.innerWidth - 16);
    this.el.style.width = `${width}px`;
    const h = this.el.getBoundingClientRect().height;
    const below = r.bottom + 6;
    const top = below + h <= win.innerHeight - 8 ? below : r.top - h - 6;
    const left = Math.min(Math.max(8, r.right - width), win.innerWidth - width - 8);
    this.el.style.top = `${Math.min(Math.max(8, top), win.innerHeight - h - 8)}px`;
    this.el.style.left = `${left}px`;
  }

  destroy(): void {
    this.cancelFrame();
    this.doc.defaultView?.removeEventListener('scroll', this.place, true);
    this.doc.defaultView?.removeEventListener('resize', this.place);
    this.el.remove();
    this.style.remove();
  }
}
