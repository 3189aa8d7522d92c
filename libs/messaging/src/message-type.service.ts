import { Inject, Injectable } from '@nestjs/common';
import type { ValidateFunction } from 'ajv';
import { BatonError, LruCache, type FieldError } from '@baton/common';
import { MessageTypeRepository } from './message-type.repository.js';
import type { MessageType } from './message.types.js';
import { compileSchema, payloadErrors } from './payload-schema.js';

const NAME = /^[a-z][a-z0-9_.-]{0,99}$/;
/** `name` or `name@3`. */
const REFERENCE = /^([a-z][a-z0-9_.-]{0,99})(?:@([1-9][0-9]{0,8}))?$/;

/** Registers message types (JSON Schema, versioned) and checks payloads against them. */
@Injectable()
export class MessageTypeService {
  // Versions are immutable, so a compiled validator never goes stale.
  private readonly validators = new LruCache<string, ValidateFunction>(500);

  constructor(@Inject(MessageTypeRepository) private readonly types: MessageTypeRepository) {}

  /** Stores the next version of a type; 400 naming the field when the name or schema is bad. */
  async register(input: { name?: unknown; schema?: unknown; description?: unknown }, createdBy: string): Promise<MessageType> {
    const errors: FieldError[] = [];
    if (typeof input.name !== 'string' || !NAME.test(input.name)) {
      errors.push({ path: 'name', message: 'must be lower-case letters, digits, ".", "_" or "-", starting with a letter (at most 100)' });
    }
    if (input.name === 'baton' || (typeof input.name === 'string' && input.name.startsWith('baton.'))) {
      errors.push({ path: 'name', message: 'names starting with "baton." are reserved' });
    }
    const schema = input.schema;
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      errors.push({ path: 'schema', message: 'must be a JSON Schema object' });
    } else {
      const compiled = compileSchema(schema as Record<string, unknown>);
      if (typeof compiled === 'string') errors.push({ path: 'schema', message: `does not compile: ${compiled}` });
    }
    if (input.description !== undefined && typeof input.description !== 'string') {
      errors.push({ path: 'description', message: 'must be a string' });
    }
    if (errors.length > 0) throw BatonError.validation(errors);
    const fields = {
      name: input.name as string,
      schema: schema as Record<string, unknown>,
      description: (input.description as string | undefined) ?? null,
      createdBy,
    };
    try {
      return await this.types.insertNextVersion(fields);
    } catch (error) {
      // Two registrations of one name raced for the same version: take the next one.
      if ((error as { code?: string }).code !== '23505') throw error;
      return this.types.insertNextVersion(fields);
    }
  }

  async get(name: string, version?: number): Promise<MessageType> {
    const type = await this.types.find(name, version);
    if (!type) throw BatonError.notFound('message type', version ? `${name}@${version}` : name);
    return type;
  }

  list(): Promise<MessageType[]> {
    return this.types.listLatest();
  }

  /**
   * The type a message names (`name` = latest, `name@3` = that version) with its payload
   * checked. Throws a 400 naming `type`, or each bad payload field.
   */
  async check(reference: string, payload: unknown): Promise<MessageType> {
    const parsed = REFERENCE.exec(reference);
    if (!parsed) throw BatonError.validation([{ path: 'type', message: 'must be a message type name, optionally with @version' }]);
    const type = await this.types.find(parsed[1]!, parsed[2] ? Number(parsed[2]) : undefined);
    if (!type) throw BatonError.validation([{ path: 'type', message: `message type ${reference} is not registered` }]);
    const validate = this.validatorOf(type);
    if (!validate(payload)) throw BatonError.validation(payloadErrors(validate.errors ?? []));
    return type;
  }

  private validatorOf(type: MessageType): ValidateFunction {
    const key = `${type.name}@${type.version}`;
    let validate = this.validators.get(key);
    if (!validate) {
      const compiled = compileSchema(type.schema);
      if (typeof compiled === 'string') throw new BatonError('invalid_state', `message type ${key} no longer compiles: ${compiled}`);
      validate = compiled;
      this.validators.set(key, validate);
    }
    return validate;
  }
}
