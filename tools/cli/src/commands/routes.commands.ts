import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  diffContracts,
  formatRouteRows,
  formatRouteTable,
  loadRoutesFile,
  type RouteRow,
} from '@mqgw/routes';
import type { CliContext } from './context';
import { UsageError } from './connections';
import { positiveInt } from './options';
import { formatChange } from './routes-diff';
import { reloadStack } from './stack-reload';

/** `routes check|list|reload|diff` and `generate types`: the route table. */
export function addRoutesCommands(program: Command, cli: CliContext): void {
  const routes = program.command('routes').description('the route table (ROUTES_FILE)');
  addCheck(routes, cli);
  addList(routes, cli);
  addReload(routes, cli);
  addDiff(routes, cli);
  addGenerate(program, cli);
}

function addCheck(routes: Command, { io }: CliContext): void {
  routes
    .command('check <file>')
    .description('validate a routes file without starting anything')
    .action((file: string) => {
      const table = loadRoutesFile(file);
      io.out(formatRouteTable(table.routes));
      for (const warning of table.warnings) io.err(`warning: ${warning}`);
      io.err(
        `${file}: ${table.routes.length} routes, ${table.services.size} services, ok (${table.digest})`,
      );
    });
}

function addList(routes: Command, { io, env }: CliContext): void {
  routes
    .command('list')
    .description('print the table a running gateway uses (GATEWAY_URL), or a file’s')
    .option('--file <file>', 'read a routes file instead of asking a gateway')
    .action(async (options: { file?: string }) => {
      if (options.file) {
        io.out(formatRouteTable(loadRoutesFile(options.file).routes));
        return;
      }
      const config = env();
      const url = `${config.GATEWAY_URL.replace(/\/+$/, '')}/routes`;
      const headers = config.DASHBOARD_TOKEN
        ? { authorization: `Bearer ${config.DASHBOARD_TOKEN}` }
        : undefined;
      const response = await fetch(url, { headers }).catch((error: Error) => {
        throw new UsageError(`${url}: ${error.message}`);
      });
      if (!response.ok) throw new UsageError(`${url}: HTTP ${response.status}`);
      const active = (await response.json()) as { digest: string; routes: RouteRow[] };
      io.out(formatRouteRows(active.routes));
      io.err(`${active.routes.length} routes, table ${active.digest}`);
    });
}

function addReload(routes: Command, { io, env, exit }: CliContext): void {
  routes
    .command('reload')
    .description(
      'reload the routes file in every gateway of the stack `npm start` runs (STACK_STATE_FILE), and say how each went',
    )
    .option('--timeout <ms>', 'how long to wait for each gateway to report', positiveInt, 10_000)
    .action(async (options: { timeout: number }) => {
      const config = env();
      const outcomes = await reloadStack(config, config.STACK_STATE_FILE, options.timeout);
      for (const o of outcomes) io.out(`${o.name} (pid ${o.pid}): ${o.outcome}`);
      const failed = outcomes.filter((o) => o.outcome !== 'applied').length;
      if (failed > 0)
        io.err(`error: ${failed} gateway(s) did not apply the routes file; see their log`);
      exit(failed > 0 ? 1 : 0);
    });
}

function addDiff(routes: Command, { io, exit }: CliContext): void {
  routes
    .command('diff <old> <new>')
    .description(
      'what changed for clients between two routes files; exits 1 on a breaking change (a route removed, a required request field added, a reply field removed, a type narrowed)',
    )
    .action((before: string, after: string) => {
      const changes = diffContracts(loadRoutesFile(before).routes, loadRoutesFile(after).routes);
      for (const change of changes) io.out(formatChange(change));
      const breaking = changes.filter((c) => c.breaking).length;
      io.err(
        `${before} -> ${after}: ${changes.length} change${changes.length === 1 ? '' : 's'}, ${breaking} breaking`,
      );
      exit(breaking > 0 ? 1 : 0);
    });
}

function addGenerate(program: Command, { io }: CliContext): void {
  program
    .command('generate')
    .description('code from the route table')
    .command('types')
    .description(
      "TypeScript types of each route's request and reply, for @mqgw/client: connect<Routes>(...)",
    )
    .requiredOption('--routes <file>', 'the routes file')
    .requiredOption('--out <file.ts>', 'where to write the types')
    .action(async (options: { routes: string; out: string }) => {
      const table = loadRoutesFile(options.routes);
      // Loaded only here: the compiler and its formatter are large, and no other command uses them.
      const { generateTypes } = await import('./generate-types');
      writeFileSync(options.out, await generateTypes(table, options.routes));
      io.err(`${options.out}: types of ${table.routes.length} routes (table ${table.digest})`);
    });
}
