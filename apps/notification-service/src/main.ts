import 'reflect-metadata';
import { bootstrapService, loadServiceConfig } from '@mqgw/service-kit';
import { AppModule } from './app/app.module';

const config = loadServiceConfig(3004);
void bootstrapService({ module: AppModule, names: ['notification-service'], config });
