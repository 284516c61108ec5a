#!/usr/bin/env node
// The one image's entry point: `launch.cjs <app> [args...]` runs that app in this process,
// so it receives SIGTERM itself. The app may also be chosen with APP.
'use strict';
const { join } = require('node:path');

const APPS = {
  gateway: 'dist/apps/gateway/apps/gateway/src/main.js',
  'user-service': 'dist/apps/user-service/apps/user-service/src/main.js',
  'order-service': 'dist/apps/order-service/apps/order-service/src/main.js',
  'payment-service': 'dist/apps/payment-service/apps/payment-service/src/main.js',
  'notification-service': 'dist/apps/notification-service/apps/notification-service/src/main.js',
  cli: 'dist/tools/cli/tools/cli/src/bin.js',
};

const [first, ...rest] = process.argv.slice(2);
const name = first && APPS[first] ? first : process.env.APP;
const args = first && APPS[first] ? rest : process.argv.slice(2);
if (!name || !APPS[name]) {
  process.stderr.write(
    `usage: launch.cjs <app> [args...]; apps: ${Object.keys(APPS).join(', ')} (or set APP)\n`,
  );
  process.exit(64);
}
const main = join(__dirname, APPS[name]);
process.argv = [process.argv[0], main, ...args];
require(main);
