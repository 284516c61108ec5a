import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { newId } from '@mqgw/service-kit';
import { SendNotificationDto } from './notifications.dto';

export const TEMPLATES: Record<
  string,
  { template_id: string; channel: string; subject: string; body: string }
> = {
  welcome: {
    template_id: 'welcome',
    channel: 'email',
    subject: 'Welcome',
    body: 'Hello {{name}}, welcome aboard.',
  },
  'order-confirmation': {
    template_id: 'order-confirmation',
    channel: 'email',
    subject: 'Order {{order_id}} confirmed',
    body: 'We have your order {{order_id}}.',
  },
  'payment-receipt': {
    template_id: 'payment-receipt',
    channel: 'email',
    subject: 'Receipt',
    body: 'We received {{amount}} {{currency}}.',
  },
};

@Controller('notifications')
export class NotificationsController {
  @Post()
  @HttpCode(202)
  send(@Body() input: SendNotificationDto) {
    if (!input.template_id && !input.message) {
      throw new BadRequestException(['one of template_id or message is required']);
    }
    if (input.template_id && !Object.hasOwn(TEMPLATES, input.template_id)) {
      throw new NotFoundException(`template ${input.template_id} not found`);
    }
    return {
      notification_id: newId('ntf'),
      recipient: input.recipient,
      channel: input.channel,
      template_id: input.template_id ?? null,
      status: 'queued',
      queued_at: new Date().toISOString(),
    };
  }

  @Get('templates/:id')
  template(@Param('id') id: string) {
    const template = Object.hasOwn(TEMPLATES, id) ? TEMPLATES[id] : undefined;
    if (!template) throw new NotFoundException(`template ${id} not found`);
    return template;
  }
}
