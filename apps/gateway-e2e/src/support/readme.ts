import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR } from './processes';

/**
 * The command lines of the fenced blocks that follow `<!-- name -->` in a README, in
 * order: a line ending in `\` continues on the next, and blank and comment-only lines are
 * dropped. Tests walk these, so the README is what is tested, not a copy of it.
 */
export function readmeCommands(readme: string, name: string): string[][] {
  const blocks: string[][] = [];
  const marker = `<!-- ${name} -->`;
  let at = readme.indexOf(marker);
  while (at >= 0) {
    const open = readme.indexOf('```bash\n', at);
    const close = readme.indexOf('\n```', open + 8);
    if (open < 0 || close < 0) throw new Error(`no fenced bash block after ${marker}`);
    blocks.push(joinContinuations(readme.slice(open + 8, close)));
    at = readme.indexOf(marker, close);
  }
  if (blocks.length === 0) throw new Error(`the README has no ${marker} block`);
  return blocks;
}

function joinContinuations(text: string): string[] {
  const commands: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1);
      continue;
    }
    const command = (pending + line).trim();
    pending = '';
    if (command && !command.startsWith('#')) commands.push(command);
  }
  return commands;
}

export interface ShellResult {
  code: number;
  output: string;
}

/**
 * One bash, fed command lines one at a time as a person types them, so `export` and
 * `set -a; . file` carry over to the next line. Each line has a time limit: a command that
 * hangs (a client waiting on the wrong broker) fails the test instead of stalling it. Its
 * output goes to `tmp/e2e-logs/<name>.log` as well.
 */
export class ShellSession {
  private output = '';
  private count = 0;
  private readonly log: WriteStream;

  private constructor(
    private readonly child: ChildProcess,
    name: string,
  ) {
    mkdirSync(LOG_DIR, { recursive: true });
    this.log = createWriteStream(join(LOG_DIR, `${name}.log`), { flags: 'w' });
    const take = (chunk: Buffer) => {
      this.output += chunk.toString();
      this.log.write(chunk);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
  }

  static start(name: string, cwd: string, env: Record<string, string>): ShellSession {
    const child = spawn('bash', ['--noprofile', '--norc'], {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    return new ShellSession(child, name);
  }

  /** Runs one command line; rejects when it outlasts `timeoutMs`. */
  async run(command: string, timeoutMs: number): Promise<ShellResult> {
    const done = `__mqgw_done_${++this.count}__`;
    const from = this.output.length;
    this.log.write(`$ ${command}\n`);
    // In a group with stdin from /dev/null: the command runs in this shell (its exports
    // stay), and cannot read the lines that follow it.
    this.child.stdin?.write(`{ ${command}\n} < /dev/null\nprintf '\\n${done} %s\\n' "$?"\n`);
    const pattern = new RegExp(`\\n${done} (\\d+)\\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output.slice(from));
      if (match) {
        return { code: Number(match[1]), output: this.output.slice(from, from + match.index) };
      }
      if (this.child.exitCode !== null) {
        throw new Error(`the shell ended while running: ${command}\n${this.output.slice(from)}`);
      }
      if (Date.now() > deadline) {
        this.close();
        throw new Error(
          `still running after ${timeoutMs} ms: ${command}\n${this.output.slice(from)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Ends the shell and anything it left running. */
  close(): void {
    try {
      process.kill(-(this.child.pid as number), 'SIGKILL');
    } catch {
      // gone already
    }
    this.log.end();
  }
}
