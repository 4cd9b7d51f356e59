/** Loads a dataset's `segqc.yaml` and its guideline from a tree: the same for a directory and for a git commit. */
import { SegqcError } from '../errors.js';
import { readEntry, type DatasetTree } from './tree.js';
import { parseConfig, type DatasetConfig } from '../guideline/config.js';
import { parseGuideline } from '../guideline/load.js';
import type { Guideline } from '../guideline/types.js';

/** A dataset's configuration, its guideline and where each came from. */
export interface DatasetContext {
  config: DatasetConfig;
  configPath: string;
  guideline: Guideline;
  guidelinePath: string;
  guidelineText: string;
}

/** The tree path of the guideline `segqc.yaml` at `configPath` names (relative to the config's directory). */
export function guidelinePathOf(configPath: string, guideline: string): string {
  const dir = configPath.includes('/') ? configPath.slice(0, configPath.lastIndexOf('/') + 1) : '';
  const out: string[] = [];
  for (const part of (dir + guideline).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/** Reads `configPath` from the tree, then the guideline it names (relative to the config file). */
export function loadDatasetContext(tree: DatasetTree, configPath = 'segqc.yaml'): DatasetContext {
  const files = new Set(tree.list());
  if (!files.has(configPath)) throw new SegqcError('config.invalid', `no ${configPath} in ${tree.name}`, { file: configPath });
  const dec = new TextDecoder();
  const config = parseConfig(dec.decode(readEntry(tree, configPath)), configPath);
  const guidelinePath = guidelinePathOf(configPath, config.guideline);
  if (!files.has(guidelinePath)) {
    throw new SegqcError('config.invalid', `guideline "${config.guideline}" does not exist in ${tree.name}`, { file: configPath });
  }
  const guidelineText = dec.decode(readEntry(tree, guidelinePath));
  return { config, configPath, guideline: parseGuideline(guidelineText, guidelinePath), guidelinePath, guidelineText };
}
