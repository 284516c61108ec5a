import { IsOptional, IsString, MaxLength } from 'class-validator';

/** What every API v2 request may carry: the version and action, echoed in the reply. */
export class V2RequestDto {
  @IsOptional()
  @IsString()
  @MaxLength(32)
  api_version?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string;
}

/** What every API v2 reply starts with: the version and action the service received. */
export function v2Echo(body: V2RequestDto | undefined): {
  api_version: string | null;
  action: string | null;
} {
  return { api_version: body?.api_version ?? null, action: body?.action ?? null };
}
