/** The state of one attached segqc, as one record: what the editor showed, what the annotator did, what was decided. */
import type { Override } from '../../shared/rules/override.js';
import type { GateVerdict } from '../../shared/rules/save-verdict.js';
import type { ChecklistAnswers } from '../../shared/rules/types.js';
import type { SerializeCache } from './editor.js';
import type { LiveState } from './live.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Whether the labeling config has the attestation TextArea and the checklist Choices. */
export interface ConfigFields {
  attestation: boolean;
  checklist: boolean;
}

/** Where saving is gated: a store middleware, the store's replaced actions, the event bus, or the page's buttons. */
export type SaveHook = 'middleware' | 'store' | 'events' | 'dom';

/** Everything an attached segqc keeps between checks. */
export interface SegQCState {
  /** The editor's selected annotation at the last check. */
  annotation: Any | null;
  /** Its undo step and object sizes at the last check: the poll checks again when either moves. */
  token: unknown;
  sizes: string;
  /** Regions serialized at earlier checks of this annotation. */
  cache: SerializeCache;
  /** A region could not be serialized yet (its canvas is not drawn): check again at the next poll. */
  pendingRegions: boolean;
  fields: ConfigFields;
  /** Checklist answers kept here when the config has no checklist Choices. */
  localAnswers: ChecklistAnswers;
  overrides: Override[];
  /** The last check, and the gate's verdict on it (null while no annotation is selected). */
  live: LiveState | null;
  verdict: GateVerdict | null;
  /** The finding (`rule|label`) whose override form the panel shows. */
  openOverride: string | null;
  /** A gate message is on screen; it follows later checks until nothing is missing. */
  gateShown: boolean;
  hook: SaveHook | null;
  detached: boolean;
}

/** The state before the first check. */
export function initialState(): SegQCState {
  return {
    annotation: null,
    token: undefined,
    sizes: '',
    cache: new Map(),
    pendingRegions: false,
    fields: { attestation: false, checklist: false },
    localAnswers: {},
    overrides: [],
    live: null,
    verdict: null,
    openOverride: null,
    gateShown: false,
    hook: null,
    detached: false,
  };
}

/** Follows the editor's selection: another annotation starts without cached regions, local answers or overrides. */
export function selectAnnotation(s: SegQCState, annotation: Any | null): void {
  if (annotation === s.annotation) return;
  s.annotation = annotation;
  s.cache = new Map();
  s.localAnswers = {};
  s.overrides = [];
}
