/** Reading a pull request report back (`mode: comment`, `mode: merge`): size limit first, then the schema. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import reportSchema from '../../guidelines/report.schema.json';
import prSchema from '../schemas/pull-request-report.schema.json';
import { SegqcError } from '../../shared/errors.js';
import type { PullRequestReport } from '../../shared/dataset/pull-request.js';

/** A report larger than this is refused before it is parsed (an artifact from a fork is untrusted input). */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

let validator: ValidateFunction | undefined;
const validate = (): ValidateFunction => {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true, $data: false });
    ajv.addVocabulary(['x-expected']);
    ajv.addSchema(reportSchema);
    validator = ajv.compile(prSchema);
  }
  return validator;
};

/** Validates parsed JSON as a pull request report; the first problem is named with its place. */
export function parsePullRequestReport(data: unknown, file: string): PullRequestReport {
  const v = validate();
  if (!v(data)) {
    const e = v.errors?.[0];
    const where = e?.instancePath ? `at ${e.instancePath}` : 'at the top level';
    throw new SegqcError('report.invalid', `is not a segqc pull request report (${where}: ${e?.message ?? 'invalid'})`, { file });
  }
  return data as PullRequestReport;
}

/** Reads one report file: refuses what is too large, not JSON, or not of the schema. */
export function readPullRequestReport(path: string, label = path): PullRequestReport {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new SegqcError('report.invalid', 'does not exist: download the report artifact first (actions/download-artifact)', { file: label });
  }
  if (size > MAX_REPORT_BYTES) throw new SegqcError('report.invalid', `is ${size} bytes, over the ${MAX_REPORT_BYTES}-byte limit`, { file: label });
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SegqcError('report.invalid', `is not valid JSON: ${(e as Error).message}`, { file: label });
  }
  return parsePullRequestReport(data, label);
}

/** The report files at `path`: the file itself, or every `*.json` under the directory (artifacts unpack into folders). */
export function reportFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new SegqcError('usage', 'does not exist: download the report artifacts first (actions/download-artifact)', { file: path });
  }
  if (st.isFile()) return [path];
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 3) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.json')) out.push(p);
    }
  };
  walk(path, 0);
  if (out.length === 0) throw new SegqcError('usage', 'holds no .json report', { file: path });
  return out;
}
