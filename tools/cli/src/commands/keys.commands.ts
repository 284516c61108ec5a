import { Command } from 'commander';
import type { CliContext } from './context';
import { apiKeyStore, withRedis } from './connections';
import { scopesOf } from './options';

/** `keys create|list|revoke`: API keys in Redis. */
export function addKeyCommands(program: Command, { io, env, exit }: CliContext): void {
  const keys = program.command('keys').description('API keys in Redis');
  keys
    .command('create')
    .description('create an API key and print it once')
    .requiredOption('--owner <id>', 'the user id sent upstream for this key')
    .option('--scope <scopes>', 'space- or comma-separated scopes', '')
    .action(async (options) => {
      const config = env();
      const scopes = scopesOf(options.scope);
      await withRedis(config, async (redis) => {
        const { key, record } = await apiKeyStore(config, redis).create(options.owner, scopes);
        io.out(key);
        io.err(
          `created ${record.id} for ${options.owner} with scopes [${scopes.join(' ')}]; the key is not shown again`,
        );
      });
    });
  keys
    .command('list')
    .description('list API keys (never the keys themselves)')
    .action(async () => {
      const config = env();
      await withRedis(config, async (redis) => {
        for (const r of await apiKeyStore(config, redis).list()) {
          io.out(
            `${r.id}  ${r.owner}  ${r.revoked ? 'revoked' : 'active '}  ${r.created_at}  ${r.scopes.join(' ')}`,
          );
        }
      });
    });
  keys
    .command('revoke <id>')
    .description('revoke an API key')
    .action(async (id: string) => {
      const config = env();
      await withRedis(config, async (redis) => {
        if (!(await apiKeyStore(config, redis).revoke(id))) {
          io.err(`error: no API key ${id}`);
          exit(1);
          return;
        }
        io.err(`revoked ${id}`);
      });
    });
}
