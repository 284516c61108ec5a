import 'reflect-metadata';
import { loadConfigOrExit } from '@mqgw/config';
import { bootstrapService, readServiceConfig } from '@mqgw/service-kit';
import { AppModule } from './app/app.module';

const config = loadConfigOrExit(() => readServiceConfig(3004));
void bootstrapService({ module: AppModule, names: ['notification-service'], config });
