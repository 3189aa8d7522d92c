import { Inject, Injectable } from '@nestjs/common';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FieldError } from '@baton/common';
import { PATTERN_NAMES, type PatternName } from '../pattern.types.js';
import { isObject, type Json } from '../validation/field-reader.js';
import { CustomPatternRepository, type CustomPattern } from './custom-pattern.repository.js';

const ajv = new Ajv({ strict: false, allErrors: true });

interface CustomUse {
  path: string;
  name: string;
  settings: unknown;
}

/**
 * The part of a definition's validation that needs the database: a step naming a custom
 * pattern must name a registered one, and its `settings` must fit that pattern's schema.
 */
@Injectable()
export class CustomPatternCheck {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(@Inject(CustomPatternRepository) private readonly patterns: CustomPatternRepository) {}

  async check(body: Json): Promise<FieldError[]> {
    const uses = customUses(body);
    if (uses.length === 0) return [];
    const found = await this.patterns.latest([...new Set(uses.map((u) => u.name))]);
    const errors: FieldError[] = [];
    for (const use of uses) {
      const pattern = found.get(use.name);
      if (!pattern) {
        errors.push({ path: `${use.path}.pattern`, message: `unknown pattern "${use.name}" (built in: ${PATTERN_NAMES.join(', ')}; no custom pattern of that name is registered)` });
        continue;
      }
      const validate = this.validatorOf(pattern);
      if (!validate(use.settings ?? {})) {
        for (const e of validate.errors ?? []) {
          errors.push({ path: `${use.path}.settings${e.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`, message: e.message ?? 'is invalid' });
        }
      }
    }
    return errors;
  }

  private validatorOf(pattern: CustomPattern): ValidateFunction {
    const key = `${pattern.name}@${pattern.version}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = ajv.compile(pattern.settingsSchema);
      if (this.validators.size > 500) this.validators.clear();
      this.validators.set(key, validate);
    }
    return validate;
  }
}

/** Steps (and the shortcut) that name a pattern which is not built in. */
function customUses(body: Json): CustomUse[] {
  const custom = (name: unknown): name is string => typeof name === 'string' && !PATTERN_NAMES.includes(name as PatternName);
  const uses: CustomUse[] = [];
  if (Array.isArray(body.steps)) {
    body.steps.forEach((step: unknown, i: number) => {
      if (isObject(step) && step.type === 'pattern' && custom(step.pattern)) uses.push({ path: `steps[${i}]`, name: step.pattern, settings: step.settings });
    });
  }
  const orchestration = body.orchestration;
  if (isObject(orchestration) && custom(orchestration.pattern)) uses.push({ path: 'orchestration', name: orchestration.pattern, settings: orchestration.settings });
  return uses;
}

/** Whether `schema` compiles as a JSON Schema; the compiler's message when it does not. */
export function schemaProblem(schema: unknown): string | null {
  try {
    ajv.compile(schema as Record<string, unknown>);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
