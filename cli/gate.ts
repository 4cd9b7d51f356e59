/** The gate of a CLI run: `--fail-on` tightens the config's gate; loosening it takes `--override-config`. */
import { SegqcError } from '../shared/errors.js';
import { decideGate, parseFailOn, type FailOn } from '../shared/rules/gate.js';

/** The gate's flags, for `parseArgs`. */
export const GATE_FLAGS = { valued: ['fail-on'], booleans: ['override-config'] };

/** The gate's lines of a command's help. */
export const gateHelp = `  --fail-on error|warning|never   tighten the config's gate.fail-on (a looser one needs --override-config)
  --override-config        let --fail-on loosen the config's gate: --fail-on never --override-config
`;

/** The gate from the flags and the config's `gate.fail_on`; a refused looser `--fail-on` is explained on `err`. */
export function gateFromFlags(flags: Record<string, string | true>, config: FailOn, configPath: string, err: (s: string) => void): FailOn {
  const override = flags['override-config'] === true;
  if (override && flags['fail-on'] === undefined) throw new SegqcError('usage', '--override-config goes with --fail-on, which names the gate to apply instead of the config\'s');
  const requested = flags['fail-on'] !== undefined ? parseFailOn(String(flags['fail-on']), '--fail-on') : null;
  const { failOn, refused } = decideGate(config, requested, override);
  if (refused) err(`segqc: --fail-on ${refused} is looser than ${configPath}'s gate (fail on ${config}), which applies; add --override-config to loosen it\n`);
  return failOn;
}
