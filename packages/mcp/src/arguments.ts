import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** A tool's arguments that break its schema: the field at fault (a JSON path, `$` for the whole object) and why. */
export interface ArgumentProblem {
  field: string;
  message: string;
}

// Manifests are written for upstream's lenient preflight: unknown keywords and formats must not stop a tool from loading.
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false, addUsedSchema: false });
const validators = new WeakMap<object, ValidateFunction | null>();

function validatorOf(schema: object): ValidateFunction | null {
  let validate = validators.get(schema);
  if (validate === undefined) {
    try {
      validate = ajv.compile(schema);
    } catch {
      validate = null; // a schema this validator cannot read is left to the plugin, as before
    }
    validators.set(schema, validate);
  }
  return validate;
}

function fieldOf(error: ErrorObject): string {
  const segments = error.instancePath.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') segments.push(String((error.params as { missingProperty: string }).missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String((error.params as { additionalProperty: string }).additionalProperty));
  return segments.reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`), '$');
}

/**
 * Checks a call's arguments against the tool's JSON Schema (the manifest's
 * `parameters`); null when they conform, or when the schema cannot be compiled.
 * Compiled validators are cached per schema object.
 */
export function checkArguments(schema: object, args: unknown): ArgumentProblem | null {
  const validate = validatorOf(schema);
  if (!validate || validate(args)) return null;
  const [error] = validate.errors ?? [];
  if (!error) return null;
  const field = fieldOf(error);
  const message = error.keyword === 'required' ? 'is required' : error.keyword === 'additionalProperties' ? 'is not allowed' : (error.message ?? 'is not valid');
  return { field, message };
}
