import { Controller, Get, Header, HttpCode } from '@nestjs/common';

/**
 * `GET /favicon.ico`: nothing, on purpose. Browsers ask for it on any page of the gateway
 * (the dashboard, `/metrics`), and a 404 shows as an error in their console.
 */
@Controller()
export class FaviconController {
  @Get('favicon.ico')
  @HttpCode(204)
  @Header('cache-control', 'public, max-age=86400')
  favicon(): void {
    return undefined;
  }
}
