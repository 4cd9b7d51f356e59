/**
 * Worker threads for dataset commands. The main thread hands out tasks one at a time to each worker (a worker holds
 * one task's data at once) and takes their messages back; a worker that throws or exits fails the run with a message
 * naming the task, never a hang. Workers run the bundle that started them (`script`), which hands them to
 * `serveWorker` when `workerRole()` says it is one.
 */
import { Worker, isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import { appendFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { SegqcError } from '../shared/errors.js';

/** What a segqc worker thread is started with: which work it does and that work's data (`later`: the pool's first message brings it). */
export interface WorkerRole {
  segqcWorker: string;
  data: unknown;
  later?: boolean;
}

/** The role of this thread when it is a segqc worker thread, else null. */
export function workerRole(): WorkerRole | null {
  if (isMainThread) return null;
  const d = workerData as Partial<WorkerRole> | null;
  return d && typeof d.segqcWorker === 'string' ? (d as WorkerRole) : null;
}

/** A test hook: with `SEGQC_TEST_WORKER_LOG=FILE` each segqc worker thread appends its role and thread id to FILE as it starts. */
export function testWorkerLog(role: WorkerRole): void {
  const file = process.env.SEGQC_TEST_WORKER_LOG;
  if (file) appendFileSync(file, `${role.segqcWorker} ${threadId}\n`);
}

/** The number of cores Node may use (the default of `--jobs`). */
export const defaultJobs = (): number => (typeof availableParallelism === 'function' ? availableParallelism() : cpus().length) || 1;

/** Parses a `--jobs` value: a positive integer. */
export function parseJobs(text: string, what = '--jobs'): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new SegqcError('usage', `${what} takes a positive integer (1: no worker threads), got "${text}"`);
  return n;
}

type ToWorker = { type: 'data'; data: unknown } | { type: 'task'; id: number; task: unknown } | { type: 'finish' };

/**
 * How a dataset worker thread starts: with 32 MiB semi-spaces (V8's default is 16) an item's masks die young instead of
 * being promoted, and the worker's small old generation is marked far less often (5-15 full GCs instead of 53-88 on the
 * check bench).
 */
const workerOptions = (role: WorkerRole) => ({ workerData: role, resourceLimits: { maxYoungGenerationSizeMb: 64 } });

/** Calls `serve` with this worker thread's data: its role's, or, for a worker started ahead of its work, the pool's first message. */
export function withRoleData(role: WorkerRole, serve: (data: unknown) => void): void {
  if (!role.later) return serve(role.data);
  if (!parentPort) throw new Error('a worker started ahead of its work runs in a worker thread');
  parentPort.once('message', (m: ToWorker) => {
    if (m.type !== 'data') throw new Error(`a worker started ahead of its work got "${m.type}" before its data`);
    serve(m.data);
  });
}

/**
 * Worker threads started before their work is planned (they load the bundle while this thread reads the config), for
 * `runPool`'s `started`; they do not keep the process alive until a pool takes them.
 */
export class StartedWorkers {
  private readonly waiting: Array<{ worker: Worker; error: unknown; exit: number | null }>;
  constructor(script: URL, segqcWorker: string, jobs: number) {
    this.waiting = Array.from({ length: Math.max(1, jobs) }, () => {
      const w = { worker: new Worker(script, workerOptions({ segqcWorker, data: undefined, later: true })), error: null as unknown, exit: null as number | null };
      w.worker.unref();
      w.worker.on('error', (e) => (w.error ??= e));
      w.worker.on('exit', (code) => (w.exit ??= code));
      return w;
    });
  }
  /** A worker for the pool, with what befell it meanwhile; none left: undefined. */
  take(): { worker: Worker; error: unknown; exit: number | null } | undefined {
    return this.waiting.shift();
  }
}
type FromWorker =
  | { type: 'message'; id: number; message: unknown }
  | { type: 'done'; id: number }
  | { type: 'finished'; message: unknown }
  | { type: 'failed'; id: number | null; detail: string }
  | { type: 'stopped'; id: number | null; code: number };

/** A pool's work: the tasks, in the order they are handed out, and where the workers' messages go. */
export interface PoolOptions<Task, Message, Final> {
  /** The entry file workers run: the bundle itself (its `import.meta.url`). */
  script: URL;
  jobs: number;
  role: WorkerRole;
  /** The tasks, made once the workers are starting (they load while the main thread plans); a throw ends the pool. */
  tasks: () => Task[];
  /** Names a task in an error message ("items ct_001, ct_002"). */
  describe: (task: Task) => string;
  /** A worker's message about a task; `worker` is the worker's number (0 to `jobs` - 1). */
  onMessage: (message: Message, task: Task, worker: number) => void;
  /** Each worker's last message, when all tasks are done. */
  onFinished?: (message: Final) => void;
  /**
   * Further tasks, asked for once every task so far is done (the next phase of the work, planned from the messages
   * of the last); none: the work is done. A throw ends the pool.
   */
  more?: () => Task[];
  /**
   * The worker a task had better run on (it holds the task's data), or null for any: a free worker takes the first
   * task that is its own or anyone's, else the last task left (the smallest, when tasks come largest first).
   */
  affinity?: (task: Task) => number | null;
  /** Worker threads started ahead (with this `role`'s name): the pool sends them the role's data, and starts more if it needs them. */
  started?: StartedWorkers;
}

/** Runs tasks on `jobs` worker threads; rejects with an `internal` error naming the task when a worker fails. */
export function runPool<Task, Message, Final = unknown>(opts: PoolOptions<Task, Message, Final>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const workers: Array<{ worker: Worker; give: () => void; idle: () => boolean; finish: () => void }> = [];
    const tasks: Task[] = [];
    const taken: boolean[] = [];
    let left = 0;
    let finished = 0;
    let failed = false;
    const stop = (e: unknown) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.worker.terminate();
      reject(e);
    };
    const fail = (detail: string) => stop(new SegqcError('internal', detail, {}, 'internal'));
    const add = (more: Task[]) => {
      for (const t of more) {
        tasks.push(t);
        taken.push(false);
      }
      left += more.length;
    };
    // A worker's own task or anyone's, first in order; else, when it may, the last task left (another's).
    const pick = (w: number, steal: boolean): number | null => {
      if (left === 0) return null;
      let other: number | null = null;
      for (let i = 0; i < tasks.length; i++) {
        if (taken[i]) continue;
        if (!opts.affinity) return i;
        const a = opts.affinity(tasks[i]);
        if (a === null || a === w) return i;
        other = i;
      }
      return steal ? other : null;
    };
    // Every worker is free and no task is left: the next phase's tasks, or the end.
    const settle = () => {
      if (left > 0 || !workers.every((w) => w.idle())) return;
      let more: Task[] = [];
      try {
        more = opts.more?.() ?? [];
      } catch (e) {
        stop(e);
        return;
      }
      if (more.length > 0) {
        add(more);
        for (const w of workers) w.give();
      } else for (const w of workers) w.finish();
    };
    const start = (index: number) => {
      const early = opts.started?.take();
      if (early) {
        early.worker.ref();
        early.worker.postMessage({ type: 'data', data: opts.role.data } satisfies ToWorker);
      }
      const w = early?.worker ?? new Worker(opts.script, workerOptions(opts.role));
      // A worker thread holds a second task while it runs one, so it never waits for this thread.
      const depth = 2;
      const held: number[] = [];
      let given = false;
      let done = false;
      const give = () => {
        while (held.length < depth) {
          const i = pick(index, held.length === 0);
          if (i === null) break;
          taken[i] = true;
          left--;
          held.push(i);
          given = true;
          w.postMessage({ type: 'task', id: i, task: tasks[i] } satisfies ToWorker);
        }
        if (held.length === 0) settle();
      };
      const finish = () => {
        held.push(-1);
        w.postMessage({ type: 'finish' } satisfies ToWorker);
      };
      const at = (id: number | null) => (id === null || id < 0 ? (given ? 'after its last task' : 'before its first task') : `while checking ${opts.describe(tasks[id])}`);
      const where = () => at(held.length === 0 ? null : held[0]);
      w.on('message', (m: FromWorker) => {
        if (failed) return;
        try {
          if (m.type === 'message') opts.onMessage(m.message as Message, tasks[m.id], index);
          else if (m.type === 'done') {
            held.splice(held.indexOf(m.id), 1);
            give();
          } else if (m.type === 'failed') fail(`a worker thread failed ${at(m.id)}: ${m.detail}`);
          else if (m.type === 'stopped') fail(`a worker thread stopped (exit code ${m.code}) ${at(m.id)}`);
          else {
            done = true;
            opts.onFinished?.(m.message as Final);
            void w.terminate();
            if (++finished === workers.length) resolve();
          }
        } catch (e) {
          fail(`the main thread failed on a worker's answer: ${(e as Error)?.message ?? String(e)}`);
        }
      });
      w.on('error', (e) => fail(`a worker thread failed ${where()}: ${(e as Error)?.message ?? String(e)}`));
      w.on('exit', (code) => {
        if (!done) fail(`a worker thread stopped (exit code ${code}) ${where()}`);
      });
      workers.push({ worker: w, give, idle: () => held.length === 0, finish });
      if (early?.error) fail(`a worker thread failed ${where()}: ${(early.error as Error)?.message ?? String(early.error)}`);
      else if (early && early.exit !== null) fail(`a worker thread stopped (exit code ${early.exit}) ${where()}`);
    };
    for (let i = 0; i < Math.max(1, opts.jobs); i++) start(i);
    if (failed) return;
    try {
      add(opts.tasks());
    } catch (e) {
      stop(e);
      return;
    }
    for (const w of workers) w.give();
  });
}

/**
 * Serves tasks in a worker thread: `handle` runs each (one at a time, in the order given: a handler may be async),
 * posting messages with `post` (typed arrays may be transferred); `finish` gives the worker's last message when the
 * main thread has no task left. A task that throws or rejects fails the pool, naming the task. `dispose` runs once
 * when the port closes (the pool is over, or failed): what the handlers hold open (a git process) ends there.
 */
export function serveWorker<Task, Message, Final>(
  handle: (task: Task, post: (message: Message, transfer?: ArrayBuffer[]) => void) => void | Promise<void>,
  finish: () => { message: Final; transfer?: ArrayBuffer[] } = () => ({ message: null as Final }),
  dispose?: () => void,
): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorker runs in a worker thread');
  let open = true;
  const end = () => {
    if (open) dispose?.();
    open = false;
  };
  const serve = async (m: ToWorker) => {
    if (m.type === 'finish') {
      const last = finish();
      end();
      port.postMessage({ type: 'finished', message: last.message } satisfies FromWorker, last.transfer ?? []);
      return;
    }
    if (m.type !== 'task') throw new Error(`a worker thread got "${m.type}" while serving tasks`);
    await handle(m.task as Task, (message, transfer) => port.postMessage({ type: 'message', id: m.id, message } satisfies FromWorker, transfer ?? []));
    port.postMessage({ type: 'done', id: m.id } satisfies FromWorker);
  };
  // A task that throws is reported on this port, after the messages of the tasks before it, naming its task.
  let queue = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    queue = queue.then(() =>
      serve(m).catch((e) => {
        const id = m.type === 'task' ? m.id : null;
        port.postMessage({ type: 'failed', id, detail: (e as Error)?.message ?? String(e) } satisfies FromWorker);
      }),
    );
  });
  port.on('close', end);
}

/** A pool fed while it runs (see `startPool`). */
export interface TaskFeed<Task> {
  /** Queues a task; resolves once the queue has room again (at most `queue` tasks wait), rejects when the pool failed. */
  submit(task: Task): Promise<void>;
  /** Resolves when every submitted task is done and the workers have finished; rejects as `runPool` does. */
  close(): Promise<void>;
}

/** What `startPool` runs: as `runPool`, but the tasks come from `submit` while the workers run. */
export type FeedOptions<Task, Message, Final> = Omit<PoolOptions<Task, Message, Final>, 'tasks' | 'more' | 'affinity'> & {
  /** Tasks that may wait for a worker (default 2 a worker): the feeder waits beyond that, so memory stays bounded. */
  queue?: number;
};

/** Starts `jobs` worker threads that take tasks as they are submitted; a failing worker fails the pool with the task named. */
export function startPool<Task, Message, Final = unknown>(opts: FeedOptions<Task, Message, Final>): TaskFeed<Task> {
  const limit = Math.max(1, opts.queue ?? 2 * Math.max(1, opts.jobs));
  const tasks: Task[] = [];
  const idle: Array<{ worker: Worker; give: () => void }> = [];
  const workers: Worker[] = [];
  let next = 0;
  let closing = false;
  let finished = 0;
  let failure: unknown = null;
  const room: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  let ended: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  let result: Promise<void> | null = null;
  const stop = (e: unknown) => {
    if (failure) return;
    failure = e;
    for (const w of workers) void w.terminate();
    for (const r of room.splice(0)) r.reject(e);
    ended?.reject(e);
  };
  const fail = (detail: string) => stop(new SegqcError('internal', detail, {}, 'internal'));
  const freeRoom = () => {
    while (room.length > 0 && tasks.length - next < limit) room.shift()!.resolve();
  };
  const start = (index: number) => {
    const w = new Worker(opts.script, { workerData: opts.role });
    let current: number | null = null;
    let done = false;
    const give = () => {
      if (next < tasks.length) {
        current = next++;
        w.postMessage({ type: 'task', id: current, task: tasks[current] } satisfies ToWorker);
        freeRoom();
      } else if (closing) {
        current = null;
        w.postMessage({ type: 'finish' } satisfies ToWorker);
      } else {
        current = null;
        idle.push({ worker: w, give });
      }
    };
    const where = () => (current === null ? 'after its last task' : `while checking ${opts.describe(tasks[current])}`);
    w.on('message', (m: FromWorker) => {
      if (failure) return;
      try {
        if (m.type === 'message') opts.onMessage(m.message as Message, tasks[m.id], index);
        else if (m.type === 'done') {
          (tasks as Array<Task | undefined>)[m.id] = undefined;
          give();
        } else if (m.type === 'finished') {
          done = true;
          opts.onFinished?.(m.message as Final);
          void w.terminate();
          if (++finished === workers.length) ended?.resolve();
        } else if (m.type === 'failed') fail(`a worker thread failed ${where()}: ${m.detail}`);
        else fail(`a worker thread stopped (exit code ${m.code}) ${where()}`);
      } catch (e) {
        fail(`the main thread failed on a worker's answer: ${(e as Error)?.message ?? String(e)}`);
      }
    });
    w.on('error', (e) => fail(`a worker thread failed ${where()}: ${(e as Error)?.message ?? String(e)}`));
    w.on('exit', (code) => {
      if (!done) fail(`a worker thread stopped (exit code ${code}) ${where()}`);
    });
    workers.push(w);
    give();
  };
  for (let i = 0; i < Math.max(1, opts.jobs); i++) start(i);
  return {
    submit: (task) => {
      if (failure) return Promise.reject(failure);
      if (closing) return Promise.reject(new SegqcError('internal', 'a task was submitted to a closed pool', {}, 'internal'));
      tasks.push(task);
      idle.shift()?.give();
      if (tasks.length - next < limit) return Promise.resolve();
      return new Promise<void>((resolve, reject) => room.push({ resolve, reject }));
    },
    close: () => {
      if (result) return result;
      closing = true;
      result = new Promise<void>((resolve, reject) => {
        ended = { resolve, reject };
        if (failure) return reject(failure);
        for (const w of idle.splice(0)) w.give();
      });
      return result;
    },
  };
}
