import { envNames } from '@mqgw/config';
import { cliEnvSchema } from './cli.config';
import { readStdinLine, run } from './main';

// `--env-schema` prints the variables the CLI reads, as every app does for deployment checks.
if (process.argv.includes('--env-schema')) {
  process.stdout.write(`${JSON.stringify(envNames(cliEnvSchema))}\n`);
  process.exit(0);
}

void run(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  readLine: () => readStdinLine(),
}).then((code) => process.exit(code));
