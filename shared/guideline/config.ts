/** Reads a dataset's `segqc.yaml` (`guidelines/segqc-config.schema.json`). */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import schema from '../../guidelines/segqc-config.schema.json';
import { SegqcError } from '../errors.js';
import type { FormatName } from '../model.js';
import { byPosition, compileSchema, formatPath, listErrors, parseSource, schemaErrors, valueAt } from './document.js';
import type { PathSegment } from './document.js';
import type { GuidelineError } from './types.js';
import { DEFAULT_FAIL_ON, DEFAULT_GUIDELINE_CHANGE_GATE, type FailOn, type GuidelineChangeGate } from '../rule-codes.js';

/** Where one set of annotations lives. Paths are relative to `segqc.yaml`. */
export interface SourceConfig {
  name?: string;
  format: FormatName;
  /** Glob of annotation files. */
  path: string;
  /** Glob, or pattern with `{id}`, of the images, for geometry checks. */
  images?: string;
  /** 2D: task data field holding the pixel spacing in mm. */
  spacing?: string;
  /** Annotator of every annotation of this source. */
  annotator?: string;
}

/** Items pictured on one HTML page unless `pictures.max-items` says otherwise. */
export const DEFAULT_PICTURED_ITEMS = 50;

/** `pictures` of `segqc.yaml`: whether the HTML page has pictures, of how many items, and the grey window of the images. */
export interface PicturesConfig {
  enabled: boolean;
  max_items: number;
  /** Width and level of every image's grey window; null: CT abdomen W400/L40, or percentiles for other images. */
  window: { width: number; level: number } | null;
}

/** A parsed `segqc.yaml`, with defaults applied (`gate.fail_on`: `DEFAULT_FAIL_ON`, `gate.guideline_change`: `warn`, absent meaning the same; pictures on, 50 items). */
export interface DatasetConfig {
  guideline: string;
  sources: SourceConfig[];
  reference: SourceConfig | null;
  gate: { fail_on: FailOn; guideline_change?: GuidelineChangeGate };
  /** Absent in configs built by hand: `picturesConfig` gives the defaults. */
  pictures?: PicturesConfig;
}

type RawPictures = boolean | { 'max-items'?: number; window?: { width: number; level: number } } | undefined;

/** The pictures settings of a config, defaults applied. */
export const picturesConfig = (c: Pick<DatasetConfig, 'pictures'>): PicturesConfig => c.pictures ?? picturesOf(undefined);

const picturesOf = (p: RawPictures): PicturesConfig => ({
  enabled: p !== false,
  max_items: typeof p === 'object' ? (p['max-items'] ?? DEFAULT_PICTURED_ITEMS) : DEFAULT_PICTURED_ITEMS,
  window: typeof p === 'object' && p.window ? { width: p.window.width, level: p.window.level } : null,
});

let validator: ValidateFunction | undefined;
const configValidator = (): ValidateFunction => (validator ??= compileSchema(schema));

const describe = (path: PathSegment[], data: unknown): string => {
  if (path.length === 0) return 'segqc.yaml';
  if (path[0] === 'sources' && typeof path[1] === 'number') {
    const s = valueAt(data, path.slice(0, 2)) as Record<string, unknown> | undefined;
    const name = typeof s?.name === 'string' ? s.name : typeof s?.path === 'string' ? s.path : null;
    return `source ${path[1] + 1}${name ? ` ('${name}')` : ''}`;
  }
  if (path[0] === 'reference') return 'the reference source';
  return formatPath(path);
};

/** Validates `segqc.yaml` text; `config` is set only when there are no errors. */
export function validateConfig(text: string, file: string): { config?: DatasetConfig; errors: GuidelineError[] } {
  const parsed = parseSource(text, file);
  if (!parsed.doc) return { errors: parsed.errors };
  const errors = schemaErrors(configValidator(), parsed.doc, describe);
  if (errors.length > 0) return { errors: errors.sort(byPosition) };
  const raw = parsed.doc.data as {
    guideline: string;
    sources: SourceConfig[];
    reference?: SourceConfig;
    gate?: { 'fail-on'?: FailOn; 'guideline-change'?: GuidelineChangeGate };
    pictures?: RawPictures;
  };
  return {
    config: {
      guideline: raw.guideline,
      sources: raw.sources,
      reference: raw.reference ?? null,
      gate: { fail_on: raw.gate?.['fail-on'] ?? DEFAULT_FAIL_ON, guideline_change: raw.gate?.['guideline-change'] ?? DEFAULT_GUIDELINE_CHANGE_GATE },
      pictures: picturesOf(raw.pictures),
    },
    errors: [],
  };
}

/** Parses and validates `segqc.yaml`; throws SegqcError('config.invalid') listing every problem. */
export function parseConfig(text: string, file: string): DatasetConfig {
  const { config, errors } = validateConfig(text, file);
  if (!config) throw new SegqcError('config.invalid', listErrors(errors), { file });
  return config;
}
