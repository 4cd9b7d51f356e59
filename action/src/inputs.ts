/** The action's inputs (action.yml), read the way the runner passes them: `INPUT_<NAME>`, upper case, hyphens kept. */
import { getInput } from '@actions/core';
import { SegqcError } from '../../shared/errors.js';
import { parseShard, type Shard } from '../../shared/dataset/shard.js';
import { defaultJobs, parseJobs } from '../../node/worker-pool.js';
import {
  DEFAULT_FAIL_ON,
  DEFAULT_GUIDELINE_CHANGE_GATE,
  decideGate,
  decideGuidelineChangeGate,
  parseFailOn,
  parseGuidelineChangeGate,
  type FailOn,
  type GateDecision,
  type GuidelineChangeDecision,
  type GuidelineChangeGate,
} from '../../shared/rules/gate.js';

export type Mode = 'check' | 'comment' | 'merge';

/** Parsed inputs, defaults applied (the runner applies action.yml's defaults; a direct run gets the same here). */
export interface Inputs {
  config: string;
  token: string;
  comment: boolean;
  failOn: FailOn;
  guidelineChange: GuidelineChangeGate;
  base: string | null;
  head: string | null;
  full: boolean;
  mode: Mode;
  shard: Shard | null;
  reports: string;
  /** The artifact name under which the workflow uploads the review page; '' for none. */
  reviewArtifact: string;
  /** Worker threads that check items (default: the number of cores; 1: none). */
  jobs: number;
}

const bool = (name: string, fallback: boolean): boolean => {
  const v = getInput(name).trim().toLowerCase();
  if (v === '') return fallback;
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new SegqcError('usage', `input ${name} is true or false, got "${getInput(name)}"`);
};

const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
  const v = getInput(name).trim() || fallback;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new SegqcError('usage', `input ${name} is one of ${allowed.join(', ')}, got "${v}"`);
};

export function readInputs(): Inputs {
  const shard = getInput('shard').trim();
  return {
    config: getInput('config').trim() || 'segqc.yaml',
    token: getInput('github-token').trim(),
    comment: bool('comment', true),
    failOn: parseFailOn(getInput('fail-on').trim() || DEFAULT_FAIL_ON, 'input fail-on'),
    guidelineChange: parseGuidelineChangeGate(getInput('guideline-change').trim() || DEFAULT_GUIDELINE_CHANGE_GATE, 'input guideline-change'),
    base: getInput('base').trim() || null,
    head: getInput('head').trim() || null,
    full: bool('full', false),
    mode: oneOf('mode', ['check', 'comment', 'merge'] as const, 'check'),
    shard: shard ? parseShard(shard) : null,
    reports: getInput('reports').trim() || 'segqc-report',
    reviewArtifact: getInput('review-artifact').trim(),
    jobs: getInput('jobs').trim() ? parseJobs(getInput('jobs'), 'input jobs') : defaultJobs(),
  };
}

/**
 * The gate of a run: the input `fail-on` may only tighten the base commit's `gate.fail-on`. The workflow file comes
 * from the pull request's head and the config from its base, so a pull request cannot loosen its own gate.
 */
export const actionGate = (inputs: Pick<Inputs, 'failOn'>, configGate: FailOn): GateDecision => decideGate(configGate, inputs.failOn);

/** The guideline-change gate of a run: the input `guideline-change` may only tighten the base commit's (`warn` → `fail`). */
export const actionGuidelineChangeGate = (inputs: Pick<Inputs, 'guidelineChange'>, configGate: GuidelineChangeGate | undefined): GuidelineChangeDecision =>
  decideGuidelineChangeGate(configGate, inputs.guidelineChange);
