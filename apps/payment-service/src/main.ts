import 'reflect-metadata';
import { loadConfigOrExit } from '@mqgw/config';
import { bootstrapService, readServiceConfig } from '@mqgw/service-kit';
import { AppModule } from './app/app.module';

const config = loadConfigOrExit(() => readServiceConfig(3003));
void bootstrapService({ module: AppModule, names: ['payment-service'], config });
