import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { BatonError, type FieldError } from '../baton-error.js';

/** Flattens class-validator's nested errors into one entry per field, with a dotted path. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const result: FieldError[] = [];
  for (const error of errors) {
    const path = /^\d+$/.test(error.property)
      ? `${prefix}[${error.property}]`
      : prefix
        ? `${prefix}.${error.property}`
        : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      result.push({ path, message: message.replace(/^property \S+ /, '') });
    }
    if (error.children?.length) result.push(...flattenValidationErrors(error.children, path));
  }
  return result;
}

/** The global pipe: unknown fields are refused, every error names its field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => BatonError.validation(flattenValidationErrors(errors)),
  });
}
