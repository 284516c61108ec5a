import { Command } from 'commander';
import { addClient, listClients, newSecret, removeClient } from '@mqgw/deploy';
import { withAdmin, policy } from './broker-admin';
import type { CliContext } from './context';
import { deviceStore, withRedis } from './connections';

/** `clients add|list|remove`: broker accounts of API clients. */
export function addClientCommands(program: Command, { io, env, exit }: CliContext): void {
  const clients = program
    .command('clients')
    .description('broker accounts of API clients (Mosquitto dynamic security)');
  clients
    .command('add <name>')
    .description('add a client (or reset its password) and print its password once')
    .option('--password-stdin', 'read the password from standard input instead of generating one')
    .action(async (name: string, options) => {
      const config = env();
      const password = options.passwordStdin ? await io.readLine() : newSecret();
      await withAdmin(config, (admin) => addClient(admin, name, password, policy(config)));
      if (!options.passwordStdin) io.out(password);
      io.err(`client ${name} may publish requests and read replies/${name}/#`);
    });
  clients
    .command('list')
    .description('list clients and their roles')
    .action(async () => {
      await withAdmin(env(), async (admin) => {
        for (const c of await listClients(admin)) {
          io.out(`${c.username}  ${c.disabled ? 'disabled' : 'enabled '}  ${c.roles.join(' ')}`);
        }
      });
    });
  clients
    .command('remove <name>')
    .description('remove a client; it cannot log in again, and its device scopes go too')
    .action(async (name: string) => {
      const config = env();
      const removed = await withAdmin(config, (admin) => removeClient(admin, name));
      if (!removed) {
        io.err(`error: no client ${name}`);
        exit(1);
        return;
      }
      // A later client of the same name must not inherit its scopes.
      const scopes = await withRedis(config, (redis) =>
        deviceStore(config, redis).remove(name),
      ).catch((error: Error) => {
        io.err(`warning: ${name}'s device scopes were not removed (${error.message})`);
        return false;
      });
      io.err(`removed ${name}${scopes ? ' and its device scopes' : ''}`);
    });
}
