import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE } from './processes';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tools/cli` as its own process, as a person would. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { stdin?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(WORKSPACE, 'tools/cli/mqgw.cjs'), ...args], {
      cwd: WORKSPACE,
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined); // a CLI that exits before reading: EPIPE
    child.stdin.end(options.stdin ?? '');
  });
}
