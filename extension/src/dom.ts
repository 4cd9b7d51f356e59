/** Building the panel's elements: text goes in neutralized, with textContent only. */
import { neutralize } from '../../shared/report/escape.js';

/** An element with attributes and text (neutralized, except a style's). */
export function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = tag === 'style' ? text : neutralize(text);
  return e;
}
