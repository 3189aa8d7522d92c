import { compileSchema, payloadErrors } from './payload-schema.js';

describe('payload schema errors', () => {
  const schema = {
    type: 'object',
    required: ['order_id'],
    additionalProperties: false,
    properties: { order_id: { type: 'string' }, items: { type: 'array', items: { type: 'object', required: ['sku'] } } },
  };

  it('names each bad field in the caller’s terms, missing and extra properties included', () => {
    const validate = compileSchema(schema);
    if (typeof validate === 'string') throw new Error(validate);
    expect(validate({ items: [{ sku: 'a' }, {}], colour: 'red' })).toBe(false);
    expect(payloadErrors(validate.errors ?? []).map((e) => e.path).sort()).toEqual(['payload.colour', 'payload.items[1].sku', 'payload.order_id']);
  });

  it('reports a schema that does not compile instead of throwing', () => {
    expect(typeof compileSchema({ type: 'no-such-type' })).toBe('string');
  });
});
