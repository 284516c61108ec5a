import 'reflect-metadata';
import { bootstrapService, loadServiceConfig } from '@mqgw/service-kit';
import { AppModule } from './app/app.module';

const config = loadServiceConfig(3002);
void bootstrapService({ module: AppModule, names: ['order-service', 'order-service-v2'], config });
