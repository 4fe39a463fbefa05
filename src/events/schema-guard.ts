import type * as v from "valibot";
import { isCanonicalTimestamp, Timestamp } from "./timestamp.ts";

/** True when valibot would accept `value` unchanged (same output, no issues). */
export type Guard = (value: unknown) => boolean;

// Keys valibot's loose objects drop from their output; input holding one must take the schema path.
const DROPPED_KEYS = ["__proto__", "prototype", "constructor"];

type AnySchema = v.GenericSchema & Record<string, unknown>;
type AnyAction = { kind: string; type: string; requirement?: unknown };

/**
 * Compiles a valibot schema into a plain predicate, for the hot path of parsing. Only the schema and action
 * kinds the catalog uses are understood; anything else (notably transforms and defaults, which change the
 * output) returns `undefined`, and the caller keeps using valibot. The guard never explains a failure: the
 * caller then runs the real schema, which does.
 */
export function compileGuard(schema: v.GenericSchema): Guard | undefined {
  // A timestamp is rewritten into the form we write; one already in that form comes out unchanged, so the guard
  // accepts only that form and leaves any other spelling to the schema, which normalises it.
  if (schema === (Timestamp as v.GenericSchema)) {
    return (value) => typeof value === "string" && isCanonicalTimestamp(value);
  }
  const s = schema as AnySchema;
  const pipe = s.pipe as readonly (AnySchema | AnyAction)[] | undefined;
  if (pipe === undefined) return compileSchema(s);
  const [root, ...actions] = pipe;
  const base = compileSchema(root as AnySchema);
  const checks = actions.map((action) => compileAction(action as AnyAction));
  if (base === undefined || checks.some((check) => check === undefined)) return undefined;
  const all = checks as Guard[];
  return (value) => base(value) && all.every((check) => check(value));
}

function compileSchema(s: AnySchema): Guard | undefined {
  if (s.pipe !== undefined) return compileGuard(s);
  switch (s.type) {
    case "string":
      return (value) => typeof value === "string";
    case "number":
      return (value) => typeof value === "number" && !Number.isNaN(value);
    case "boolean":
      return (value) => typeof value === "boolean";
    case "unknown":
      return () => true;
    case "custom": {
      const check = s.check as (input: unknown) => boolean;
      return (value) => check(value);
    }
    case "picklist": {
      const options = s.options as readonly unknown[];
      return (value) => options.includes(value);
    }
    case "optional": {
      if (s.default !== undefined) return undefined;
      const wrapped = compileGuard(s.wrapped as v.GenericSchema);
      return wrapped && ((value) => value === undefined || wrapped(value));
    }
    case "array": {
      const item = compileGuard(s.item as v.GenericSchema);
      return item && ((value) => Array.isArray(value) && value.every(item));
    }
    case "loose_object":
      return compileLooseObject(s.entries as Record<string, v.GenericSchema>);
    default:
      return undefined;
  }
}

function compileLooseObject(entries: Record<string, v.GenericSchema>): Guard | undefined {
  const fields: { key: string; optional: boolean; guard: Guard }[] = [];
  for (const [key, schema] of Object.entries(entries)) {
    const guard = compileGuard(schema);
    if (guard === undefined) return undefined;
    fields.push({ key, optional: schema.type === "optional", guard });
  }
  return (value) => {
    if (typeof value !== "object" || value === null) return false;
    const object = value as Record<string, unknown>;
    for (const { key, optional, guard } of fields) {
      if (key in object ? !guard(object[key]) : !optional) return false;
    }
    return !DROPPED_KEYS.some((key) => Object.hasOwn(object, key));
  };
}

function compileAction(action: AnyAction): Guard | undefined {
  if (action.kind === "metadata") return () => true;
  const requirement = action.requirement;
  switch (action.type) {
    case "non_empty":
      return (value) => (value as string).length > 0;
    case "min_length":
      return (value) => (value as string).length >= (requirement as number);
    case "max_length":
      return (value) => (value as string).length <= (requirement as number);
    case "min_value":
      return (value) => (value as number) >= (requirement as number);
    case "max_value":
      return (value) => (value as number) <= (requirement as number);
    case "integer":
      return (value) => Number.isInteger(value);
    case "regex":
      return (value) => (requirement as RegExp).test(value as string);
    case "check":
      return (value) => (requirement as (input: unknown) => boolean)(value);
    default:
      return undefined;
  }
}
