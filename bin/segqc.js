#!/usr/bin/env node
// Node 22+ keeps compiled code of the bundle between runs; on Node 20 there is no compile cache and this does nothing.
import module from 'node:module';

module.enableCompileCache?.();
await import('../dist/segqc.js');
