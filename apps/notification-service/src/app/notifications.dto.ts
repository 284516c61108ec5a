import {
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  Validate,
} from 'class-validator';
import { TemplateData } from './template-data.validator';

export const CHANNELS = ['email', 'sms', 'push'] as const;

/** `POST /notifications`: a template (with its variables) or a message, to one recipient. */
export class SendNotificationDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  recipient!: string;

  @IsIn(CHANNELS)
  channel!: (typeof CHANNELS)[number];

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  template_id?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(10_000)
  message?: string;

  /** The template's variables, by name: exactly those it uses. */
  @IsOptional()
  @IsObject()
  @Validate(TemplateData)
  data?: Record<string, string | number>;
}
