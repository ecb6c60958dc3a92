// A small JSON Schema (2020-12 subset) validator for the tests: exactly the keywords the
// API's schemas use, and an error for any keyword it does not know, so none is ignored.

export type Schema = Record<string, unknown>;

const KNOWN = new Set([
  "$ref",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "oneOf",
  "anyOf",
  "minimum",
  "maximum",
  "maxLength",
  "maxItems",
  "description",
]);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  return expected === actual || (expected === "number" && actual === "integer");
}

/** Errors as "path: message"; [] when the value is valid. */
export function validate(value: unknown, schema: Schema, components: Record<string, Schema>, path = "$"): string[] {
  for (const keyword of Object.keys(schema)) if (!KNOWN.has(keyword)) return [`${path}: validator does not know keyword ${keyword}`];
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = components[name];
    return target ? validate(value, target, components, path) : [`${path}: unresolved $ref ${schema.$ref}`];
  }
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(t, value))) return [`${path}: expected ${types.join("|")}, got ${typeOf(value)}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).some((v) => v === value))
    errors.push(`${path}: ${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}`);
  if ("const" in schema && schema.const !== value) errors.push(`${path}: expected const ${JSON.stringify(schema.const)}`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${path}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) errors.push(`${path}: ${value} > maximum ${schema.maximum}`);
  }
  if (typeof value === "string" && typeof schema.maxLength === "number" && value.length > schema.maxLength)
    errors.push(`${path}: longer than ${schema.maxLength}`);
  if (Array.isArray(value) && typeof schema.maxItems === "number" && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => errors.push(...validate(item, schema.items as Schema, components, `${path}[${i}]`)));
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? []) if (!(name in object)) errors.push(`${path}: missing required ${name}`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [name, item] of Object.entries(object)) {
      if (properties[name]) errors.push(...validate(item, properties[name], components, `${path}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${name}`);
      else if (typeof schema.additionalProperties === "object")
        errors.push(...validate(item, schema.additionalProperties as Schema, components, `${path}.${name}`));
    }
  }
  if (schema.oneOf) {
    const passing = (schema.oneOf as Schema[]).filter((s) => validate(value, s, components, path).length === 0).length;
    if (passing !== 1) errors.push(`${path}: matches ${passing} of oneOf's ${(schema.oneOf as Schema[]).length} schemas (needs exactly 1)`);
  }
  if (schema.anyOf && !(schema.anyOf as Schema[]).some((s) => validate(value, s, components, path).length === 0)) errors.push(`${path}: matches none of anyOf`);
  return errors;
}
