/** The packed package installs into a dataset repository outside this checkout, offline, and works as the README says. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { pullRequestEvent, runAction } from './action-runner.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';

const root = join(__dirname, '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const tgz = `segqc-${version}.tgz`;
const example = join(root, 'examples/liver-ct');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Use segqc in your dataset repository'), readme.indexOf('## Guidelines and datasets'));

// Build outputs of this checkout stay out of the copy that is packed: `npm pack` must build them itself.
const notCopied = new Set(['node_modules', '.git', 'dist', 'extension/dist', '.tmp', 'test-artifacts']);

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: Array<{ path: string }>;
}

let tmp: string;
let env: NodeJS.ProcessEnv;
let packed: PackResult;
let dryRun: PackResult;
let install: { code: number | null; stdout: string; stderr: string };
let ds: string;

/** Runs a command line as a user types it, with npm held offline and an empty cache of its own. */
function sh(command: string, cwd: string) {
  const r = spawnSync('sh', ['-c', command], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();

/** The ```sh block of the README section that holds `line`, one command per line, comments dropped. */
function readmeCommands(line: string): string[] {
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.includes(line));
  expect(block, `README "Use segqc in your dataset repository" has no sh block with: ${line}`).toBeDefined();
  return block!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

function copyExample(files: string[]) {
  for (const f of files) {
    mkdirSync(join(ds, f, '..'), { recursive: true });
    cpSync(join(example, f), join(ds, f));
  }
}

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'segqc-package-')));
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD'));
  Object.assign(env, {
    npm_config_offline: 'true',
    npm_config_cache: join(tmp, 'npm-cache'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_CEILING_DIRECTORIES: tmp,
  });

  const checkout = join(tmp, 'checkout');
  cpSync(root, checkout, { recursive: true, filter: (src) => !notCopied.has(relative(root, src)) });
  symlinkSync(realpathSync(join(root, 'node_modules')), join(checkout, 'node_modules'));
  const out = join(tmp, 'packed');
  mkdirSync(out);
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: checkout, env, encoding: 'utf8', timeout: 120_000 });
  expect(pack.status, pack.stderr).toBe(0);
  packed = (JSON.parse(pack.stdout) as PackResult[])[0];
  expect(readFileSync(join(checkout, 'package.json'), 'utf8')).toBe(readFileSync(join(root, 'package.json'), 'utf8'));
  expect(existsSync(join(checkout, '.tmp/package.json.prepack'))).toBe(false);

  const listing = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  expect(listing.status, listing.stderr).toBe(0);
  dryRun = (JSON.parse(listing.stdout) as PackResult[])[0];

  ds = join(tmp, 'ct-data');
  mkdirSync(ds);
  git(ds, 'init', '-q', '-b', 'main');
  cpSync(join(out, tgz), join(ds, tgz));
  writeFileSync(join(ds, 'package.json'), JSON.stringify({ name: 'ct-data', private: true }, null, 2) + '\n');
  writeFileSync(join(ds, '.gitignore'), 'node_modules/\n');
  copyExample(['segqc.yaml', 'guideline.yaml', 'images/ct_001.nii.gz', 'labels/rater1/ct_001.nii.gz', 'labels/rater1/ct_001.segqc.json', 'labels/rater2/ct_001.nii.gz', 'labels/rater2/ct_001.segqc.json']);
  install = sh(readmeCommands('npm install -D')[0], ds);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds only the runtime: bundles, schemas, example guidelines; no tests, TypeScript sources or source maps', () => {
    const paths = packed.files.map((f) => f.path).sort();
    for (const p of paths) {
      expect(p).toMatch(
        /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|bin\/segqc\.js|dist\/segqc\.js|dist\/chunks\/[\w-]+\.js|extension\/dist\/[\w/.-]+\.(js|mjs|html|json)|guidelines\/[a-z-]+\.schema\.json|guidelines\/examples\/[a-z-]+\.yaml)$/,
      );
    }
    for (const p of ['bin/segqc.js', 'dist/segqc.js', 'guidelines/guideline.schema.json', 'guidelines/segqc-config.schema.json', 'guidelines/examples/liver-ct.yaml', 'extension/dist/segqc-labelstudio.js', 'extension/dist/browser/manifest.json']) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => p.startsWith('test/') || p.endsWith('.ts') || p.endsWith('.map'))).toEqual([]);
    // The CLI is split into chunks that each command loads when it runs: all of them are packed.
    const chunks = readdirSync(join(tmp, 'checkout/dist/chunks')).filter((f) => f.endsWith('.js')).map((f) => `dist/chunks/${f}`);
    expect(chunks.length).toBeGreaterThan(1);
    expect(paths.filter((p) => p.startsWith('dist/chunks/'))).toEqual(chunks.sort());
    // What `npm pack --dry-run` lists in this checkout is what the copy packed.
    expect(dryRun.files.map((f) => f.path).sort()).toEqual(paths);
  });

  it('is small: under 1.5 MB packed, 7 MB unpacked', () => {
    expect(packed.filename).toBe(tgz);
    expect(statSync(join(tmp, 'packed', tgz)).size).toBe(packed.size);
    expect(packed.size).toBeLessThan(1_500_000);
    expect(packed.unpackedSize).toBeLessThan(7_000_000);
  });

  it('installs offline with an empty cache: nothing else pulled, no warning, no script', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/warn|ERR/i);
    expect(readdirSync(join(ds, 'node_modules')).sort()).toEqual(['.bin', '.package-lock.json', 'segqc']);
    const manifest = JSON.parse(readFileSync(join(ds, 'node_modules/segqc/package.json'), 'utf8'));
    expect(manifest.scripts).toBeUndefined();
    expect(manifest.dependencies).toBeUndefined();
    expect(JSON.parse(readFileSync(join(ds, 'package.json'), 'utf8')).devDependencies).toEqual({ segqc: `file:${tgz}` });
  });
});

describe('in a dataset repository, the README commands', () => {
  it('are the ones run here, for this version', () => {
    expect(readmeCommands('npm install -D')).toEqual([
      `npm install -D ./${tgz}`,
      'npx segqc --version',
      'npx segqc guideline validate node_modules/segqc/guidelines/examples/liver-ct.yaml',
    ]);
    expect(readmeCommands('github:')).toEqual([`npm install -D github:OWNER/segqc#v${version}`]);
    expect(section).toContain(`\`uses: OWNER/segqc/action@v${version}\``);
    for (const f of readdirSync(join(root, 'action/workflows'))) {
      const wf = readFileSync(join(root, 'action/workflows', f), 'utf8');
      const refs = [...wf.matchAll(/uses: (\S*segqc\S*)/g)].map((m) => m[1]);
      expect(refs.length, f).toBeGreaterThan(0);
      for (const r of refs) expect(r, f).toBe(`OWNER/segqc/action@v${version}`);
    }
  });

  it('print the version and validate the shipped example guideline', () => {
    const v = sh('npx segqc --version', ds);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toBe(`${version}\n`);
    const g = sh('npx segqc guideline validate node_modules/segqc/guidelines/examples/liver-ct.yaml', ds);
    expect(g.code, g.stderr + g.stdout).toBe(0);
  });

  it('check passes a clean commit, fails a planted violation, and diff names the changed item', () => {
    git(ds, 'add', '-A');
    git(ds, 'commit', '-q', '-m', 'ct_001, two raters');
    const pass = sh('npx segqc check', ds);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toContain('PASS');

    // ct_002's tumour leaves the liver: the example's deliberate containment violation.
    git(ds, 'checkout', '-q', '-b', 'add-ct-002');
    copyExample(['images/ct_002.nii.gz', 'labels/rater1/ct_002.nii.gz', 'labels/rater1/ct_002.segqc.json']);
    git(ds, 'add', '-A');
    git(ds, 'commit', '-q', '-m', 'ct_002');
    const fail = sh('npx segqc check', ds);
    expect(fail.code, fail.stderr).toBe(1);
    expect(fail.stdout).toMatch(/ct_002\n\s+error\s+containment\.outside/);

    const diff = sh('npx segqc diff --base main', ds);
    expect(diff.code, diff.stderr).toBe(1);
    expect(diff.stdout).toMatch(/\| ct\\_002 \(added\) \| Liver \|/);
    expect(diff.stdout).not.toContain('ct\\_001');
  });

  it('a clone with the committed tarball installs with npm ci --offline', () => {
    const clone = join(tmp, 'clone');
    git(tmp, 'clone', '-q', ds, clone);
    const ci = sh('npm ci --offline', clone);
    expect(ci.code, ci.stderr).toBe(0);
    expect(sh('npx segqc --version', clone).stdout).toBe(`${version}\n`);
  });
});

/** A 32x32x16 lesion label map at 1x1x2 mm: a ball of 2,074 mm³, and with `island` a 3x3x2-voxel island (36 mm³). */
function lesionMask(island: boolean): Uint8Array {
  const data = new Uint8Array(32 * 32 * 16);
  for (let k = 0; k < 16; k++) for (let j = 0; j < 32; j++) for (let i = 0; i < 32; i++) if ((i - 16) ** 2 + (j - 16) ** 2 + ((k - 8) * 2) ** 2 <= 64) data[i + 32 * (j + 32 * k)] = 1;
  if (island) for (let k = 2; k < 4; k++) for (let j = 2; j < 5; j++) for (let i = 2; i < 5; i++) data[i + 32 * (j + 32 * k)] = 1;
  const geometry = { shape: [32, 32, 16] as [number, number, number], spacing: [1, 1, 2] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [[number, number, number], [number, number, number], [number, number, number]], spacingKnown: true };
  return encodeNifti({ geometry, data }, { gzip: true });
}

describe('README "From an empty repository to a pull-request comment", followed to the letter', () => {
  const walk = section.slice(section.indexOf('### From an empty repository'));
  /** The fenced blocks of the walkthrough with this info string ('' for plain output), list indentation removed. */
  const fenced = (lang: string) => [...walk.matchAll(/^( *)```(\w*)\n([\s\S]*?)^ *```$/gm)].filter((m) => m[2] === lang).map((m) => m[3].split('\n').map((l) => l.slice(m[1].length)).join('\n'));
  const commands = (block: string) => block.split('\n').map((l) => l.replace(/(^|\s+)#.*$/, '').trim()).filter(Boolean);

  it('gives a passing check, a failing check, and the pull-request comment the README shows', () => {
    const [layout, passOut, failOut] = fenced('');
    const [guideline, config] = fenced('yaml');
    const [step3, step4, step5] = fenced('sh').map(commands);
    const repo = join(tmp, 'lesion-data');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
    cpSync(join(tmp, 'packed', tgz), join(repo, tgz));
    const install = sh(readmeCommands('npm install -D')[0], repo);
    expect(install.code, install.stderr).toBe(0);
    const masks = layout.split('\n').filter(Boolean);
    expect(masks).toEqual(['labels/alice/case_01.nii.gz', 'labels/alice/case_02.nii.gz', 'labels/bob/case_01.nii.gz']);
    for (const m of masks) {
      mkdirSync(join(repo, m, '..'), { recursive: true });
      writeFileSync(join(repo, m), lesionMask(false));
    }
    expect(guideline).toMatch(/^# yaml-language-server: \$schema=node_modules\/segqc\/guidelines\/guideline\.schema\.json\n/);
    writeFileSync(join(repo, 'guideline.yaml'), guideline);
    writeFileSync(join(repo, 'segqc.yaml'), config);

    expect(step3).toEqual(['npx segqc guideline validate guideline.yaml', 'npx segqc check', 'git add -A && git commit -m "Lesion masks, guideline and segqc"']);
    const results3 = step3.map((c) => sh(c, repo));
    for (const r of results3) expect(r.code, r.stderr).toBe(0);
    expect(results3[1].stdout).toBe(passOut);

    expect(step4).toEqual(['git switch -c rework-case-02', 'npx segqc check']);
    expect(sh(step4[0], repo).code).toBe(0);
    writeFileSync(join(repo, 'labels/alice/case_02.nii.gz'), lesionMask(true));
    const fail = sh(step4[1], repo);
    expect(fail.code, fail.stderr).toBe(1);
    expect(fail.stdout).toBe(failOut);

    expect(step5).toEqual(['npx segqc diff --base main > comment.md', 'npx segqc diff --base main --quiet']);
    const diff = sh(step5[0], repo);
    expect(diff.code, diff.stderr).toBe(1);
    const headline = /The comment opens with `([^`]+)`/.exec(walk)?.[1];
    expect(readFileSync(join(repo, 'comment.md'), 'utf8').split('\n').slice(0, 2)).toEqual(['<!-- segqc:report -->', headline]);
    expect(sh(step5[1], repo).code).toBe(1);
  });
});

describe('the Action as `uses: OWNER/segqc/action@<tag>` fetches it', () => {
  it('runs from the committed action/ tree alone, with no node_modules, on the dataset repository', async () => {
    const actionDir = join(tmp, 'actions/segqc');
    mkdirSync(actionDir, { recursive: true });
    const archive = spawnSync('git', ['archive', '--format=tar', 'HEAD', 'action'], { cwd: root, maxBuffer: 64 << 20 });
    expect(archive.status, archive.stderr?.toString()).toBe(0);
    execFileSync('tar', ['-x', '-C', actionDir], { input: archive.stdout });
    const action = parse(readFileSync(join(actionDir, 'action/action.yml'), 'utf8')) as { runs: { main: string } };
    const run = await runAction({
      workspace: ds,
      event: pullRequestEvent(3, git(ds, 'rev-parse', 'main'), git(ds, 'rev-parse', 'add-ct-002')),
      apiUrl: 'http://127.0.0.1:9',
      inputs: { comment: 'false' },
      action: join(actionDir, 'action', action.runs.main),
      scratch: tmp,
    });
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.outputs.verdict).toBe('fail');
    expect(run.outputs.errors).toBe('1');
    expect(run.summary).toContain('ct\\_002');
  });
});
