import 'reflect-metadata';
import { bootstrapService, loadServiceConfig } from '@mqgw/service-kit';
import { AppModule } from './app/app.module';

const config = loadServiceConfig(3003);
void bootstrapService({ module: AppModule, names: ['payment-service'], config });
