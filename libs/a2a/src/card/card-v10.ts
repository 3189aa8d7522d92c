import { AgentCard } from '@a2a-js/sdk';
import { BEARER_DESCRIPTION, INPUT_MODES, OUTPUT_MODES, cardExtensions, type CardView } from './card-view.js';

/**
 * The card in the A2A v1.0 shape, written by the SDK's codec. It lists the one endpoint
 * twice, as v1.0 and as v0.3: the dialect is chosen per request by the `A2A-Version` header.
 * `securityRequirements` only when tokens are required; the extended card carries the caller
 * as an extension.
 */
export function renderCardV10(card: CardView): unknown {
  return AgentCard.toJSON({
    name: card.name,
    description: card.description,
    supportedInterfaces: [
      { url: card.url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' },
      { url: card.restUrl, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: '1.0' },
      { url: card.url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '0.3' },
    ],
    provider: undefined,
    version: card.version,
    documentationUrl: card.documentationUrl,
    capabilities: {
      streaming: card.streaming,
      pushNotifications: card.pushNotifications,
      extensions: cardExtensions(card),
      extendedAgentCard: true,
    },
    securitySchemes: {
      bearer: { scheme: { $case: 'httpAuthSecurityScheme', value: { description: BEARER_DESCRIPTION, scheme: 'Bearer', bearerFormat: '' } } },
    },
    securityRequirements: card.authRequired ? [{ schemes: { bearer: { list: [] } } }] : [],
    defaultInputModes: INPUT_MODES,
    defaultOutputModes: OUTPUT_MODES,
    skills: card.skills.map((skill) => ({ ...skill, inputModes: INPUT_MODES, outputModes: OUTPUT_MODES, securityRequirements: [] })),
    signatures: [],
  });
}
