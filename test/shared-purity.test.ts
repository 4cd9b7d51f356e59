import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';

const root = join(__dirname, '..');
const shared = join(root, 'shared');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));

describe('shared/ is the pure core', () => {
  it('imports nothing from node:, action/ or extension/', () => {
    for (const f of files(shared)) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/from ['"]node:|require\(|from ['"](\.\.\/)+(action|extension)\//);
    }
  });

  it('bundles for the browser with every module, without Node built-ins', async () => {
    const entry = files(shared).map((f) => `export * as m${Math.random().toString(36).slice(2)} from ${JSON.stringify(f)};`).join('\n');
    const r = await build({ stdin: { contents: entry, resolveDir: shared, loader: 'ts' }, bundle: true, write: false, platform: 'browser', format: 'esm', logLevel: 'silent' });
    expect(r.errors).toEqual([]);
    expect(r.outputFiles[0].text.length).toBeGreaterThan(1000);
  });
});

/** One import of a source file: relative ones resolved to a repository path ('shared/model.ts'), others as written. */
interface Import {
  from: string;
  spec: string;
  /** Repository-relative path of a relative import ('.js' read as '.ts'); null for a package or built-in. */
  target: string | null;
}

const repoPath = (abs: string) => relative(root, abs).split(sep).join('/');

/** Every import, export-from, dynamic import and require of the .ts files under `dirs`, type-only ones included. */
function importsOf(dirs: string[]): Import[] {
  return dirs.flatMap((d) =>
    files(join(root, d)).flatMap((f) =>
      ts.preProcessFile(readFileSync(f, 'utf8'), true, true).importedFiles.map(({ fileName: spec }) => ({
        from: repoPath(f),
        spec,
        target: spec.startsWith('.') ? repoPath(resolve(dirname(f), spec.replace(/\.js$/, '.ts'))) : null,
      })),
    ),
  );
}

const builtins = new Set(builtinModules);
const isBuiltin = (spec: string) => spec.startsWith('node:') || builtins.has(spec.split('/')[0]);
/** The code folder a repository path lies in ('shared', 'node', 'cli', 'action', 'extension'), or null (data, package.json). */
const layer = (path: string) => (path.endsWith('.json') ? null : (/^(shared|node|cli|action|extension)\//.exec(path)?.[1] ?? null));

/** The imports of `dirs` that break the layering: into a forbidden folder, a built-in where none is allowed, or a package. */
function violations(dirs: string[], allowed: string[], opts: { builtins: boolean; packages: boolean }): string[] {
  return importsOf(dirs)
    .filter(({ spec, target }) => {
      if (target !== null) {
        const l = layer(target);
        return l !== null && !allowed.includes(l);
      }
      return isBuiltin(spec) ? !opts.builtins : !opts.packages;
    })
    .map(({ from, spec }) => `${from} imports ${spec}`);
}

describe('the layers import only downwards', () => {
  it('finds imports of every kind, type-only and multi-line ones included', () => {
    const found = new Set(importsOf(['shared/report']).map((i) => `${i.from} -> ${i.target ?? i.spec}`));
    expect(found).toContain('shared/report/types.ts -> shared/rules/types.ts');
    expect(found).toContain('shared/report/diff.ts -> shared/metrics/compare.ts');
    const guideline = new Set(importsOf(['shared/guideline']).map((i) => `${i.from} -> ${i.target ?? i.spec}`));
    expect(guideline).toContain('shared/guideline/load.ts -> shared/guideline/document.ts');
    expect(guideline).toContain('shared/guideline/document.ts -> yaml');
  });

  it('a forbidden import is caught', () => {
    expect(violations(['cli'], ['cli', 'shared'], { builtins: true, packages: true }).some((v) => /^cli\/\S+ imports (\.\.\/)+node\//.test(v))).toBe(true);
    expect(violations(['node'], ['node', 'shared'], { builtins: false, packages: false }).length).toBeGreaterThan(0);
  });

  it('shared/ imports nothing from node:, node/, cli/, action/ or extension/', () => {
    expect(violations(['shared'], ['shared'], { builtins: false, packages: true })).toEqual([]);
  });

  it('node/ imports only shared/ and node: built-ins', () => {
    expect(violations(['node'], ['node', 'shared'], { builtins: true, packages: false })).toEqual([]);
  });

  it('cli/ and action/ import node/ and shared/, never each other', () => {
    expect(violations(['cli'], ['cli', 'node', 'shared'], { builtins: true, packages: true })).toEqual([]);
    expect(violations(['action/src'], ['action', 'node', 'shared'], { builtins: true, packages: true })).toEqual([]);
  });

  it('extension/ never imports node/, cli/, action/ or node: built-ins', () => {
    expect(violations(['extension/src'], ['extension', 'shared'], { builtins: false, packages: true })).toEqual([]);
  });
});

/** The cycles of a graph (Tarjan's strongly connected components of more than one node, or a node importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('shared/ import graph', () => {
  const imports = importsOf(['shared']);
  const graph = new Map<string, string[]>();
  for (const i of imports) {
    if (!graph.has(i.from)) graph.set(i.from, []);
    if (i.target?.startsWith('shared/')) graph.get(i.from)!.push(i.target);
  }

  it('the cycle search finds a cycle', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('has no import cycle, type-only imports included', () => {
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
    expect(cycles(graph)).toEqual([]);
  });

  it('shared/guideline imports nothing from shared/rules (rules read the guideline, not the other way)', () => {
    const up = imports.filter((i) => i.from.startsWith('shared/guideline/') && i.target?.startsWith('shared/rules/'));
    expect(up.map((i) => `${i.from} imports ${i.spec}`)).toEqual([]);
  });
});

describe('shared/metrics keeps no module-level state', () => {
  /** Top-level `let`/`var` declarations and `const`s bound to a new typed array or array: buffers calls would share. */
  const moduleState = (text: string): string[] =>
    ts
      .createSourceFile('m.ts', text, ts.ScriptTarget.ES2022)
      .statements.filter(ts.isVariableStatement)
      .flatMap((st) =>
        st.declarationList.declarations
          .filter((d) => !(st.declarationList.flags & ts.NodeFlags.Const) || (d.initializer !== undefined && (ts.isNewExpression(d.initializer) || ts.isArrayLiteralExpression(d.initializer))))
          .map((d) => (ts.isIdentifier(d.name) ? d.name.text : 'a destructured binding')),
      );

  it('the check finds a module-level buffer', () => {
    expect(moduleState('let scratch = new Int32Array(0);\nconst cur = new Int32Array(4), n = 3;\nconst k = [1, 2];\nfunction f() { let x = 1; return x; }')).toEqual(['scratch', 'cur', 'k']);
  });

  it('every workspace is owned by a call (distance transforms, surface sweeps), none by the module', () => {
    for (const f of files(join(shared, 'metrics'))) expect(moduleState(readFileSync(f, 'utf8')), f).toEqual([]);
  });
});
