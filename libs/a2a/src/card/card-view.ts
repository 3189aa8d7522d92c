/** Baton's agent card, independent of the dialect; `card-v03.ts` and `card-v10.ts` render it. */
export interface SkillView {
  id: string;
  name: string;
  description: string;
  tags: string[];
  examples: string[];
}

export interface CardView {
  name: string;
  description: string;
  version: string;
  /** The JSON-RPC endpoint (`<base>/a2a`). */
  url: string;
  documentationUrl: string;
  streaming: boolean;
  pushNotifications: boolean;
  skills: SkillView[];
}

export const INPUT_MODES = ['application/json', 'text/plain'];
export const OUTPUT_MODES = ['application/json', 'text/plain'];

export const BEARER_DESCRIPTION =
  'A Baton API token (`Authorization: Bearer baton_...`). Submitting and reading tasks needs the agent (or admin) role; an agent may continue (decide the checkpoint of) the tasks it submitted, operators any task.';
