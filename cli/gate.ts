/** The gate of a CLI run: `--fail-on` tightens the config's gate; loosening it takes `--override-config`. */
import { SegqcError } from '../shared/errors.js';
import { decideGate, decideGuidelineChangeGate, parseFailOn, parseGuidelineChangeGate, type FailOn, type GuidelineChangeGate } from '../shared/rules/gate.js';

/** The gate's flags, for `parseArgs`. */
export const GATE_FLAGS = { valued: ['fail-on'], booleans: ['override-config'] };

/** The gate's lines of a command's help. */
export const gateHelp = `  --fail-on error|warning|never   tighten the config's gate.fail-on (a looser one needs --override-config)
  --override-config        let --fail-on loosen the config's gate: --fail-on never --override-config
`;

/** The gate from the flags and the config's `gate.fail_on`; a refused looser `--fail-on` is explained on `err`. */
export function gateFromFlags(flags: Record<string, string | true>, config: FailOn, configPath: string, err: (s: string) => void): FailOn {
  const override = flags['override-config'] === true;
  if (override && flags['fail-on'] === undefined && flags['guideline-change'] === undefined) {
    throw new SegqcError('usage', '--override-config goes with --fail-on (or, on segqc diff, --guideline-change), which names the gate to apply instead of the config\'s');
  }
  const requested = flags['fail-on'] !== undefined ? parseFailOn(String(flags['fail-on']), '--fail-on') : null;
  const { failOn, refused } = decideGate(config, requested, override);
  if (refused) err(`segqc: --fail-on ${refused} is looser than ${configPath}'s gate (fail on ${config}), which applies; add --override-config to loosen it\n`);
  return failOn;
}

/** `segqc diff`'s guideline-change flag and its help line. */
export const GUIDELINE_CHANGE_FLAG = 'guideline-change';
export const guidelineChangeHelp = `  --guideline-change warn|fail   tighten the config's gate.guideline-change: fail when an item would fail a guideline
                           the PR changes (a looser one needs --override-config)
`;

/** The guideline-change gate from `--guideline-change` and the config's; a refused `warn` is explained on `err`. */
export function guidelineChangeFromFlags(
  flags: Record<string, string | true>,
  config: GuidelineChangeGate | undefined,
  configPath: string,
  err: (s: string) => void,
): GuidelineChangeGate {
  const requested = flags[GUIDELINE_CHANGE_FLAG] !== undefined ? parseGuidelineChangeGate(String(flags[GUIDELINE_CHANGE_FLAG]), '--guideline-change') : null;
  const { gate, refused } = decideGuidelineChangeGate(config, requested, flags['override-config'] === true);
  if (refused) err(`segqc: --guideline-change ${refused} is looser than ${configPath}'s gate.guideline-change (${gate}), which applies; add --override-config to loosen it\n`);
  return gate;
}
