/** The embedding API: `SegQC.attach(labelStudio, { guideline })`. The IIFE build also sets `window.SegQC`. */
import { attach } from './attach.js';
import { TOOL } from './version.js';

export type { AttachOptions, CheckReport, SegQCHandle } from './attach.js';
export { attach };
export const version = TOOL.version;

const api = { attach, version: TOOL.version };
if (typeof window !== 'undefined') (window as unknown as { SegQC?: typeof api }).SegQC = api;
