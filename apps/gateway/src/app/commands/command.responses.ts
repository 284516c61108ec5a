import { GatewayError, type CommandOutcome } from '@mqgw/contracts';
import type { StoredAnswer } from './command.store';

/** What the controller writes: an HTTP status and a JSON body. */
export interface CommandResponse {
  status: number;
  body: Record<string, unknown>;
}

/*
 * The bodies of docs/mqtt-api.md, "Commands to devices", in one place, so that a first
 * answer, a replay and a fetched result cannot drift apart.
 */

/** `202` for a queued command: where to fetch its answer, and until when it waits. */
export function accepted(id: string, requestId: string, expiresAt: number): CommandResponse {
  return {
    status: 202,
    body: {
      status: 'accepted',
      command_id: id,
      request_id: requestId,
      expires_at: new Date(expiresAt).toISOString(),
    },
  };
}

/** `202` for a retried queued command whose answer has not come yet. */
export function replayedAccepted(id: string, requestId: string): CommandResponse {
  return {
    status: 202,
    body: { status: 'accepted', command_id: id, request_id: requestId, replayed: true },
  };
}

/** `202` for a fetched result that has not come yet. */
export function pending(id: string, requestId: string): CommandResponse {
  return { status: 202, body: { status: 'pending', command_id: id, request_id: requestId } };
}

/**
 * The device's answer: `200` with its data, or its error as `DEVICE_ERROR`. An answer made
 * up by a gateway that is shutting down is thrown, as the 503 it is, not the device's.
 */
export function answered(
  id: string,
  outcome: CommandOutcome,
  requestId: string,
  started: number,
  stored?: StoredAnswer,
): CommandResponse {
  const processing = ((stored?.answered_at ?? Date.now()) - started) / 1000;
  if (!outcome.ok) {
    if (outcome.error.code === 'SHUTDOWN') {
      throw new GatewayError('SERVICE_UNAVAILABLE', 'the gateway is shutting down', {
        retryAfter: 1,
      });
    }
    return errorResponse(
      new GatewayError('DEVICE_ERROR', outcome.error.message, {
        details: { command_id: id, device_code: outcome.error.code },
      }),
      requestId,
    );
  }
  return {
    status: 200,
    body: {
      status: 'success',
      data: outcome.data,
      request_id: requestId,
      command_id: id,
      processing_time: Math.max(0, processing),
    },
  };
}

/**
 * The error envelope; anything but a `GatewayError` is a 500 that tells nothing. A call
 * refused before it has a request id (authentication) has `request_id: null`.
 */
export function errorResponse(error: unknown, requestId: string | null): CommandResponse {
  if (!(error instanceof GatewayError)) {
    return {
      status: 500,
      body: {
        status: 'error',
        status_code: 500,
        error: { code: 'INTERNAL_ERROR', message: 'internal error' },
        request_id: requestId,
      },
    };
  }
  return {
    status: error.statusCode,
    body: {
      status: 'error',
      status_code: error.statusCode,
      error: {
        code: error.code,
        message: error.message,
        ...(error.details !== undefined ? { details: error.details } : {}),
        ...(error.retryAfter !== undefined ? { retry_after: error.retryAfter } : {}),
      },
      request_id: requestId,
    },
  };
}

/** The outcome label of metrics and the dashboard's counters. */
export function outcomeOf(response: CommandResponse): string {
  if (response.status === 200) return 'answered';
  if (response.status === 202) return 'queued';
  const code = (response.body['error'] as { code?: string } | undefined)?.code ?? 'INTERNAL_ERROR';
  return code.toLowerCase();
}
