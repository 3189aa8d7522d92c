import { BEARER_DESCRIPTION, INPUT_MODES, OUTPUT_MODES, type CardView } from './card-view.js';

/** The card in the A2A v0.3 shape (`protocolVersion`, `url`, `preferredTransport`). */
export function renderCardV03(card: CardView): Record<string, unknown> {
  return {
    protocolVersion: '0.3.0',
    name: card.name,
    description: card.description,
    version: card.version,
    url: card.url,
    preferredTransport: 'JSONRPC',
    additionalInterfaces: [{ url: card.url, transport: 'JSONRPC' }],
    documentationUrl: card.documentationUrl,
    capabilities: { streaming: card.streaming, pushNotifications: card.pushNotifications, stateTransitionHistory: false },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: BEARER_DESCRIPTION } },
    security: [{ bearer: [] }],
    defaultInputModes: INPUT_MODES,
    defaultOutputModes: OUTPUT_MODES,
    skills: card.skills.map((skill) => ({ ...skill, inputModes: INPUT_MODES, outputModes: OUTPUT_MODES })),
  };
}
