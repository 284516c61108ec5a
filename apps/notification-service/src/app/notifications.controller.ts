import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { badRequest, newId, validateBody, type Schema } from '@mqgw/service-kit';

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

const NOTIFICATION_SCHEMA: Schema = {
  recipient: { type: 'string', required: true, maxLength: 320 },
  channel: { type: 'enum', required: true, values: ['email', 'sms', 'push'] },
  template_id: { type: 'string', maxLength: 100 },
  message: { type: 'string', maxLength: 10_000 },
  variables: { type: 'object' },
};

interface NewNotification {
  recipient: string;
  channel: string;
  template_id?: string;
  message?: string;
}

@Controller('notifications')
export class NotificationsController {
  @Post()
  @HttpCode(202)
  send(@Body() body: unknown) {
    const input = validateBody<NewNotification>(body, NOTIFICATION_SCHEMA);
    if (!input.template_id && !input.message) {
      throw badRequest('one of template_id or message is required');
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
