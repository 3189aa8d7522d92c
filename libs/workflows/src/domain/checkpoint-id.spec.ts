import { checkpointIdOf } from './checkpoint-id.js';

const RUN = '0b6f3c2e-8d1a-4f5b-9c7e-2a4d6e8f0a1b';

describe('checkpointIdOf', () => {
  it('is a v5 UUID that depends only on the run and the pause event', () => {
    const id = checkpointIdOf(RUN, 7);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(checkpointIdOf(RUN, 7)).toBe(id);
  });

  it('differs for another pause of the run and for another run', () => {
    expect(checkpointIdOf(RUN, 8)).not.toBe(checkpointIdOf(RUN, 7));
    expect(checkpointIdOf('1b6f3c2e-8d1a-4f5b-9c7e-2a4d6e8f0a1b', 7)).not.toBe(checkpointIdOf(RUN, 7));
  });
});
