/**
 * The Label Studio Enterprise plugin: paste extension/dist/segqc-plugin.js into the project's plugin editor and add
 * one line, `SegQCPlugin.install(LSI, GUIDELINE_YAML)`. The plugin API calls `beforeSaveAnnotation` handlers before
 * it saves; returning false keeps the annotation unsaved.
 */
import { attach, type AttachOptions, type SegQCHandle } from './attach.js';
import { TOOL } from './version.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Attaches segqc to the editor behind `LSI` (or `window.Htx`) and gates saving through `beforeSaveAnnotation`. */
export function install(lsi: Any, guideline: unknown, options: Omit<AttachOptions, 'guideline' | 'gate'> = {}): SegQCHandle {
  if (!lsi || typeof lsi.on !== 'function') throw new TypeError('segqc: install(LSI, guideline) needs the plugin API object LSI');
  const handle = attach(lsi, { ...options, guideline, gate: 'external' });
  const beforeSave = () => handle.beforeSave();
  lsi.on('beforeSaveAnnotation', beforeSave);
  const detach = handle.detach;
  return {
    ...handle,
    detach() {
      if (typeof lsi.off === 'function') lsi.off('beforeSaveAnnotation', beforeSave);
      detach();
    },
  };
}

const api = { install, version: TOOL.version };
if (typeof window !== 'undefined') (window as unknown as { SegQCPlugin?: typeof api }).SegQCPlugin = api;
