import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InstanceDirectory } from '@mqgw/discovery';
import { RequestRecorder } from '../observability/request-recorder';
import type { SharedState } from '../state/shared-state';
import { SHARED_STATE } from '../state/state.tokens';
import { UpstreamHttpClient } from '../upstream/upstream-http.client';

/**
 * Start and stop order in one place. Nest drains the MQTT transport before this shutdown
 * hook runs, so by now no request is in flight: flush metrics and logs, then disconnect.
 */
@Injectable()
export class GatewayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');

  constructor(
    private readonly directory: InstanceDirectory,
    @Inject(SHARED_STATE) private readonly state: SharedState,
    private readonly recorder: RequestRecorder,
    private readonly http: UpstreamHttpClient,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.state.start();
    await this.directory.start();
    this.recorder.start();
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log(`requests drained${signal ? ` (${signal})` : ''}; flushing and disconnecting`);
    await this.recorder.stop();
    await this.directory.stop();
    await this.http.close();
    await this.state.close();
  }
}
