import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InstanceDirectory } from '@mqgw/discovery';
import { metricsKeys } from '../observability/metrics.keys';
import { RequestRecorder } from '../observability/request-recorder';
import type { SharedState } from '../state/shared-state';
import { SHARED_STATE } from '../state/state.tokens';
import { MqttRequestServer } from '../transport/mqtt-request.server';
import { TRANSPORT_CONFIG, type TransportConfig } from '../transport/transport.config';
import { UpstreamHttpClient } from '../upstream/upstream-http.client';

const BEACON_MS = 5000;

/**
 * Start and stop order in one place. Nest drains the MQTT transport before this shutdown
 * hook runs, so by now no request is in flight: flush metrics and logs, then disconnect.
 */
@Injectable()
export class GatewayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');
  private beacon?: NodeJS.Timeout;

  constructor(
    private readonly directory: InstanceDirectory,
    @Inject(SHARED_STATE) private readonly state: SharedState,
    private readonly recorder: RequestRecorder,
    private readonly http: UpstreamHttpClient,
    private readonly transport: MqttRequestServer,
    @Inject(TRANSPORT_CONFIG) private readonly transportConfig: TransportConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.state.start();
    await this.directory.start();
    this.recorder.start();
    void this.announce();
    this.beacon = setInterval(() => void this.announce(), BEACON_MS);
    this.beacon.unref();
  }

  /** Tells the shared state this instance is alive (the dashboard lists the instances). */
  private async announce(): Promise<void> {
    const id = this.transportConfig.clientId;
    const beacon = {
      instance: id,
      last_seen: Date.now() / 1000,
      inflight: this.transport.inflightCount,
    };
    try {
      await this.state.kv.put(metricsKeys.instance(id), JSON.stringify(beacon), BEACON_MS * 4);
      await this.state.kv.setAdd(metricsKeys.instances, [id]);
    } catch {
      // Best effort: the dashboard says when Redis is away.
    }
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log(`requests drained${signal ? ` (${signal})` : ''}; flushing and disconnecting`);
    clearInterval(this.beacon);
    await this.state.kv
      .delete(metricsKeys.instance(this.transportConfig.clientId))
      .catch(() => undefined);
    await this.recorder.stop();
    await this.directory.stop();
    await this.http.close();
    await this.state.close();
  }
}
