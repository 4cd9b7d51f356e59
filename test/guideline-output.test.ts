import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadGuideline } from '../shared/guideline/load.js';
import { canonicalJson, guidelineSha256, sha256Hex, sha256Text } from '../shared/guideline/hash.js';
import { labelConfig } from '../shared/guideline/labelconfig.js';

const liverText = readFileSync('guidelines/examples/liver-ct.yaml', 'utf8');

describe('sha256', () => {
  test('FIPS 180-2 vectors', () => {
    expect(sha256Text('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Text('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });
  test('agrees with node:crypto across block boundaries', () => {
    for (const n of [1, 55, 56, 63, 64, 65, 119, 120, 1000, 4097]) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (i * 131 + 7) & 255;
      expect(sha256Hex(b)).toBe(createHash('sha256').update(b).digest('hex'));
    }
  });
  test('canonical JSON sorts keys and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }] })).toBe('{"a":[{"c":null,"d":"x"}],"b":1}');
  });
  test('YAML and JSON spellings of a guideline hash the same; a change changes it', () => {
    const y = loadGuideline(liverText, 'liver-ct.yaml');
    const j = loadGuideline(JSON.stringify(parseYaml(liverText)), 'liver-ct.json');
    expect(guidelineSha256(y)).toBe(guidelineSha256(j));
    expect(guidelineSha256(y)).toBe(createHash('sha256').update(canonicalJson(parseYaml(liverText))).digest('hex'));
    const changed = loadGuideline(liverText.replace('audit_rate: 0.1', 'audit_rate: 0.2'), 'x.yaml');
    expect(guidelineSha256(changed)).not.toBe(guidelineSha256(y));
  });
});

/** A tiny XML well-formedness check: tags balance, attributes are quoted, no stray '<' or '&'. */
function parseXml(xml: string): Array<{ name: string; attrs: Record<string, string> }> {
  const tags: Array<{ name: string; attrs: Record<string, string> }> = [];
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml))) {
    if (xml.slice(last, m.index).trim() !== '') throw new Error(`text outside tags at ${last}`);
    last = re.lastIndex;
    const [, close, name, attrText, self] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([\w-]+)="([^"]*)"/g)) {
      attrs[a[1]] = a[2].replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    }
    tags.push({ name, attrs });
    if (!self) stack.push(name);
  }
  if (xml.slice(last).trim() !== '' || stack.length) throw new Error('not well formed');
  return tags;
}

describe('labelConfig', () => {
  const g = loadGuideline(liverText, 'liver-ct.yaml');
  test('is well-formed XML with every label, checklist item and the hidden attestation', () => {
    const tags = parseXml(labelConfig(g));
    expect(tags[0].name).toBe('View');
    expect(tags.find((t) => t.name === 'Image')?.attrs).toMatchObject({ name: 'image', value: '$image' });
    const brush = tags.find((t) => t.name === 'BrushLabels');
    expect(brush?.attrs).toMatchObject({ name: 'label', toName: 'image' });
    expect(tags.filter((t) => t.name === 'Label').map((t) => [t.attrs.value, t.attrs.background])).toEqual([
      ['Liver', '#d2691e'],
      ['Liver tumour', '#ff0000'],
    ]);
    const choices = tags.filter((t) => t.name === 'Choices');
    expect(choices.map((c) => c.attrs.name)).toEqual([
      'segqc_checklist_veins_excluded',
      'segqc_checklist_margins_reviewed',
      'segqc_checklist_no_tumour_confirmed',
    ]);
    // Only the unconditional item can be required natively: Label Studio cannot condition on a drawn label.
    expect(choices.map((c) => c.attrs.required ?? null)).toEqual(['true', null, null]);
    expect(tags.filter((t) => t.name === 'Choice').every((c) => c.attrs.alias === 'yes')).toBe(true);
    const headers = tags.filter((t) => t.name === 'Header').map((t) => t.attrs.value);
    expect(headers).toContain('Portal and hepatic veins excluded from liver');
    const ta = tags.find((t) => t.name === 'TextArea');
    expect(ta?.attrs).toMatchObject({ name: 'segqc_attestation', toName: 'image', editable: 'false' });
    const hidden = tags.findIndex((t) => t.name === 'View' && t.attrs.style === 'display:none');
    expect(hidden).toBeGreaterThan(0);
    expect(tags[hidden + 1].name).toBe('TextArea');
  });
  test('escapes names, honours tool and image field', () => {
    const odd = { ...g, labels: [{ ...g.labels[0], name: 'A & "B" <c>' }] };
    const tags = parseXml(labelConfig(odd, { tool: 'both', imageField: 'ct' }));
    expect(tags.find((t) => t.name === 'Image')?.attrs.value).toBe('$ct');
    expect(tags.filter((t) => t.name === 'Label').map((t) => t.attrs.value)).toEqual(['A & "B" <c>', 'A & "B" <c>']);
    expect(tags.some((t) => t.name === 'PolygonLabels')).toBe(true);
    expect(tags.some((t) => t.name === 'BrushLabels')).toBe(true);
  });
  test('tool both: each label bar is named by its tool', () => {
    const tags = parseXml(labelConfig(g, { tool: 'both' }));
    const before = (name: string) => tags[tags.findIndex((t) => t.name === name) - 1];
    expect(before('BrushLabels')).toMatchObject({ name: 'Header', attrs: { value: expect.stringMatching(/^Brush/) } });
    expect(before('PolygonLabels')).toMatchObject({ name: 'Header', attrs: { value: expect.stringMatching(/^Polygon/) } });
    expect(parseXml(labelConfig(g, { tool: 'brush' })).filter((t) => t.name === 'Header' && /^(Brush|Polygon)/.test(t.attrs.value))).toEqual([]);
  });
  test('the checklist sits in one View the extension can hide; help is styled as help, not a heading', () => {
    const xml = labelConfig(g);
    const tags = parseXml(xml);
    const view = tags.findIndex((t) => t.name === 'View' && t.attrs.className === 'segqc-checklist');
    expect(view).toBeGreaterThan(0);
    const inside = xml.slice(xml.indexOf('className="segqc-checklist"'), xml.indexOf('</View>'));
    expect(inside.match(/<Choices /g)).toHaveLength(3);
    const help = tags.find((t) => t.name === 'Header' && t.attrs.value.startsWith('Large vessels at the hilum'));
    expect(help?.attrs.style).toContain('font-weight:normal');
    const prompt = tags.find((t) => t.name === 'Header' && t.attrs.value === 'Portal and hepatic veins excluded from liver');
    expect(prompt?.attrs.style).toBeUndefined();
  });
});
