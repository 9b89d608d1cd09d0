/**
 * Whether a JSON Schema fits OpenAI's Structured Outputs strict subset, so `response_format:
 * json_schema` with `strict: true` will enforce it rather than reject the request: an object at
 * the root; every object closed (`additionalProperties: false`) with every property required
 * (optional fields must be nullable instead); only the keywords strict mode supports; at most 10
 * levels of nesting and 5,000 properties. Anything else is left to Keel's prompt mode.
 */
const SUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'description',
  'title',
  '$defs',
  '$ref',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);

const TYPES: ReadonlySet<string> = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
const MAX_DEPTH = 10;
const MAX_PROPERTIES = 5_000;
const MAX_ENUM_VALUES = 1_000;

export function fitsStrictSubset(schema: Readonly<Record<string, unknown>>): boolean {
  if (schema['type'] !== 'object') return false;
  const counter = { properties: 0 };
  if (!fits(schema, 0, counter)) return false;
  const defs = schema['$defs'];
  if (defs !== undefined) {
    if (!isRecord(defs)) return false;
    for (const def of Object.values(defs)) if (!isRecord(def) || !fits(def, 1, counter)) return false;
  }
  return counter.properties <= MAX_PROPERTIES;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fits(node: Record<string, unknown>, depth: number, counter: { properties: number }): boolean {
  if (depth > MAX_DEPTH) return false;
  for (const key of Object.keys(node)) if (!SUPPORTED_KEYWORDS.has(key)) return false;
  if (typeof node['$ref'] === 'string') return Object.keys(node).length === 1 || Object.keys(node).every((key) => key === '$ref' || key === 'description');
  if (Array.isArray(node['anyOf'])) return node['anyOf'].every((branch) => isRecord(branch) && fits(branch, depth + 1, counter));
  if ('enum' in node) {
    const values = node['enum'];
    if (!Array.isArray(values) || values.length > MAX_ENUM_VALUES) return false;
  }
  const types = Array.isArray(node['type']) ? node['type'] : [node['type']];
  // A node without a type (zod's `{}` for what JSON Schema cannot say) is not enforceable.
  if (node['type'] === undefined && !('const' in node) && !('enum' in node)) return false;
  if (!types.every((type) => type === undefined || (typeof type === 'string' && TYPES.has(type)))) return false;
  if (types.includes('object')) {
    const properties = node['properties'];
    if (!isRecord(properties) || node['additionalProperties'] !== false) return false;
    const required = Array.isArray(node['required']) ? node['required'] : [];
    const names = Object.keys(properties);
    if (names.some((name) => !required.includes(name))) return false;
    counter.properties += names.length;
    if (!names.every((name) => {
      const property = properties[name];
      return isRecord(property) && fits(property, depth + 1, counter);
    })) return false;
  }
  if (types.includes('array')) {
    const items = node['items'];
    if (!isRecord(items) || !fits(items, depth + 1, counter)) return false;
  }
  return true;
}

/** Models older than Structured Outputs (2024-08): they reject `json_schema`. */
const PRE_STRUCTURED_OUTPUTS = /^(?:gpt-3\.5|gpt-4(?:-\d|-turbo|$)|gpt-4-0)/;

export function supportsOutputSchema(model: string, schema: Readonly<Record<string, unknown>>): boolean {
  return !PRE_STRUCTURED_OUTPUTS.test(model) && fitsStrictSubset(schema);
}
