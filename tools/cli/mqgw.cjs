#!/usr/bin/env node
// Runs the CLI from source; `npm run cli -- <command>`.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, '../../tsconfig.base.json');
require('@swc-node/register');
require('./src/bin.ts');
