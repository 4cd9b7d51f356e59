/** The editor scenario the extension tests share: a CT slice task with a Liver brush mask and a tumour polygon. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGuideline } from '../shared/guideline/load.js';
import { labelConfig } from '../shared/guideline/labelconfig.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import { ROOT } from './extension-harness.js';

export const GUIDELINE_PATH = join(ROOT, 'guidelines/examples/liver-ct.yaml');
export const GUIDELINE_TEXT = readFileSync(GUIDELINE_PATH, 'utf8');
export const GUIDELINE = loadGuideline(GUIDELINE_TEXT, GUIDELINE_PATH);

export const W = 160;
export const H = 120;
export const SPACING = [0.8, 0.8];

/** The config `segqc guideline labelconfig --tool both` writes: brush and polygon labels, checklist, attestation. */
export const CONFIG = labelConfig(GUIDELINE, { tool: 'both' });

/** A config written by hand, without segqc's checklist and attestation fields. */
export const PLAIN_CONFIG = `<View>
  <Image name="image" value="$image" zoom="true"/>
  <BrushLabels name="label" toName="image"><Label value="Liver" background="#d2691e"/><Label value="Liver tumour" background="#ff0000"/></BrushLabels>
  <PolygonLabels name="label_polygon" toName="image"><Label value="Liver" background="#d2691e"/><Label value="Liver tumour" background="#ff0000"/></PolygonLabels>
</View>`;

export const TASK = { id: 1, data: { image: '/img/ct_001.png', pixel_spacing: SPACING }, annotations: [], predictions: [] };

/** A disc of liver, 35 px radius around (70, 60): about 2460 mm², far below the guideline's 800000 mm³ minimum. */
export function liverBrushRle(): number[] {
  const alpha = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x + 0.5 - 70) ** 2 + (y + 0.5 - 60) ** 2 <= 35 * 35) alpha[y * W + x] = 255;
  return encodeBrushRle(alpha, W, H);
}

/** The regions the annotator starts from: the liver brush mask and a tumour polygon mostly outside the liver. */
export function preAnnotation(): Array<Record<string, unknown>> {
  const pct = (x: number, y: number) => [(x / W) * 100, (y / H) * 100];
  return [
    {
      id: 'liver_brush',
      from_name: 'label',
      to_name: 'image',
      type: 'brushlabels',
      original_width: W,
      original_height: H,
      image_rotation: 0,
      value: { format: 'rle', rle: liverBrushRle(), brushlabels: ['Liver'] },
    },
    {
      id: 'tumour_poly',
      from_name: 'label_polygon',
      to_name: 'image',
      type: 'polygonlabels',
      original_width: W,
      original_height: H,
      image_rotation: 0,
      value: { points: [pct(98, 50), pct(130, 50), pct(130, 72), pct(98, 72)], closed: true, polygonlabels: ['Liver tumour'] },
    },
  ];
}

/** The page script: the editor with the pre-annotation in a new annotation, submit/update callbacks recording results. */
export function editorSetup(opts: { config?: string; attach?: string; extra?: string } = {}): string {
  return `
const config = ${JSON.stringify(opts.config ?? CONFIG)};
const task = ${JSON.stringify(TASK)};
const pre = ${JSON.stringify(preAnnotation())};
window.ls = new LabelStudio('label-studio', {
  config, task,
  interfaces: ['panel', 'update', 'submit', 'controls', 'side-column', 'annotations:menu', 'annotations:add-new', 'edit-history', 'topbar'],
  user: { pk: 1, id: 1, firstName: 'Ann', lastName: 'Otator', email: 'ann@example.org' },
  onLabelStudioLoad(store) {
    const c = store.annotationStore.addAnnotation({ userGenerate: true });
    store.annotationStore.selectAnnotation(c.id);
    c.deserializeResults(pre);
  },
  onSubmitAnnotation(store, annotation) { window.__submitted.push(annotation.serializeAnnotation()); },
  onUpdateAnnotation(store, annotation) { window.__updated.push(annotation.serializeAnnotation()); },
});
${opts.extra ?? ''}
${opts.attach ?? ''}
`;
}
