import { Controller, Get, Header, Sse, UseGuards, type MessageEvent } from '@nestjs/common';
import { Observable, from, interval, map, shareReplay, startWith, switchMap } from 'rxjs';
import { DashboardData, type DashboardSnapshot } from './dashboard.data';
import { DashboardGuard } from './dashboard.guard';
import { DASHBOARD_HTML } from './dashboard.page';

/**
 * `GET /dashboard`: one self-contained page (no asset from outside the gateway), its data
 * as JSON (`/dashboard/data`) and as server-sent events every second
 * (`/dashboard/events`). Read-only; behind `DashboardGuard`.
 */
@Controller('dashboard')
@UseGuards(DashboardGuard)
export class DashboardController {
  /** One snapshot a second for every open page together, not one per page. */
  private readonly stream: Observable<MessageEvent>;

  constructor(private readonly data: DashboardData) {
    this.stream = interval(1000).pipe(
      startWith(0),
      switchMap(() => from(this.data.snapshot())),
      map((snapshot) => ({ data: snapshot })),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
  }

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header(
    'content-security-policy',
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
  )
  page(): string {
    return DASHBOARD_HTML;
  }

  @Get('data')
  @Header('cache-control', 'no-store')
  snapshot(): Promise<DashboardSnapshot> {
    return this.data.snapshot();
  }

  @Sse('events')
  events(): Observable<MessageEvent> {
    return this.stream;
  }
}
