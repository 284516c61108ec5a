import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { InstanceDirectory } from '@mqgw/discovery';
import { RequestRecorder } from './observability/request-recorder';
import { UpstreamHttpClient } from './proxy/upstream-http.client';
import type { SharedState } from './state/shared-state';
import { INSTANCE_DIRECTORY, SHARED_STATE } from './tokens';

/**
 * Start and stop order in one place. Nest drains the MQTT transport before this shutdown
 * hook runs, so by now no request is in flight: flush metrics and logs, then disconnect.
 */
@Injectable()
export class GatewayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');

  constructor(
    @Inject(INSTANCE_DIRECTORY) private readonly directory: InstanceDirectory,
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
    this.http.close();
    await this.state.close();
  }
}
