import { formatRouteTable, type RouteTable } from '@mqgw/routes';

/**
 * The route table as one log entry: a one-line message, and the table as an array of lines
 * (a header, then one per route), so that a JSON line holds no `\n` and `jq '.routes[]'` or
 * the pretty format prints it aligned.
 */
export function routeTableEntry(table: RouteTable): { msg: string; routes: string[] } {
  return {
    msg: `routes ${table.digest} from ${table.source}: ${table.routes.length} routes`,
    routes: formatRouteTable(table.routes).split('\n'),
  };
}
