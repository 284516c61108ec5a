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
import { findTemplate, render } from './templates';

@Controller('notifications')
export class NotificationsController {
  /** Queues a template filled with its variables (`data`), or a plain message. */
  @Post()
  @HttpCode(202)
  send(@Body() input: SendNotificationDto) {
    if (!input.template_id && !input.message) {
      throw new BadRequestException(['one of template_id or message is required']);
    }
    let text: { subject: string | null; body: string };
    if (input.template_id) {
      const template = findTemplate(input.template_id);
      if (!template) throw new NotFoundException(`template ${input.template_id} not found`);
      text = render(template, input.data ?? {});
    } else {
      if (input.data != null) {
        throw new BadRequestException(['data fills a template: send it with a template_id']);
      }
      text = { subject: null, body: input.message! };
    }
    return {
      notification_id: newId('ntf'),
      recipient: input.recipient,
      channel: input.channel,
      template_id: input.template_id ?? null,
      ...text,
      status: 'queued',
      queued_at: new Date().toISOString(),
    };
  }

  @Get('templates/:id')
  template(@Param('id') id: string) {
    const template = findTemplate(id);
    if (!template) throw new NotFoundException(`template ${id} not found`);
    return template;
  }
}
