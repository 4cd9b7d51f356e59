/** Glob patterns of `segqc.yaml` (`labels/**\/*.nii.gz`, `{a,b}`, `?`), matched against `/`-separated paths. */

/** Compiles a glob to an anchored regular expression; `**` crosses directories, `*` does not. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  let braces = 0;
  const g = glob.replace(/^\.\//, '');
  while (i < g.length) {
    const c = g[i];
    if (c === '*') {
      if (g[i + 1] === '*') {
        const slashAfter = g[i + 2] === '/';
        re += slashAfter ? '(?:[^/]*(?:/|$))*' : '.*';
        i += slashAfter ? 3 : 2;
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    i++;
  }
  return new RegExp(`^${re}$`);
}

/** The paths of `paths` that match `glob`, in order. */
export function matchGlob(paths: string[], glob: string): string[] {
  const re = globToRegExp(glob);
  return paths.filter((p) => re.test(p));
}

/** Whether `glob` can match a path inside a directory: when the directory cannot be listed, what it may hide. */
export function globReachesInto(glob: string): (dir: string) => boolean {
  const g = glob.replace(/^\.\//, '');
  // A `/` inside braces splits no segment cleanly: assume it can reach anywhere.
  if (/\{[^}]*\//.test(g)) return () => true;
  const segments = g.split('/').map((s) => (s.includes('**') ? null : globToRegExp(s)));
  return (dir) => {
    const ds = dir.split('/');
    for (let i = 0; i < ds.length; i++) {
      if (i >= segments.length) return false;
      const re = segments[i];
      if (re === null) return true;
      if (!re.test(ds[i])) return false;
    }
    return segments.length > ds.length;
  };
}
