import type { CliEnv } from '../cli.config';
import type { Io } from '../io';

/** What every command group needs: its input and output, the environment, and the exit code. */
export interface CliContext {
  io: Io;
  env: () => CliEnv;
  exit: (code: number) => void;
}
