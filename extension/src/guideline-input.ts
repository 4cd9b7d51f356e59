/** The guideline the extension is given: a parsed object, or its YAML or JSON text. */
import type { Guideline } from '../../shared/guideline/types.js';
import { validateGuideline } from '../../shared/guideline/load.js';
import { listErrors, parseSource } from '../../shared/guideline/document.js';

/** A guideline ready to use, and whether its schema could be checked here. */
export interface ResolvedGuideline {
  guideline: Guideline;
  /**
   * False on pages whose Content-Security-Policy forbids compiled code (the schema validator compiles each schema):
   * the guideline was then only read, and its structure checked by hand.
   */
  schemaChecked: boolean;
}

/** The schema validator compiles code at run time; a page CSP without 'unsafe-eval' refuses it with an EvalError. */
export const isCspRefusal = (e: unknown): boolean => e instanceof EvalError || /unsafe-eval|Content Security Policy/i.test(String((e as Error)?.message ?? ''));

/** Validates a guideline given as text or as an object; throws an Error listing every problem. */
export function resolveGuidelineDetailed(input: unknown, name = 'guideline'): ResolvedGuideline {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  if (text === undefined) throw new TypeError('segqc: no guideline given');
  try {
    const { guideline, errors } = validateGuideline(text, name);
    if (!guideline) throw new Error(`segqc: the guideline is invalid:\n${listErrors(errors)}`);
    return { guideline, schemaChecked: true };
  } catch (e) {
    if (!isCspRefusal(e)) throw e;
  }
  const { doc, errors } = parseSource(text, name);
  if (!doc) throw new Error(`segqc: the guideline is invalid:\n${listErrors(errors)}`);
  const g = doc.data as Partial<Guideline> | null;
  const ok =
    !!g &&
    g.schema_version === 1 &&
    typeof g.id === 'string' &&
    typeof g.version === 'string' &&
    typeof g.title === 'string' &&
    Array.isArray(g.labels) &&
    g.labels.every((l) => l && typeof l.name === 'string' && Number.isInteger(l.value));
  if (!ok) throw new Error('segqc: the guideline is invalid: it needs schema_version 1, id, version, title and labels with a name and value each');
  return { guideline: g as Guideline, schemaChecked: false };
}

/** Validates a guideline given as text or as an object; throws an Error listing every problem. */
export const resolveGuideline = (input: unknown, name = 'guideline'): Guideline => resolveGuidelineDetailed(input, name).guideline;
