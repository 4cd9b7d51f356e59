/** The review parts of the panel: the feedback an annotator confirms, at the top, and the reviewer's form. */
import { neutralize } from '../../shared/report/escape.js';
import type { ReviewVerdict } from '../../shared/review/record.js';
import { el } from './dom.js';
import type { FeedbackView, ReviewPanelView } from './panel-view.js';

/** What the review parts ask the panel's owner to do. */
export interface ReviewHandlers {
  /** A feedback line (`stage|reason`) was confirmed as addressed, or not. */
  confirmFeedback(key: string, yes: boolean): void;
  reviewStage(id: string): void;
  reviewVerdict(verdict: ReviewVerdict): void;
  reviewReason(id: string, on: boolean): void;
  reviewComment(text: string): void;
}

/** The feedback block and the review form; the comment box is one element for the panel's life, so typing survives redraws. */
export class ReviewParts {
  readonly feedback: HTMLElement;
  readonly form: HTMLElement;
  private readonly fields: HTMLElement;
  private readonly comment: HTMLTextAreaElement;
  private readonly history: HTMLElement;

  constructor(
    private readonly doc: Document,
    private readonly handlers: ReviewHandlers,
  ) {
    this.feedback = el(doc, 'div', { 'data-segqc': 'feedback', 'aria-label': 'Review feedback' });
    this.form = el(doc, 'div', { 'data-segqc': 'review', class: 'segqc-review', 'aria-label': 'Review' });
    this.fields = el(doc, 'div');
    this.comment = el(doc, 'textarea', { 'data-key': 'review-comment', 'aria-label': 'Review comment', rows: '3', placeholder: 'Comment for the annotator' });
    this.comment.addEventListener('input', () => this.handlers.reviewComment(this.comment.value));
    this.history = el(doc, 'div');
    this.form.append(this.fields, this.comment, this.history);
    this.form.hidden = true;
  }

  render(feedback: FeedbackView[], review: ReviewPanelView | null): void {
    this.feedback.replaceChildren(...feedback.map((f, i) => this.feedbackBlock(f, i)));
    this.form.hidden = review === null;
    this.fields.replaceChildren(...(review ? this.reviewFields(review) : []));
    if (this.doc.activeElement !== this.comment) this.comment.value = review?.comment ?? '';
    this.history.replaceChildren(...(review && review.history.length > 0 ? this.historyList(review.history) : []));
  }

  private feedbackBlock(f: FeedbackView, i: number): HTMLElement {
    const box = el(this.doc, 'div', { class: 'segqc-feedback', 'data-feedback': String(i) });
    box.append(el(this.doc, 'strong', {}, f.heading));
    if (f.comment) box.append(el(this.doc, 'p', { 'data-segqc': 'feedback-comment' }, `“${f.comment}”`));
    const list = el(this.doc, 'ul', { 'aria-label': 'Confirm each point is addressed' });
    for (const r of f.reasons) {
      const li = el(this.doc, 'li', { 'data-reason': r.key });
      const id = `segqc-feedback-${r.key.replace(/[^\w-]/g, '_')}`;
      const cb = el(this.doc, 'input', { type: 'checkbox', id, 'data-key': `feedback:${r.key}` });
      cb.checked = r.confirmed;
      cb.addEventListener('change', () => this.handlers.confirmFeedback(r.key, cb.checked));
      const label = el(this.doc, 'label', { for: id, ...(r.help ? { title: neutralize(r.help) } : {}) });
      label.append(cb, this.doc.createTextNode(neutralize(` Addressed: ${r.title}`)));
      li.appendChild(label);
      if (r.help) li.appendChild(el(this.doc, 'small', { class: 'segqc-help' }, r.help));
      list.appendChild(li);
    }
    box.append(list);
    return box;
  }

  private reviewFields(v: ReviewPanelView): HTMLElement[] {
    const out: HTMLElement[] = [el(this.doc, 'h3', {}, 'Review'), el(this.doc, 'p', {}, v.heading)];
    const group = (legend: string) => {
      const fs = el(this.doc, 'fieldset');
      fs.append(el(this.doc, 'legend', {}, legend));
      return fs;
    };
    const radio = (name: string, value: string, text: string, checked: boolean, on: () => void) => {
      const id = `segqc-${name}-${value}`;
      const input = el(this.doc, 'input', { type: 'radio', name: `segqc-${name}`, id, value, 'data-key': `${name}:${value}` });
      input.checked = checked;
      input.addEventListener('change', () => input.checked && on());
      const label = el(this.doc, 'label', { for: id });
      label.append(input, this.doc.createTextNode(neutralize(` ${text}`)));
      const div = el(this.doc, 'div');
      div.append(label);
      return div;
    };
    if (v.stages.length > 1) {
      const fs = group('Stage');
      fs.append(...v.stages.map((st) => radio('stage', st.id, st.title, st.selected, () => this.handlers.reviewStage(st.id))));
      out.push(fs);
    } else if (v.stages.length === 1) out.push(el(this.doc, 'p', { 'data-segqc': 'review-stage' }, `Stage: ${v.stages[0].title}`));
    const verdicts = group('Verdict');
    verdicts.append(...v.verdicts.map((x) => radio('verdict', x.id, x.text, x.selected, () => this.handlers.reviewVerdict(x.id))));
    out.push(verdicts);
    if (v.reasons.length > 0) {
      const fs = group('Reasons');
      for (const r of v.reasons) {
        const id = `segqc-reason-${r.id}`;
        const cb = el(this.doc, 'input', { type: 'checkbox', id, 'data-key': `reason-pick:${r.id}` });
        cb.checked = r.selected;
        cb.addEventListener('change', () => this.handlers.reviewReason(r.id, cb.checked));
        const label = el(this.doc, 'label', { for: id, ...(r.help ? { title: neutralize(r.help) } : {}) });
        label.append(cb, this.doc.createTextNode(neutralize(` ${r.title}`)));
        const div = el(this.doc, 'div', { 'data-reason': r.id });
        div.append(label);
        if (r.help) div.append(el(this.doc, 'small', { class: 'segqc-help' }, r.help));
        fs.append(div);
      }
      out.push(fs);
    }
    return out;
  }

  private historyList(lines: string[]): HTMLElement[] {
    const list = el(this.doc, 'ul', { 'aria-label': 'Earlier verdicts' });
    list.append(...lines.map((h) => el(this.doc, 'li', {}, h)));
    return [el(this.doc, 'h3', {}, 'Earlier verdicts'), list];
  }
}
