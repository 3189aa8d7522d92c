import { Inject, Injectable } from '@nestjs/common';
import { OrchestrationDefinitionService, type Definition } from '@baton/definitions';
import { PLAN_SKILL_ID, skillIdOf } from '../tasks/message-intent.js';
import type { CardView, SkillView } from './card-view.js';

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
  constructor(@Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService) {}

  async card(baseUrl: string): Promise<CardView> {
    return {
      name: 'Baton',
      description: 'An orchestration hub for multi-agent work: hand it a saved definition or an inline plan and it runs the steps on the right agents, with retries, caching, human checkpoints and live progress.',
      version: '0.1.0',
      url: `${baseUrl}/a2a`,
      documentationUrl: `${baseUrl}/`, // the landing page: links to the API reference and the dashboard
      streaming: true,
      pushNotifications: true,
      skills: [...(await this.definitionSkills()), PLAN_SKILL],
    };
  }

  private async definitionSkills(): Promise<SkillView[]> {
    const skills: SkillView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.definitions.list({ limit: 100, cursor });
      skills.push(...page.items.map(skillOf));
      cursor = page.nextCursor;
    } while (cursor && skills.length < MAX_SKILLS);
    return skills;
  }
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
