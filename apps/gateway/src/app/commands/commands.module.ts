import { Module } from '@nestjs/common';
import { ObservabilityModule } from '../observability/observability.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { StateModule } from '../state/state.module';
import { CommandCallerAuth } from './command-caller.auth';
import { CommandConnection } from './command.connection';
import { CommandsController } from './commands.controller';
import { CommandsService } from './commands.service';

/**
 * Commands to devices: the way back from a service to a device, over HTTP, with its own
 * MQTT connection. Authentication comes from the pipeline's verifiers, limits and records
 * from the shared state.
 */
@Module({
  imports: [PipelineModule, StateModule, ObservabilityModule],
  controllers: [CommandsController],
  providers: [CommandConnection, CommandsService, CommandCallerAuth],
  exports: [CommandsService],
})
export class CommandsModule {}
