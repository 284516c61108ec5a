import { DEFAULT_BROKER_POLICY, type BrokerPolicyOptions } from '@mqgw/deploy';
import type { CliEnv } from '../cli.config';
import { connectAdmin } from './connections';

export async function withAdmin<T>(
  env: CliEnv,
  use: (admin: Awaited<ReturnType<typeof connectAdmin>>) => Promise<T>,
): Promise<T> {
  const admin = await connectAdmin(env);
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

export function policy(env: CliEnv): BrokerPolicyOptions {
  return {
    ...DEFAULT_BROKER_POLICY,
    sharedGroup: env.SHARED_SUBSCRIPTION_GROUP,
    devicePrefix: env.DEVICE_TOPIC_PREFIX,
  };
}
