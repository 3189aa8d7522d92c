import { parseTemplate, TemplateSyntaxError } from './template-parser.js';
import { renderTemplate, type TemplateContext } from './template-render.js';
import { parseTemplateReferences, scanTemplates } from './template-scan.js';

const context: TemplateContext = {
  input: { topic: 'bees', items: ['a', 'b'], nested: { n: 2 }, empty: null },
  steps: { fetch: { output: { list: [1, 2, 3], text: 'hi' }, status: 'completed' } },
  item: { name: 'x' },
  index: 4,
  run: { id: 'run-1' },
};

describe('renderTemplate', () => {
  it('yields the raw value for a string that is exactly one expression', () => {
    expect(renderTemplate('{{ steps.fetch.output.list }}', context)).toEqual([1, 2, 3]);
    expect(renderTemplate('  {{input.nested}}  ', context)).toEqual({ n: 2 });
    expect(renderTemplate('{{ index }}', context)).toBe(4);
  });

  it('interpolates mixed text, JSON-stringifying non-strings and blanking null or missing values', () => {
    expect(renderTemplate('about {{ input.topic }}: {{ input.nested }}', context)).toBe('about bees: {"n":2}');
    expect(renderTemplate('[{{ input.empty }}|{{ input.nope.deeper }}]', context)).toBe('[|]');
    expect(renderTemplate('{{ run.id }}/{{ item.name }}/{{ steps.fetch.status }}', context)).toBe('run-1/x/completed');
  });

  it('renders deep over objects and arrays, leaving keys and non-strings alone', () => {
    const template = { '{{ input.topic }}': ['{{ input.items[1] }}', 7, true, null], q: { t: '{{ steps.fetch.output.text }}' } };
    expect(renderTemplate(template, context)).toEqual({ '{{ input.topic }}': ['b', 7, true, null], q: { t: 'hi' } });
  });

  it('renders a missing path as undefined rather than throwing', () => {
    expect(renderTemplate('{{ steps.absent.output.x }}', context)).toBeUndefined();
    expect(renderTemplate('{{ input.items[9] }}', context)).toBeUndefined();
    expect(renderTemplate('{{ input.topic.length }}', context)).toBeUndefined();
  });

  it('does not reach inherited properties such as __proto__ or constructor', () => {
    expect(renderTemplate('{{ input.constructor }}', context)).toBeUndefined();
    expect(renderTemplate('{{ input["__proto__"] }}', context)).toBeUndefined();
  });

  it('supports bracketed keys with quotes', () => {
    const ctx = { ...context, input: { 'a key': { 'b.c': 1 } } };
    expect(renderTemplate(`{{ input['a key']["b.c"] }}`, ctx)).toBe(1);
  });
});

describe('parseTemplate', () => {
  it.each([
    ['{{ input.a', /unclosed/],
    ['{{ }}', /empty expression/],
    ['{{ env.HOME }}', /must start with input, steps, item, index, run or iteration/],
    ['{{ steps.a }}', /steps.<id>.output, steps.<id>.status or steps.<id>.iterations/],
    ['{{ steps.a.status.code }}', /status has no fields/],
    ['{{ run.name }}', /only run.id/],
    ['{{ index.x }}', /no fields/],
    ['{{ input..a }}', /expected a name/],
    ['{{ input[x] }}', /expected \[number\]/],
    ['{{ input + 1 }}', /unexpected/],
  ])('rejects %s', (text, message) => {
    expect(() => parseTemplate(text)).toThrow(TemplateSyntaxError);
    expect(() => parseTemplate(text)).toThrow(message);
  });

  it('treats text without {{ as one literal part', () => {
    expect(parseTemplate('plain }} text')).toEqual({ parts: [{ text: 'plain }} text' }], raw: false });
  });

  it('is raw only for a single expression with nothing but whitespace around it', () => {
    expect(parseTemplate('{{ input }}').raw).toBe(true);
    expect(parseTemplate('x{{ input }}').raw).toBe(false);
    expect(parseTemplate('{{ input }}{{ index }}').raw).toBe(false);
  });
});

describe('parseTemplateReferences', () => {
  it('lists each referenced step once, from anywhere inside a JSON value', () => {
    const value = { a: ['{{ steps.one.output }}', { b: 'x {{ steps.two.status }} {{ steps.one.output.y }}' }], c: '{{ input.q }}' };
    expect(parseTemplateReferences(value)).toEqual(['one', 'two']);
  });

  it('skips strings that do not parse', () => {
    expect(parseTemplateReferences(['{{ steps.ok.output }}', '{{ steps.bad'])).toEqual(['ok']);
  });
});

describe('scanTemplates', () => {
  it('names the path of each syntax error in the caller terms', () => {
    const scan = scanTemplates({ query: '{{ input.q', list: ['ok', '{{ nope }}'], 'odd key': '{{ }}' }, 'steps[2].input');
    expect(scan.errors.map((e) => e.path)).toEqual(['steps[2].input.query', 'steps[2].input.list[1]', 'steps[2].input["odd key"]']);
  });
});
