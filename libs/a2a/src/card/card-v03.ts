import { BEARER_DESCRIPTION, INPUT_MODES, OUTPUT_MODES, cardExtensions, type CardView } from './card-view.js';

/**
 * The card in the A2A v0.3 shape (`protocolVersion`, `url`, `preferredTransport`). `security`
 * only when tokens are required; the extended card carries the caller as an extension, every card the call-token one.
 */
export function renderCardV03(card: CardView): Record<string, unknown> {
  const capabilities: Record<string, unknown> = {
    streaming: card.streaming,
    pushNotifications: card.pushNotifications,
    stateTransitionHistory: false,
    extensions: cardExtensions(card),
  };
  const rendered: Record<string, unknown> = {
    protocolVersion: '0.3.0',
    name: card.name,
    description: card.description,
    version: card.version,
    url: card.url,
    preferredTransport: 'JSONRPC',
    additionalInterfaces: [
      { url: card.url, transport: 'JSONRPC' },
      { url: card.restV03Url, transport: 'HTTP+JSON' },
    ],
    documentationUrl: card.documentationUrl,
    capabilities,
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: BEARER_DESCRIPTION } },
    defaultInputModes: INPUT_MODES,
    defaultOutputModes: OUTPUT_MODES,
    skills: card.skills.map((skill) => ({ ...skill, inputModes: INPUT_MODES, outputModes: OUTPUT_MODES })),
    supportsAuthenticatedExtendedCard: true,
  };
  if (card.authRequired) rendered.security = [{ bearer: [] }];
  return rendered;
}
