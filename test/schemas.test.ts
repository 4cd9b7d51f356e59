/** The JSON Schemas of guidelines/: valid 2020-12 schemas (segqc compiles them without checking that at each start). */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { compileSchema } from '../shared/guideline/document.js';

const dir = join(__dirname, '..', 'guidelines');
const schemas = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));
const read = (file: string): object => JSON.parse(readFileSync(join(dir, file), 'utf8'));

describe('guidelines/*.schema.json', () => {
  it('are the six schemas', () => {
    expect(schemas.sort()).toEqual(['attestation.schema.json', 'guideline.schema.json', 'history.schema.json', 'report.schema.json', 'review.schema.json', 'segqc-config.schema.json']);
  });

  it.each(schemas)('%s is valid against the 2020-12 meta-schema', (file) => {
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(read(file)), JSON.stringify(ajv.errors)).toBe(true);
  });

  it.each(['attestation', 'guideline', 'review', 'segqc-config'])('%s.schema.json, which segqc reads documents with, compiles strictly', (name) => {
    expect(typeof compileSchema(read(`${name}.schema.json`))).toBe('function');
  });

  it('the meta-schema check and strict compiling catch a broken schema', () => {
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema({ type: 'strin' })).toBe(false);
    expect(() => compileSchema({ type: 'object', propertiez: {} })).toThrow(/unknown keyword/);
  });

  it('an unoptimized validator still rejects and locates a bad value', () => {
    const validate = compileSchema({ type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'], additionalProperties: false });
    expect(validate({ n: 2 })).toBe(true);
    expect(validate({ n: 0, m: 1 })).toBe(false);
    expect(validate.errors?.map((e) => [e.instancePath, e.keyword])).toEqual([['', 'additionalProperties'], ['/n', 'minimum']]);
  });
});
