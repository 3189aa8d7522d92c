import { useState, type ReactNode } from 'react';
import type { JsonSchema } from '../api';

/**
 * A form generated from a checkpoint's JSON Schema: objects become fieldsets, strings text
 * inputs (or a select for `enum`), numbers number inputs, booleans checkboxes; anything else
 * (arrays, schemas without a type) a JSON text area. `errors` maps a field path (`title`,
 * `draft.text`, as the server names them after `payload.`) to its message, shown under it.
 */
export function SchemaForm(props: {
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  errors: Record<string, string>;
  path?: string;
  label?: string;
  required?: boolean;
}) {
  const { schema, value, onChange, errors } = props;
  const path = props.path ?? '';
  const id = `field-${path || 'payload'}`;
  const error = errors[path];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  const label = (
    <span className="field-label">
      {schema.title ?? props.label ?? 'payload'}
      {props.required && <span aria-hidden="true"> *</span>}
    </span>
  );
  const describedBy = error ? `${id}-error` : undefined;
  const errorLine = error && (
    <p className="field-error" id={`${id}-error`} role="alert">
      {error}
    </p>
  );

  if ((type === 'object' || (!type && schema.properties)) && schema.properties) {
    const object = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    return (
      <fieldset className="schema-object" aria-describedby={describedBy}>
        {path && <legend>{label}</legend>}
        {schema.description && <p className="muted">{schema.description}</p>}
        {Object.entries(schema.properties).map(([key, child]) => (
          <SchemaForm
            key={key}
            schema={child}
            label={key}
            required={schema.required?.includes(key)}
            value={object[key]}
            path={path ? `${path}.${key}` : key}
            errors={errors}
            onChange={(next) => {
              const copy = { ...object };
              if (next === undefined) delete copy[key];
              else copy[key] = next;
              onChange(copy);
            }}
          />
        ))}
        {errorLine}
      </fieldset>
    );
  }
  if (type === 'string' && Array.isArray(schema.enum)) {
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <select id={id} value={typeof value === 'string' ? value : ''} aria-invalid={Boolean(error)} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value || undefined)}>
          <option value="">—</option>
          {schema.enum.map((option) => (
            <option key={String(option)}>{String(option)}</option>
          ))}
        </select>
        {errorLine}
      </div>
    );
  }
  if (type === 'string') {
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input id={id} type="text" value={typeof value === 'string' ? value : ''} aria-invalid={Boolean(error)} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)} />
        {errorLine}
      </div>
    );
  }
  if (type === 'number' || type === 'integer') {
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type="number"
          step={type === 'integer' ? 1 : 'any'}
          value={typeof value === 'number' ? value : ''}
          aria-invalid={Boolean(error)}
          aria-describedby={describedBy}
          onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
        />
        {errorLine}
      </div>
    );
  }
  if (type === 'boolean') {
    return (
      <div className="field checkbox">
        <label>
          <input type="checkbox" id={id} checked={value === true} aria-describedby={describedBy} onChange={(e) => onChange(e.target.checked)} /> {label}
        </label>
        {errorLine}
      </div>
    );
  }
  return <JsonField id={id} label={label} value={value} onChange={onChange} error={error} />;
}

/** Free JSON, for arrays and schemas the form does not know how to draw. */
export function JsonField(props: { id: string; label: ReactNode; value: unknown; onChange: (value: unknown) => void; error?: string }) {
  const [text, setText] = useState(() => (props.value === undefined ? '' : JSON.stringify(props.value, null, 2)));
  const [parseError, setParseError] = useState<string | null>(null);
  const error = parseError ?? props.error;
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <textarea
        id={props.id}
        rows={Math.min(12, Math.max(3, text.split('\n').length))}
        value={text}
        spellCheck={false}
        aria-invalid={Boolean(error)}
        aria-describedby={error ? `${props.id}-error` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === '') {
            setParseError(null);
            return props.onChange(undefined);
          }
          try {
            props.onChange(JSON.parse(e.target.value));
            setParseError(null);
          } catch {
            setParseError('not valid JSON');
          }
        }}
      />
      {error && (
        <p className="field-error" id={`${props.id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * The server's validation details for a decision (`payload.title: must be string`, or
 * `payload: must have required property 'title'`) as field errors of the form.
 */
export function fieldErrors(details: Array<{ path: string; message: string }>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const detail of details) {
    if (!detail.path.startsWith('payload')) continue;
    let path = detail.path.replace(/^payload\.?/, '').replace(/\[(\d+)\]/g, '.$1');
    let message = detail.message;
    const missing = /must have required property '([^']+)'/.exec(message);
    if (missing) {
      path = path ? `${path}.${missing[1]}` : missing[1]!;
      message = 'required';
    }
    errors[path] = errors[path] ? `${errors[path]}; ${message}` : message;
  }
  return errors;
}
