import 'reflect-metadata';
import { url } from '@mqgw/config';
import { bootstrapService, loadServiceConfig } from '@mqgw/service-kit';
import { AppModule } from './app/app.module';

const config = loadServiceConfig(3003, {
  ORDER_SERVICE_URL: url({
    protocols: ['http:', 'https:'],
    default: 'http://127.0.0.1:3002',
    doc: 'the order service, asked for the order a payment is for',
  }),
});
void bootstrapService({
  module: AppModule.forRoot({ orderServiceUrl: config.ORDER_SERVICE_URL }),
  names: ['payment-service'],
  config,
});
