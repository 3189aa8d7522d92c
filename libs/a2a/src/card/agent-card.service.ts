import { Inject, Injectable } from '@nestjs/common';
import { CALL_TOKEN_HEADER } from '@baton/agents';
import { BatonConfig } from '@baton/common';
import { OrchestrationDefinitionService, type Definition } from '@baton/definitions';
import { AccessService, PERMISSIONS, roleAllows, type Principal } from '@baton/identity';
import { PLAN_SKILL_ID, skillIdOf } from '../tasks/message-intent.js';
import { TaskAccess } from '../tasks/task-access.js';
import type { CallerView, CardView, SkillView } from './card-view.js';

/** At most this many saved definitions become skills (pages of 100). */
const MAX_SKILLS = 1_000;

const PLAN_SKILL: SkillView = {
  id: PLAN_SKILL_ID,
  name: 'Orchestrate a plan',
  description:
    'Runs an inline plan: a graph of steps on Baton\'s agents, with retries, caching and human checkpoints. Send a data part { plan: { steps: [...] }, input }.',
  tags: ['orchestration', 'plan'],
  examples: ['{"plan":{"steps":[{"id":"hello","agent":"builtin:transform","input":{"greeting":"{{ input.name }}"}}]},"input":{"name":"Ada"}}'],
};

/** Builds Baton's agent card: one skill per saved definition (latest version) plus the plan skill. */
@Injectable()
export class AgentCardService {
  /** Whole seconds: `Last-Modified` has no finer resolution. */
  private readonly startedAt = new Date(Math.floor(Date.now() / 1000) * 1000);

  constructor(
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(TaskAccess) private readonly tasks: TaskAccess,
  ) {}

  /** The authenticated extended card: the public card plus who the caller is and may do. */
  async extendedCard(baseUrl: string, principal: Principal): Promise<CardView> {
    return { ...(await this.card(baseUrl)), caller: callerOf(principal, this.tasks.seesAll(principal)) };
  }

  async card(baseUrl: string): Promise<CardView> {
    const definitions = await this.latestDefinitions();
    const newest = Math.max(this.startedAt.getTime(), ...definitions.map((d) => Math.floor(d.createdAt.getTime() / 1000) * 1000));
    return {
      name: 'Baton',
      description: 'An orchestration hub for multi-agent work: hand it a saved definition or an inline plan and it runs the steps on the right agents, with retries, caching, human checkpoints and live progress.',
      version: '0.1.0',
      url: `${baseUrl}/a2a`,
      restUrl: `${baseUrl}/a2a/v1`,
      restV03Url: `${baseUrl}/a2a/v0.3`,
      documentationUrl: `${baseUrl}/`, // the landing page: links to the API reference and the dashboard
      streaming: true,
      pushNotifications: true,
      skills: [...definitions.map(skillOf), PLAN_SKILL],
      authRequired: await this.access.isAuthEnabled(),
      lastModified: new Date(newest),
      callTokens: { jwksUri: `${baseUrl}/.well-known/jwks.json`, issuer: this.config.publicUrl, header: CALL_TOKEN_HEADER, algorithm: 'EdDSA' },
    };
  }

  private async latestDefinitions(): Promise<Definition[]> {
    const found: Definition[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.definitions.list({ limit: 100, cursor });
      found.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && found.length < MAX_SKILLS);
    return found;
  }
}

function callerOf(principal: Principal, seesAllTasks: boolean): CallerView {
  if ('anonymous' in principal) {
    return { name: 'anonymous', role: null, permissions: [...PERMISSIONS], tasks: 'all', decisions: 'all' };
  }
  return {
    name: principal.name,
    role: principal.role,
    permissions: PERMISSIONS.filter((permission) => roleAllows(principal.role, permission)),
    tasks: seesAllTasks ? 'all' : 'own',
    decisions: roleAllows(principal.role, 'approvals.decide') ? 'all' : 'agent_input of its own tasks',
  };
}

function skillOf(definition: Definition): SkillView {
  const id = skillIdOf(definition);
  return {
    id,
    name: definition.name,
    description: definition.description || `Runs the definition ${definition.name} (version ${definition.version}, ${definition.steps.length} steps).`,
    tags: ['definition', `version:${definition.version}`],
    examples: [JSON.stringify({ definition: { name: definition.name }, input: {} }), id],
  };
}
