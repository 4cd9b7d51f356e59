/** The pictures of a review page under a dataset's `pictures` settings. */
import type { Guideline } from '../guideline/types.js';
import type { PicturesConfig } from '../guideline/config.js';
import type { PagePictures } from '../report/html-page.js';
import { DEFAULT_PICTURE_OPTIONS, PictureCollector, type PictureOptions } from './item-pictures.js';

/** A collector for a page, or null when `pictures: false`. */
export function pageCollector(config: PicturesConfig, guideline: Guideline, overrides: Partial<PictureOptions> = {}): PictureCollector | null {
  if (!config.enabled) return null;
  return new PictureCollector({ ...DEFAULT_PICTURE_OPTIONS, guideline, maxItems: config.max_items, window: config.window, ...overrides });
}

/** What the page shows of the collected pictures, or why there are none. */
export function pagePictures(collector: PictureCollector | null): PagePictures {
  if (!collector) return { enabled: false, reason: 'pictures: false in segqc.yaml' };
  const { items, over } = collector.result();
  return { enabled: true, items, over, maxItems: collector.opts.maxItems };
}
