import { SecretBox } from '@baton/common';

/** The HKDF purpose of the key agent header values are encrypted with. */
export const AGENT_HEADERS_PURPOSE = 'baton agent headers v1';

/** The box agent header values are sealed in (AES-256-GCM under BATON_SECRET_KEY); a DI token of its own. */
export class AgentHeaderBox extends SecretBox {
  constructor(secretKey: string | undefined) {
    super(secretKey, AGENT_HEADERS_PURPOSE);
  }
}
