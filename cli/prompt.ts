/** Asking checklist questions on a terminal: one yes/no question per item, read a line at a time. */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { SegqcError } from '../shared/errors.js';
import type { ChecklistItem } from '../shared/guideline/types.js';
import { isRequiredItem } from '../shared/guideline/types.js';
import type { ChecklistAnswers } from '../shared/rules/types.js';
import { neutralize } from '../shared/report/escape.js';

const YES = new Set(['y', 'yes']);
const NO = new Set(['n', 'no']);

/** Times an unclear answer is asked again before giving up (input that never says y or n must not loop forever). */
const MAX_RETRIES = 5;

/** Asks each item in turn ("[1/2] prompt … [y/n]") on `write`, reading answers from `input`; the input ending first is a usage error. */
export async function askChecklist(items: ChecklistItem[], input: Readable, write: (s: string) => void): Promise<ChecklistAnswers> {
  const answers: ChecklistAnswers = {};
  if (items.length === 0) return answers;
  const rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (const [k, item] of items.entries()) {
      write(`  [${k + 1}/${items.length}] ${neutralize(item.prompt)}${isRequiredItem(item) ? '' : ' (optional)'}\n`);
      if (item.help) write(`        ${neutralize(item.help)}\n`);
      for (let attempt = 0; ; attempt++) {
        write('        Confirm? [y/n] ');
        const next = await lines.next();
        if (next.done) {
          write('\n');
          throw new SegqcError('usage', `the input ended before "${item.prompt}" (${item.id}) was answered; nothing was written`);
        }
        const a = next.value.trim().toLowerCase();
        if (YES.has(a) || NO.has(a)) {
          answers[item.id] = YES.has(a);
          break;
        }
        if (attempt >= MAX_RETRIES) throw new SegqcError('usage', `no yes or no to "${item.prompt}" (${item.id}); nothing was written`);
        write('        Answer y (yes) or n (no).\n');
      }
    }
  } finally {
    rl.close();
  }
  return answers;
}
