import 'reflect-metadata';
import { loadConfigOrExit } from '@mqgw/config';
import { bootstrapService, readServiceConfig } from '@mqgw/service-kit';
import { AppModule } from './app/app.module';

const config = loadConfigOrExit(() => readServiceConfig(3001));
void bootstrapService({ module: AppModule, names: ['user-service', 'user-service-v2'], config });
