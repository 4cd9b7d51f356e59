/** A GitHub REST (and GraphQL `viewer`) fake on 127.0.0.1 for the action's end-to-end tests: comments, pages, faults. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: 'User' | 'Bot' };
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
}

/** An injected failure: the next `times` requests that match get `status` (and headers). */
export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  times: number;
  headers?: Record<string, string>;
  message?: string;
}

export class FakeGitHub {
  readonly comments = new Map<number, FakeComment[]>();
  readonly pulls = new Map<number, { headSha: string; baseSha: string }>();
  /** Artifacts by workflow run id. */
  readonly artifacts = new Map<number, Array<{ id: number; name: string; expired: boolean }>>();
  readonly requests: RecordedRequest[] = [];
  readonly faults: Fault[] = [];
  /** The identity of the token, as GraphQL `viewer` and REST comment authors name it. */
  viewer = 'github-actions[bot]';
  private nextId = 5000;
  private server: Server | null = null;
  url = '';

  constructor(readonly repository = 'acme/ct-data') {}

  /** Adds a comment as if someone had posted it; returns its id. */
  addComment(issue: number, body: string, login: string, type: 'User' | 'Bot' = login.endsWith('[bot]') ? 'Bot' : 'User'): number {
    const id = this.nextId++;
    this.list(issue).push({ id, body, user: { login, type } });
    return id;
  }

  list(issue: number): FakeComment[] {
    let l = this.comments.get(issue);
    if (!l) this.comments.set(issue, (l = []));
    return l;
  }

  /** Requests that changed something (POST, PATCH, DELETE on comments). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.path !== '/graphql');
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = body === null ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(text);
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    let body: unknown = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = raw;
    }
    this.requests.push({ method, path: url.pathname, body, authorization: req.headers.authorization });
    const fault = this.faults.find((f) => f.times > 0 && f.method === method && f.path.test(url.pathname));
    if (fault) {
      fault.times--;
      return this.send(res, fault.status, { message: fault.message ?? `injected ${fault.status}` }, fault.headers);
    }
    const repo = `/repos/${this.repository}`;
    if (method === 'POST' && url.pathname === '/graphql') return this.send(res, 200, { data: { viewer: { login: this.viewer } } });
    if (method === 'GET' && url.pathname === '/user') return this.send(res, 403, { message: 'Resource not accessible by integration' });
    let m = new RegExp(`^${repo}/issues/(\\d+)/comments$`).exec(url.pathname);
    if (m) {
      const issue = Number(m[1]);
      if (method === 'GET') {
        const per = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
        const page = Number(url.searchParams.get('page') ?? 1);
        const all = this.list(issue);
        const slice = all.slice((page - 1) * per, page * per);
        const headers: Record<string, string> = {};
        if (page * per < all.length) headers.link = `<${this.url}${repo}/issues/${issue}/comments?per_page=${per}&page=${page + 1}>; rel="next"`;
        return this.send(res, 200, slice, headers);
      }
      if (method === 'POST') {
        const id = this.addComment(issue, String((body as { body: string }).body), this.viewer);
        return this.send(res, 201, this.list(issue).find((c) => c.id === id));
      }
    }
    m = new RegExp(`^${repo}/issues/comments/(\\d+)$`).exec(url.pathname);
    if (m) {
      const id = Number(m[1]);
      for (const [, l] of this.comments) {
        const i = l.findIndex((c) => c.id === id);
        if (i < 0) continue;
        if (method === 'PATCH') {
          l[i].body = String((body as { body: string }).body);
          return this.send(res, 200, l[i]);
        }
        if (method === 'DELETE') {
          l.splice(i, 1);
          res.writeHead(204).end();
          return;
        }
      }
      return this.send(res, 404, { message: 'Not Found' });
    }
    m = new RegExp(`^${repo}/pulls/(\\d+)$`).exec(url.pathname);
    if (m && method === 'GET') {
      const pr = this.pulls.get(Number(m[1]));
      if (!pr) return this.send(res, 404, { message: 'Not Found' });
      return this.send(res, 200, { number: Number(m[1]), state: 'open', head: { sha: pr.headSha }, base: { sha: pr.baseSha } });
    }
    m = new RegExp(`^${repo}/actions/runs/(\\d+)/artifacts$`).exec(url.pathname);
    if (m && method === 'GET') {
      const name = url.searchParams.get('name');
      const list = (this.artifacts.get(Number(m[1])) ?? []).filter((a) => name === null || a.name === name);
      return this.send(res, 200, { total_count: list.length, artifacts: list });
    }
    return this.send(res, 404, { message: `fake GitHub has no route for ${method} ${url.pathname}` });
  }
}
