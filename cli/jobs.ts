/** `--jobs N` of the dataset commands, and how the entry tells a command which bundle its worker threads run. */
import { defaultJobs, parseJobs } from '../node/worker-pool.js';

/** How a command may run: `workerScript` is the bundle worker threads run; without it, items are checked in this thread. */
export interface RunOptions {
  workerScript?: URL;
}

/** `segqc check`'s `--jobs`: with N > 1 the items are checked on N worker threads, this thread plans and gathers. */
export const checkJobsHelp = '  --jobs N                 check items on N worker threads while this one plans and gathers the reports (default: the number of cores; 1: this thread only)\n';

/** `segqc diff`'s `--jobs`: as for check, N worker threads diff the items while this thread plans and gathers them. */
export const jobsHelp = '  --jobs N                 check items on N worker threads while this one plans and gathers the results (default: the number of cores; 1: no worker thread, this one checks them)\n';

/** The worker threads a command asks for: `--jobs`, else the number of cores. */
export const jobsFromFlags = (flags: Record<string, string | boolean | undefined>): number => (flags.jobs !== undefined ? parseJobs(String(flags.jobs)) : defaultJobs());
