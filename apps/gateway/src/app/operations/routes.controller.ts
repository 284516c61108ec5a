import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { routeRows } from '@mqgw/routes';
import { stringify } from 'yaml';
import { buildAsyncApi } from '../asyncapi/asyncapi.document';
import { ActiveRoutes } from '../routing/active-routes';
import { GATEWAY_VERSION } from '../version';
import { DashboardGuard } from './dashboard.guard';

/**
 * The active route table over HTTP: `GET /routes` as JSON (what `mqgw routes list` prints)
 * and `GET /asyncapi.yaml`, the AsyncAPI document of the table loaded now. Behind the
 * dashboard's token, when there is one.
 */
@Controller()
@UseGuards(DashboardGuard)
export class RoutesController {
  constructor(private readonly routes: ActiveRoutes) {}

  @Get('routes')
  list() {
    const { table } = this.routes;
    return { digest: table.digest, routes: routeRows(table.routes) };
  }

  @Get('asyncapi.yaml')
  @Header('content-type', 'application/yaml; charset=utf-8')
  asyncApi(): string {
    return stringify(buildAsyncApi(this.routes.routes, GATEWAY_VERSION), {
      aliasDuplicateObjects: false,
    });
  }
}
