// Writes the bundled example datasets (examples/liver-ct, examples/liver-ct-review, examples/pathology), deterministically, with deliberate
// violations that test/examples.test.ts expects. Run: node scripts/run-ts.mjs scripts/make-examples.ts
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Geometry } from '../shared/model.js';
import { axisGeometry } from '../shared/model.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import { loadGuideline } from '../shared/guideline/load.js';
import { guidelineSha256, sha256Hex } from '../shared/guideline/hash.js';
import { appendReview, type ReviewDocument } from '../shared/review/record.js';
import { reviewEntry } from '../shared/review/entry.js';
import type { Attestation } from '../shared/rules/types.js';

const root = process.env.SEGQC_ROOT ?? resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = process.env.SEGQC_EXAMPLES_OUT ?? join(root, 'examples');
const write = (path: string, data: string | Uint8Array) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
};

function attestation(guidelineText: string, file: string, answers: Record<string, boolean>, version?: string): Attestation {
  const g = loadGuideline(guidelineText, file);
  return {
    schema: 'segqc-attestation/1',
    guideline: { id: g.id, version: version ?? g.version, sha256: version ? '0'.repeat(64) : guidelineSha256(g) },
    answers,
    findings: [],
    overrides: [],
    tool: { name: 'segqc', version: '0.1.0' },
    submitted_at: '2026-11-30T10:00:00.000Z',
  };
}

// ---------------------------------------------------------------- liver CT (NIfTI, two raters, images)

const CT: Geometry = axisGeometry([128, 128, 40], [2.8, 2.8, 5], [-179.2, -179.2, -100]);

type Ball = { c: [number, number, number]; r: [number, number, number]; value: number };

/** A label map of ellipsoids (mm), later ones replacing earlier ones, with optional emptied slices. */
function labelMap(g: Geometry, balls: Ball[], emptySlices: number[] = []): Uint8Array {
  const [nx, ny, nz] = g.shape;
  const out = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    if (emptySlices.includes(k)) continue;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const p = [i * g.spacing[0], j * g.spacing[1], k * g.spacing[2]];
        for (const b of balls) {
          const d = ((p[0] - b.c[0]) / b.r[0]) ** 2 + ((p[1] - b.c[1]) / b.r[1]) ** 2 + ((p[2] - b.c[2]) / b.r[2]) ** 2;
          if (d <= 1) out[i + nx * (j + ny * k)] = b.value;
        }
      }
    }
  }
  return out;
}

/** A synthetic CT (HU, int16): body ellipse at soft tissue, air outside. */
function ctImage(g: Geometry): Int16Array {
  const [nx, ny, nz] = g.shape;
  const out = new Int16Array(nx * ny * nz).fill(-1000);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) if (((i - 64) / 60) ** 2 + ((j - 64) / 45) ** 2 <= 1) out[i + nx * (j + ny * k)] = 40;
  return out;
}

const liver = (dx = 0): Ball => ({ c: [150 + dx, 170, 100], r: [85, 70, 65], value: 1 });
const tumour = (c: [number, number, number], r: number): Ball => ({ c, r: [r, r, r], value: 2 });

function makeLiver(): void {
  const dir = join(outRoot, 'liver-ct');
  rmSync(dir, { recursive: true, force: true });
  const guidelineText = readFileSync(join(root, 'guidelines/examples/liver-ct.yaml'), 'utf8').replace('$schema=../guideline.schema.json', '$schema=https://segqc.dev/schemas/guideline/1/guideline.schema.json');
  write(join(dir, 'guideline.yaml'), guidelineText);
  write(
    join(dir, 'segqc.yaml'),
    `# segqc dataset configuration: the guideline this dataset follows and where its masks are.
guideline: guideline.yaml
sources:
  - name: raters
    format: nifti
    path: labels/*/*.nii.gz
    images: images/{id}.nii.gz
    annotator: "{dir}"
gate:
  fail-on: error
`,
  );
  const nii = (rel: string, data: Uint8Array | Int16Array, g: Geometry = CT) => write(join(dir, rel), encodeNifti({ geometry: g, data }, { gzip: true }));
  const side = (rel: string, a: Attestation) => write(join(dir, rel), JSON.stringify(a, null, 2) + '\n');
  const ok = { veins_excluded: true, margins_reviewed: true };
  for (const id of ['ct_001', 'ct_002', 'ct_003', 'ct_004', 'ct_005']) nii(`images/${id}.nii.gz`, ctImage(CT));

  // ct_001: two raters who agree; both attested.
  nii('labels/rater1/ct_001.nii.gz', labelMap(CT, [liver(), tumour([170, 160, 100], 14)]));
  side('labels/rater1/ct_001.segqc.json', attestation(guidelineText, 'guideline.yaml', ok));
  nii('labels/rater2/ct_001.nii.gz', labelMap(CT, [{ ...liver(), r: [85, 70, 66] }, tumour([170, 160, 100], 14.5)]));
  side('labels/rater2/ct_001.segqc.json', attestation(guidelineText, 'guideline.yaml', ok));

  // ct_002: the tumour bulges 10 mm past the liver capsule (containment.outside) and a stray island of
  // "liver" sits in the spleen (components.too_many, a warning in this guideline).
  nii('labels/rater1/ct_002.nii.gz', labelMap(CT, [liver(), { c: [300, 300, 100], r: [8, 8, 8], value: 1 }, tumour([150, 245, 100], 15)]));
  side('labels/rater1/ct_002.segqc.json', attestation(guidelineText, 'guideline.yaml', ok));

  // ct_003: the liver skips a slice (slices.gap), is far too small (volume.below_min), and no attestation.
  nii('labels/rater1/ct_003.nii.gz', labelMap(CT, [{ c: [150, 170, 100], r: [60, 45, 40], value: 1 }], [20]));

  // ct_004: an image nobody annotated (dataset.missing_annotation).

  // ct_005: attested under an older guideline version, and the mask was saved on a shifted grid.
  nii('labels/rater2/ct_005.nii.gz', labelMap(CT, [liver()]), { ...CT, origin: [-179.2, -179.2, -90] });
  side('labels/rater2/ct_005.segqc.json', attestation(guidelineText, 'guideline.yaml', { veins_excluded: true, no_tumour_confirmed: true }, '1.1.0'));

  write(
    join(dir, 'README.md'),
    `# Example: liver and liver tumour on contrast CT

A small dataset repository as segqc expects one: \`segqc.yaml\`, the team's guideline, CT images
(\`images/\`, synthetic, 128x128x40 at 2.8x2.8x5 mm) and NIfTI label maps from two raters (\`labels/rater*/\`),
each with a \`.segqc.json\` attestation sidecar. Generated by \`scripts/make-examples.ts\`.

Deliberate problems: ct_002's tumour leaves the liver and has a stray liver island; ct_003's liver is too
small, skips a slice and has no attestation; ct_004 has no annotation; ct_005 was attested under guideline
1.1.0 and its mask is on a shifted grid. Run \`npx segqc check examples/liver-ct\`.
`,
  );
}

// ---------------------------------------------------------------- liver CT under review (NIfTI, review sidecars)

/** The liver-ct guideline with a review loop: peer review of every item, a senior's review of the audit sample. */
function reviewGuideline(): string {
  const base = readFileSync(join(root, 'guidelines/examples/liver-ct.yaml'), 'utf8').replace('$schema=../guideline.schema.json', '$schema=https://segqc.dev/schemas/guideline/1/guideline.schema.json');
  const review = `review:
  min_annotations: 1
  # One item in three goes to the senior radiologist.
  audit_rate: 0.3
  # Every annotation is checked by a colleague; the audit sample also by the senior radiologist.
  stages:
    - id: peer
      title: Peer review
      reviewers: others
      items: all
      required: true
    - id: senior
      title: Senior radiologist review
      reviewers: [dr.chen@hospital.example]
      items: audit
      required: true
      reasons: [boundary_loose, missed_lesion, wrong_label]
  # Why an annotation goes back to its annotator: counted per reason in every report.
  reasons:
    - id: boundary_loose
      title: Boundary includes adjacent structures
      help: Trim the liver at the capsule; the IVC, the gallbladder and the right kidney are not liver.
    - id: missed_lesion
      title: A lesion is not segmented
      help: Scroll through the whole liver on the portal venous phase and add every lesion of 3 mm or more.
    - id: wrong_label
      title: Wrong label
      help: Tumour is label 2, liver is label 1.
    - id: partial_volume
      title: Partial-volume slices at the dome left out
`;
  const from = base.indexOf('review:\n');
  const to = base.indexOf('\nattestation:');
  if (from < 0 || to < 0) throw new Error('guidelines/examples/liver-ct.yaml: no review block to extend');
  return base.slice(0, from).replace('version: 1.2.0', 'version: 1.3.0') + review + base.slice(to);
}

function makeLiverReview(): void {
  const dir = join(outRoot, 'liver-ct-review');
  rmSync(dir, { recursive: true, force: true });
  const guidelineText = reviewGuideline();
  write(join(dir, 'guideline.yaml'), guidelineText);
  write(
    join(dir, 'segqc.yaml'),
    `# segqc dataset configuration: liver CT label maps under peer and senior review.
guideline: guideline.yaml
sources:
  - name: raters
    format: nifti
    path: labels/*/*.nii.gz
    annotator: "{dir}"
gate:
  fail-on: error
`,
  );
  const masks: Record<string, Uint8Array> = {
    ct_001: encodeNifti({ geometry: CT, data: labelMap(CT, [liver(), tumour([170, 160, 100], 14)]) }, { gzip: true }),
    ct_002: encodeNifti({ geometry: CT, data: labelMap(CT, [{ ...liver(), r: [87, 71, 65] }, tumour([165, 175, 95], 12)]) }, { gzip: true }),
    ct_003: encodeNifti({ geometry: CT, data: labelMap(CT, [{ ...liver(), r: [84, 69, 64] }]) }, { gzip: true }),
  };
  const answers: Record<string, Record<string, boolean>> = {
    ct_001: { veins_excluded: true, margins_reviewed: true },
    ct_002: { veins_excluded: true, margins_reviewed: true },
    ct_003: { veins_excluded: true, no_tumour_confirmed: true },
  };
  for (const [id, bytes] of Object.entries(masks)) {
    write(join(dir, `labels/rater1/${id}.nii.gz`), bytes);
    write(join(dir, `labels/rater1/${id}.segqc.json`), JSON.stringify(attestation(guidelineText, 'guideline.yaml', answers[id]), null, 2) + '\n');
  }
  const tool = { name: 'segqc', version: '0.1.0' };
  const record = (id: string, doc: ReviewDocument) => write(join(dir, `labels/rater1/${id}.review.json`), JSON.stringify(doc, null, 2) + '\n');
  // ct_001: accepted by a colleague at peer review.
  record('ct_001', appendReview(null, reviewEntry({ stage: 'peer', reviewer: 'rater2@hospital.example', verdict: 'accept', reasons: [], time: '2026-12-01T09:30:00.000Z', maskSha256: sha256Hex(masks.ct_001), tool })));
  // ct_002: rejected at peer review, with two reasons and a comment for the annotator.
  record(
    'ct_002',
    appendReview(
      null,
      reviewEntry({
        stage: 'peer',
        reviewer: 'rater2@hospital.example',
        verdict: 'reject',
        reasons: ['boundary_loose', 'missed_lesion'],
        comment: 'The mask runs into the IVC at slices 18-22, and the 8 mm lesion in segment VI is missing.',
        time: '2026-12-01T10:15:00.000Z',
        maskSha256: sha256Hex(masks.ct_002),
        tool,
      }),
    ),
  );
  // ct_003: nobody has reviewed it yet; it is also the audit sample, so the senior radiologist is expected too.
  write(
    join(dir, 'README.md'),
    `# Example: liver CT under review

The liver CT guideline with a review loop (\`review.stages\`: peer review of every item by anyone but its
annotator, then the senior radiologist's review of the audit sample; \`review.reasons\`: the reject taxonomy),
three label maps by rater1 with attestations, and the reviewers' verdicts in \`.review.json\` sidecars beside
the masks, as \`segqc review\` writes them. Generated by \`scripts/make-examples.ts\`.

ct_001 was accepted at peer review; ct_002 was rejected (boundary includes adjacent structures, a lesion is not
segmented); ct_003 waits for its peer review and, as the audit sample, for the senior radiologist's. Run
\`npx segqc check examples/liver-ct-review\`; record a verdict with
\`npx segqc review examples/liver-ct-review/labels/rater1/ct_003.nii.gz --verdict accept --reviewer rater2@hospital.example\`.
`,
  );
}

// ---------------------------------------------------------------- pathology (Label Studio export)

const W = 256, H = 256;
const SPACING = [0.0005, 0.0005];

function discAlpha(cx: number, cy: number, r: number, soft = true): Uint8Array {
  const a = new Uint8Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - r;
      // Anti-aliased edge, as the editor's brush draws it.
      a[y * W + x] = d <= -1 ? 255 : d >= 1 || !soft ? 0 : Math.round(((1 - d) / 2) * 255);
    }
  return a;
}

const brush = (id: string, label: string, alpha: Uint8Array) => ({
  id, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: W, original_height: H, image_rotation: 0, origin: 'manual',
  value: { format: 'rle', rle: encodeBrushRle(alpha, W, H), brushlabels: [label] },
});

const nucleus = (id: string, label: string, cx: number, cy: number, r: number) => ({
  id, type: 'polygonlabels', from_name: 'label_polygon', to_name: 'image', original_width: W, original_height: H, image_rotation: 0, origin: 'manual',
  value: {
    points: Array.from({ length: 10 }, (_, i) => [((cx + r * Math.cos((i * Math.PI) / 5)) / W) * 100, ((cy + r * Math.sin((i * Math.PI) / 5)) / H) * 100]),
    closed: true,
    polygonlabels: [label],
  },
});

const choices = (answers: string[]) =>
  answers.map((id, k) => ({ id: `c${k}_${id}`, type: 'choices', from_name: `segqc_checklist_${id}`, to_name: 'image', origin: 'manual', value: { choices: ['yes'] } }));

function makePathology(): void {
  const dir = join(outRoot, 'pathology');
  rmSync(dir, { recursive: true, force: true });
  const guidelineText = readFileSync(join(root, 'guidelines/examples/pathology-nuclei.yaml'), 'utf8').replace('$schema=../guideline.schema.json', '$schema=https://segqc.dev/schemas/guideline/1/guideline.schema.json');
  write(join(dir, 'guideline.yaml'), guidelineText);
  write(
    join(dir, 'segqc.yaml'),
    `# Tiles annotated in Label Studio; the pixel size (mm) is in each task's data, field pixel_spacing.
guideline: guideline.yaml
sources:
  - name: label-studio
    format: labelstudio
    path: exports/*.json
    spacing: pixel_spacing
gate:
  fail-on: error
`,
  );
  const task = (n: number, annotations: Array<{ id: number; by: string; result: unknown[] }>) => ({
    id: n,
    data: { image: `/data/upload/3/tile_${String(n).padStart(3, '0')}.png`, pixel_spacing: SPACING },
    annotations: annotations.map((a) => ({
      id: a.id, completed_by: { id: 1, email: a.by }, was_cancelled: false, ground_truth: false,
      created_at: '2026-11-30T09:00:00.000000Z', updated_at: '2026-11-30T09:10:00.000000Z', lead_time: 300, result: a.result,
    })),
    predictions: [],
  });
  const full = ['whole_tile_reviewed', 'touching_nuclei_split'];
  const tumourRegion = discAlpha(128, 128, 80);
  const goodNuclei = [nucleus('n1', 'Tumour nucleus', 110, 120, 6), nucleus('n2', 'Tumour nucleus', 140, 135, 5), nucleus('n3', 'Lymphocyte', 30, 30, 4)];
  const tasks = [
    // tile_001: two annotators who agree.
    task(1, [
      { id: 101, by: 'ana@lab.example', result: [brush('t1', 'Tumour region', tumourRegion), ...goodNuclei, ...choices(full)] },
      { id: 102, by: 'ben@lab.example', result: [brush('t1b', 'Tumour region', discAlpha(129, 128, 79)), ...goodNuclei, ...choices(full)] },
    ]),
    // tile_002: stroma painted over the tumour region (overlap.forbidden) and a tumour nucleus far outside it
    // (containment.outside).
    task(2, [
      {
        id: 201,
        by: 'ana@lab.example',
        result: [brush('t2', 'Tumour region', tumourRegion), brush('s2', 'Stroma', discAlpha(200, 200, 50)), nucleus('n4', 'Tumour nucleus', 20, 240, 6), ...choices(full)],
      },
    ]),
    // tile_003: a label the guideline does not have (label.unknown) and the checklist left unticked
    // (checklist.incomplete).
    task(3, [
      { id: 301, by: 'ben@lab.example', result: [brush('t3', 'Tumour region', tumourRegion), brush('x3', 'Necrosis', discAlpha(128, 128, 20)), ...choices(['touching_nuclei_split'])] },
    ]),
  ];
  write(join(dir, 'exports/project-3.json'), JSON.stringify(tasks, null, 1) + '\n');
  write(
    join(dir, 'README.md'),
    `# Example: nuclei and tumour regions on H&E tiles, annotated in Label Studio

A Label Studio JSON export (\`exports/project-3.json\`: 3 tiles of 256x256 px at 0.5 µm, brush regions and
polygon nuclei, checklist answers as \`segqc_checklist_*\` choices), the team's guideline and \`segqc.yaml\`.
Generated by \`scripts/make-examples.ts\`.

Deliberate problems: tile_002 has stroma over the tumour region and a tumour nucleus outside it; tile_003 has
an unknown label (Necrosis) and the required "whole tile reviewed" item unticked; and the guideline's
review asks for two annotators per tile, which only tile_001 has. Run \`npx segqc check examples/pathology\`.
`,
  );
}

makeLiver();
makeLiverReview();
makePathology();
console.log('examples written');
