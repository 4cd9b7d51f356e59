/** The live-check worker as a bundle of its own: what the ESM build embeds, having no function to start itself from. */
import { startLiveWorker } from './live-worker.js';

startLiveWorker();
