/**
 * A step's input, written as JSON in which strings may refer to the run's input and to earlier steps'
 * outputs: `"{{input.text}}"`, `"{{steps.summarize.output.summary}}"`. A string that is exactly one reference
 * takes the referred value as it is (an object stays an object); a reference inside other text is
 * interpolated as text (JSON for objects). Hand-written: a template engine would bring a language the
 * workflow file does not need, and JSON paths are all a step's input refers to.
 */

const REFERENCE = /\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}$/;

export interface TemplateScope {
  input: Record<string, unknown>;
  /** Outputs of the finished steps, by step id. */
  steps: Record<string, { output: unknown }>;
}

/** What a reference names: the run's input, or a step's output. */
export type Reference = { kind: "input"; path: string[] } | { kind: "step"; step: string; path: string[] } | { kind: "invalid"; text: string };

/** Every reference in a template, for checking a workflow when it is loaded. */
export function referencesOf(template: unknown): Reference[] {
  const found: Reference[] = [];
  visit(template, (text) => {
    for (const match of text.matchAll(REFERENCE)) found.push(parseReference(match[1]!));
  });
  return found;
}

export function parseReference(text: string): Reference {
  const [root, ...rest] = text.split(".");
  if (root === "input") return { kind: "input", path: rest };
  if (root === "steps" && rest.length >= 2 && rest[1] === "output") return { kind: "step", step: rest[0]!, path: rest.slice(2) };
  return { kind: "invalid", text };
}

/** The template with every reference replaced; a reference to nothing gives `undefined` (or "" in text). */
export function render(template: unknown, scope: TemplateScope): unknown {
  if (typeof template === "string") {
    const whole = WHOLE.exec(template);
    if (whole) return resolve(parseReference(whole[1]!), scope);
    return template.replace(REFERENCE, (_, name: string) => asText(resolve(parseReference(name), scope)));
  }
  if (Array.isArray(template)) return template.map((item) => render(item, scope));
  if (typeof template === "object" && template !== null) {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, render(value, scope)]));
  }
  return template;
}

/** The value a reference names, or undefined when the path leads nowhere. */
export function resolve(reference: Reference, scope: TemplateScope): unknown {
  if (reference.kind === "invalid") return undefined;
  const root = reference.kind === "input" ? scope.input : scope.steps[reference.step]?.output;
  return reference.path.reduce<unknown>((value, key) => (typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined), root);
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function visit(value: unknown, onString: (text: string) => void): void {
  if (typeof value === "string") onString(value);
  else if (Array.isArray(value)) value.forEach((item) => visit(item, onString));
  else if (typeof value === "object" && value !== null) Object.values(value).forEach((item) => visit(item, onString));
}
