#!/usr/bin/env node
// Checked-in shim: the CLI's logic lives in src/cli.ts and is built to dist/cli.js.
import('../dist/cli.js');
