import 'reflect-metadata';
import { bootstrapService, loadServiceConfig } from '@mqgw/service-kit';
import { AppModule } from './app/app.module';

const config = loadServiceConfig(3001);
void bootstrapService({ module: AppModule, names: ['user-service', 'user-service-v2'], config });
