/** The QC panel: guideline, live findings, the checklist and the gate message. Text goes in neutralized, with textContent only. */
import { neutralize } from '../../shared/report/escape.js';
import { MIN_OVERRIDE_REASON } from '../../shared/rules/override.js';
import { el } from './dom.js';
import type { FindingView, PanelModel } from './panel-view.js';
import { ReviewParts, type ReviewHandlers } from './review-panel.js';

/** What the panel asks its owner to do. */
export interface PanelHandlers extends ReviewHandlers {
  /** The finding at this place in the check's findings was clicked. */
  selectFinding(index: number): void;
  answer(itemId: string, yes: boolean): void;
  /** Show the override form of a finding (`rule|label`), or none. */
  openOverride(key: string | null): void;
  override(index: number, reason: string): void;
  withdraw(index: number): void;
}

const CSS = `
.segqc-panel{font:13px/1.4 system-ui,sans-serif;color:#1d1d1f;background:#fff;border:1px solid #c9c9cf;border-radius:6px;padding:8px 10px;box-sizing:border-box;max-height:100%;overflow:auto}
.segqc-panel h2{font-size:14px;margin:0 0 4px}
.segqc-panel h3{font-size:12px;margin:10px 0 4px;text-transform:uppercase;letter-spacing:.04em;color:#555}
.segqc-panel ul{list-style:none;margin:0;padding:0}
.segqc-panel li{margin:2px 0}
.segqc-panel .segqc-finding{display:block;width:100%;text-align:left;border:1px solid transparent;border-radius:4px;background:#f6f6f8;padding:4px 6px;cursor:pointer;font:inherit;color:inherit}
.segqc-panel .segqc-finding:focus-visible,.segqc-panel button:focus-visible,.segqc-panel input:focus-visible{outline:2px solid #0b5fff;outline-offset:1px}
.segqc-panel [data-severity=error] .segqc-finding{border-left:4px solid #c62828}
.segqc-panel [data-severity=warning] .segqc-finding{border-left:4px solid #e6a700}
.segqc-panel [data-severity=info] .segqc-finding{border-left:4px solid #607d8b}
.segqc-panel .segqc-rule{font:11px ui-monospace,monospace;color:#666}
.segqc-panel .segqc-note{background:#fff8e1;border:1px solid #f0d58c;border-radius:4px;padding:4px 6px;margin:4px 0}
.segqc-panel .segqc-ok{color:#1b5e20}
.segqc-panel .segqc-gate{margin-top:8px}
.segqc-panel .segqc-gate:not(:empty){background:#fdecea;border:1px solid #e57373;border-radius:4px;padding:6px}
.segqc-panel .segqc-help{display:block;color:#666;font-size:12px;margin-left:22px}
.segqc-panel .segqc-override{margin-top:4px;display:flex;gap:4px}
.segqc-panel .segqc-override input{flex:1;min-width:0}
.segqc-panel .segqc-feedback{background:#fdecea;border:1px solid #e57373;border-radius:4px;padding:6px;margin:4px 0}
.segqc-panel .segqc-review fieldset{border:1px solid #c9c9cf;border-radius:4px;margin:4px 0;padding:4px 6px}
.segqc-panel .segqc-review textarea{width:100%;box-sizing:border-box}
.segqc-panel .segqc-debug{color:#777;font-size:11px;margin:8px 0 0}
.segqc-panel .segqc-why-not{display:block;color:#666;font-size:12px;margin:2px 0 4px 6px}
.segqc-checklist{display:none!important}
.segqc-floating{position:fixed;right:12px;bottom:12px;width:360px;max-height:70vh;z-index:2147483000;box-shadow:0 4px 16px rgba(0,0,0,.2)}
`;

/**
 * The panel, mounted in a host element (or floating at the bottom right of the page). While it is on the page it is
 * the checklist: its style hides the labeling config's own copy (the View `segqc guideline labelconfig` wraps it in).
 */
export class Panel {
  readonly root: HTMLElement;
  private readonly doc: Document;
  private readonly style: HTMLStyleElement;
  private readonly parts: Record<'title' | 'notes' | 'status' | 'findings' | 'checklistHeading' | 'checklist' | 'overrides' | 'gate' | 'debug', HTMLElement>;
  private readonly review: ReviewParts;
  private lastSig = '';
  private gateSig = '';

  constructor(
    host: HTMLElement | null,
    private readonly handlers: PanelHandlers,
    doc: Document = document,
  ) {
    this.doc = doc;
    this.style = el(doc, 'style', { 'data-segqc': 'style' }, CSS);
    doc.head.appendChild(this.style);
    this.root = el(doc, 'section', { class: `segqc-panel${host ? '' : ' segqc-floating'}`, 'aria-label': 'segqc quality check', 'data-segqc': 'panel' });
    const title = el(doc, 'h2', { 'data-segqc': 'title' });
    const notes = el(doc, 'div', { 'data-segqc': 'notes' });
    const status = el(doc, 'p', { 'data-segqc': 'status', 'aria-live': 'polite' });
    const findings = el(doc, 'ul', { 'data-segqc': 'findings', 'aria-label': 'Findings' });
    const checklistHeading = el(doc, 'h3', {}, 'Checklist');
    const checklist = el(doc, 'ul', { 'data-segqc': 'checklist', 'aria-label': 'Checklist' });
    this.review = new ReviewParts(doc, handlers);
    const { feedback, form: review } = this.review;
    const overrides = el(doc, 'ul', { 'data-segqc': 'overrides', 'aria-label': 'Overrides' });
    const gate = el(doc, 'div', { 'data-segqc': 'gate', class: 'segqc-gate', role: 'alert' });
    const debug = el(doc, 'p', { 'data-segqc': 'debug', class: 'segqc-debug' });
    this.root.append(title, notes, feedback, el(doc, 'h3', {}, 'Findings'), status, findings, checklistHeading, checklist, review, overrides, gate, debug);
    this.parts = { title, notes, status, findings, checklistHeading, checklist, overrides, gate, debug };
    (host ?? doc.body).appendChild(this.root);
  }

  /** Redraws when the model changed, keeping keyboard focus on the same control and a reason being typed. */
  render(m: PanelModel): void {
    const sig = JSON.stringify(m);
    if (sig === this.lastSig) return;
    this.lastSig = sig;
    const active = this.doc.activeElement as HTMLElement | null;
    const focusKey = active && this.root.contains(active) ? active.getAttribute('data-key') : null;
    const draft = this.root.querySelector<HTMLInputElement>('input[data-key^="reason:"]');
    const draftValue = draft ? [draft.getAttribute('data-key'), draft.value] : null;

    this.parts.title.textContent = neutralize(m.title);
    this.parts.notes.replaceChildren(...m.notes.map((n) => el(this.doc, 'p', { class: 'segqc-note' }, n)));
    this.parts.status.textContent = neutralize(m.status.text);
    this.parts.status.className = m.status.ok ? 'segqc-ok' : '';
    this.parts.findings.replaceChildren(...m.findings.map((f) => this.finding(f)));
    this.parts.checklist.replaceChildren(
      ...(m.checklist.length === 0 ? [el(this.doc, 'li', {}, 'No checklist items apply.')] : m.checklist.map((r) => this.checklistItem(r))),
    );
    this.parts.overrides.replaceChildren(...m.overrides.map((o, i) => this.override(o, i)));
    this.parts.checklistHeading.hidden = m.review !== null;
    this.parts.checklist.hidden = m.review !== null;
    this.review.render(m.feedback, m.review);
    this.parts.debug.textContent = neutralize(m.debug);

    if (draftValue) {
      const again = this.root.querySelector<HTMLInputElement>(`input[data-key="${CSS_escape(draftValue[0] ?? '')}"]`);
      if (again) again.value = draftValue[1] ?? '';
    }
    const open = m.findings.find((f) => f.override === 'form');
    const opened = open ? this.root.querySelector<HTMLInputElement>(`input[data-key="reason:${CSS_escape(open.key)}"]`) : null;
    if (opened && focusKey?.startsWith('override:')) opened.focus();
    else if (focusKey) this.root.querySelector<HTMLElement>(`[data-key="${CSS_escape(focusKey)}"]`)?.focus();
  }

  private finding(f: FindingView): HTMLLIElement {
    const li = el(this.doc, 'li', { 'data-rule': f.rule, 'data-severity': f.severity, ...(f.overridden ? { 'data-overridden': 'true' } : {}) });
    const b = el(this.doc, 'button', { type: 'button', class: 'segqc-finding', 'data-key': `finding:${f.index}:${f.key}` });
    b.append(el(this.doc, 'span', {}, f.text), el(this.doc, 'span', { class: 'segqc-rule' }, f.rule));
    b.addEventListener('click', () => this.handlers.selectFinding(f.index));
    li.appendChild(b);
    if (f.whyNot) li.appendChild(el(this.doc, 'small', { class: 'segqc-why-not', 'data-segqc': 'why-not' }, f.whyNot));
    if (f.override === 'form') li.appendChild(this.overrideForm(f));
    else if (f.override === 'button') {
      const open = el(this.doc, 'button', { type: 'button', 'data-key': `override:${f.key}` }, 'Override…');
      open.addEventListener('click', () => this.handlers.openOverride(f.key));
      li.appendChild(open);
    }
    return li;
  }

  private overrideForm(f: FindingView): HTMLFormElement {
    const form = el(this.doc, 'form', { class: 'segqc-override' });
    const input = el(this.doc, 'input', {
      type: 'text',
      'data-key': `reason:${f.key}`,
      'aria-label': f.reasonLabel,
      placeholder: `Reason (at least ${MIN_OVERRIDE_REASON} characters)`,
      minlength: String(MIN_OVERRIDE_REASON),
      required: '',
    });
    const ok = el(this.doc, 'button', { type: 'submit', 'data-key': `record:${f.key}` }, 'Record override');
    const cancel = el(this.doc, 'button', { type: 'button', 'data-key': `cancel:${f.key}` }, 'Cancel');
    cancel.addEventListener('click', () => this.handlers.openOverride(null));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const reason = input.value.trim();
      if (reason.length < MIN_OVERRIDE_REASON) {
        input.setCustomValidity(`Type a reason of at least ${MIN_OVERRIDE_REASON} characters`);
        input.reportValidity();
        return;
      }
      this.handlers.override(f.index, reason);
    });
    form.append(input, ok, cancel);
    return form;
  }

  private checklistItem(r: PanelModel['checklist'][number]): HTMLLIElement {
    const li = el(this.doc, 'li', { 'data-item': r.id });
    const id = `segqc-check-${r.id}`;
    const box = el(this.doc, 'input', { type: 'checkbox', id, 'data-key': `check:${r.id}` });
    box.checked = r.checked;
    box.addEventListener('change', () => this.handlers.answer(r.id, box.checked));
    const label = el(this.doc, 'label', { for: id });
    label.append(box, this.doc.createTextNode(neutralize(r.text)));
    li.appendChild(label);
    if (r.help) li.appendChild(el(this.doc, 'small', { class: 'segqc-help' }, r.help));
    return li;
  }

  private override(o: PanelModel['overrides'][number], i: number): HTMLLIElement {
    const li = el(this.doc, 'li', { 'data-override': o.rule });
    li.append(el(this.doc, 'span', {}, o.text));
    const w = el(this.doc, 'button', { type: 'button', 'data-key': `withdraw:${i}` }, 'Withdraw');
    w.addEventListener('click', () => this.handlers.withdraw(i));
    li.appendChild(w);
    return li;
  }

  /** Shows why saving was blocked, or clears the message. */
  showGate(lines: string[] | null, heading = 'Not saved — segqc found what the guideline does not allow:'): void {
    const sig = lines && lines.length > 0 ? JSON.stringify([heading, lines]) : '';
    if (sig === this.gateSig) return;
    this.gateSig = sig;
    if (!lines || lines.length === 0) {
      this.parts.gate.replaceChildren();
      return;
    }
    const list = el(this.doc, 'ul');
    list.append(...lines.map((l) => el(this.doc, 'li', {}, l)));
    this.parts.gate.replaceChildren(el(this.doc, 'strong', {}, heading), list);
  }

  destroy(): void {
    this.root.remove();
    this.style.remove();
  }
}

function CSS_escape(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}
