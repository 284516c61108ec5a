export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  /** The first line of standard input, for secrets that must not be typed as arguments. */
  readLine: () => Promise<string>;
}
