#!/usr/bin/env node
import '../dist/segqc.js';
