/** Generates the Label Studio labeling config of a guideline: its labels, its checklist and the hidden attestation (and review) fields. */
import { ATTESTATION_FROM_NAME, CHECKLIST_FROM_NAME_PREFIX, CHECKLIST_YES, REVIEW_FROM_NAME } from '../formats/labelstudio.js';
import type { Guideline } from './types.js';
import { isRequiredItem } from './types.js';

/** `name` of the labels control; with `tool: 'both'` the polygon control is `POLYGON_FROM_NAME`. */
export const LABELS_FROM_NAME = 'label';
export const POLYGON_FROM_NAME = 'label_polygon';
export const IMAGE_TO_NAME = 'image';
/** `className` of the View holding the checklist: the extension hides it when its panel is the checklist. */
export const CHECKLIST_VIEW_CLASS = 'segqc-checklist';

/** Help text as help (a Header is bold by default). */
const HELP_STYLE = 'font-weight:normal;font-size:13px;color:#555;margin:2px 0 6px';

export interface LabelConfigOptions {
  /** Task data field holding the image (default `image`, or the guideline's `labelstudio.image_field`). */
  imageField?: string;
  /** Drawing tool (default `brush`, or the guideline's `labelstudio.tool`). */
  tool?: 'brush' | 'polygon' | 'both';
}

/** XML-escapes text for an attribute value. */
export const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const attrs = (a: Record<string, string | undefined>): string =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(v as string)}"`)
    .join('');

/**
 * The labeling config XML. Checklist items with a `when` condition are not marked `required` in Label Studio,
 * which cannot make a control depend on whether a label was drawn; segqc enforces them instead.
 */
export function labelConfig(guideline: Guideline, opts: LabelConfigOptions = {}): string {
  const field = opts.imageField ?? guideline.labelstudio?.image_field ?? 'image';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new TypeError(`imageField must be a task data field name, got '${field}'`);
  const tool = opts.tool ?? guideline.labelstudio?.tool ?? 'brush';
  const out: string[] = ['<View>'];
  out.push(`  <Header${attrs({ value: `${guideline.title} (guideline ${guideline.id} ${guideline.version})`, size: '4' })}/>`);
  out.push(`  <Image${attrs({ name: IMAGE_TO_NAME, value: `$${field}`, zoom: 'true' })}/>`);
  const labels = guideline.labels
    .map((l) => `    <Label${attrs({ value: l.name, background: l.color, hint: l.description })}/>`)
    .join('\n');
  const controls: Array<[string, string]> =
    tool === 'both'
      ? [
          ['BrushLabels', LABELS_FROM_NAME],
          ['PolygonLabels', POLYGON_FROM_NAME],
        ]
      : [[tool === 'brush' ? 'BrushLabels' : 'PolygonLabels', LABELS_FROM_NAME]];
  const toolHeading: Record<string, string> = { BrushLabels: 'Brush: paint with these labels', PolygonLabels: 'Polygon: click the outline with these labels' };
  for (const [tag, name] of controls) {
    if (controls.length > 1) out.push(`  <Header${attrs({ value: toolHeading[tag], size: '6', style: HELP_STYLE })}/>`);
    out.push(`  <${tag}${attrs({ name, toName: IMAGE_TO_NAME })}>`, labels, `  </${tag}>`);
  }

  const items = guideline.checklist ?? [];
  if (items.length > 0) out.push(`  <View${attrs({ className: CHECKLIST_VIEW_CLASS })}>`);
  for (const item of items) {
    const required = isRequiredItem(item) && item.when === undefined;
    const condition = item.when
      ? 'label_present' in item.when
        ? ` (when ${item.when.label_present} is drawn)`
        : ` (when no ${item.when.label_absent} is drawn)`
      : '';
    out.push(`  <Header${attrs({ value: `${item.prompt}${condition}`, size: '5' })}/>`);
    if (item.help) out.push(`  <Header${attrs({ value: item.help, size: '6', style: HELP_STYLE })}/>`);
    out.push(
      `  <Choices${attrs({
        name: `${CHECKLIST_FROM_NAME_PREFIX}${item.id}`,
        toName: IMAGE_TO_NAME,
        choice: 'single',
        required: required ? 'true' : undefined,
        requiredMessage: required ? `Please confirm: ${item.prompt}` : undefined,
      })}>`,
      `    <Choice${attrs({ value: 'Yes, confirmed', alias: CHECKLIST_YES, hint: item.help })}/>`,
      '  </Choices>',
    );
  }
  if (items.length > 0) out.push('  </View>');
  out.push(
    `  <View${attrs({ style: 'display:none' })}>`,
    `    <TextArea${attrs({ name: ATTESTATION_FROM_NAME, toName: IMAGE_TO_NAME, editable: 'false', rows: '1' })}/>`,
    ...((guideline.review?.stages ?? []).length > 0
      ? [`    <TextArea${attrs({ name: REVIEW_FROM_NAME, toName: IMAGE_TO_NAME, editable: 'false', rows: '1' })}/>`]
      : []),
    '  </View>',
    '</View>',
  );
  return `${out.join('\n')}\n`;
}
