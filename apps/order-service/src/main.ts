import 'reflect-metadata';
import { loadConfigOrExit } from '@mqgw/config';
import { bootstrapService, readServiceConfig } from '@mqgw/service-kit';
import { AppModule } from './app/app.module';

const config = loadConfigOrExit(() => readServiceConfig(3002));
void bootstrapService({ module: AppModule, names: ['order-service', 'order-service-v2'], config });
