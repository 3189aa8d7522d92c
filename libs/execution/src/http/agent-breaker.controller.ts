import { Controller, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { AgentWaitService } from '@baton/runs';
import { AgentBreakerService, type AgentBreakerView } from '../breakers/agent-breaker.service.js';

/** `POST /api/v1/agents/:name/breaker/reset`: an operator closes an agent's breaker. */
@Controller('api/v1/agents')
export class AgentBreakerController {
  constructor(
    @Inject(AgentBreakerService) private readonly breakers: AgentBreakerService,
    @Inject(AgentWaitService) private readonly waits: AgentWaitService,
  ) {}

  /** Closes the breaker (whatever its state) and puts the steps parked behind it back in the queue. */
  @Post(':name/breaker/reset')
  @HttpCode(HttpStatus.OK)
  async reset(@Param('name') name: string): Promise<AgentBreakerView> {
    const view = await this.breakers.reset(name);
    await this.waits.wakeAll();
    return view;
  }
}
