/** How spans leave the process; undefined exports nothing (the default). */
export type SpanExport =
  | { kind: "otlp"; url: string; protocol: OtlpProtocol; headers: Record<string, string> }
  | { kind: "zipkin"; url: string };

export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
export const SAMPLERS = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TracingConfig {
  export: SpanExport | undefined;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler: { name: SamplerName; ratio: number };
}

/** The OTEL_* settings, validated by config.ts. */
export interface TracingSettings {
  OTEL_SDK_DISABLED: boolean;
  OTEL_SERVICE_NAME?: string;
  OTEL_RESOURCE_ATTRIBUTES?: Record<string, string>;
  OTEL_TRACES_EXPORTER: "otlp" | "zipkin" | "none";
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_PROTOCOL?: OtlpProtocol;
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: OtlpProtocol;
  OTEL_EXPORTER_OTLP_HEADERS?: Record<string, string>;
  OTEL_EXPORTER_OTLP_TRACES_HEADERS?: Record<string, string>;
  OTEL_EXPORTER_ZIPKIN_ENDPOINT?: string;
  OTEL_TRACES_SAMPLER: SamplerName;
  OTEL_TRACES_SAMPLER_ARG?: number;
}

const ZIPKIN_DEFAULT = "http://localhost:9411/api/v2/spans";

/**
 * The standard variables' meaning, with one departure: the spec's OTLP endpoint defaults to localhost:4318,
 * but here nothing is exported until an endpoint is named, so a process nobody set up for tracing sends nothing.
 */
export function tracingConfig(role: string, e: TracingSettings): TracingConfig {
  return {
    export: e.OTEL_SDK_DISABLED ? undefined : spanExport(e),
    serviceName: e.OTEL_SERVICE_NAME ?? `agent-events-${role}`,
    resourceAttributes: e.OTEL_RESOURCE_ATTRIBUTES ?? {},
    sampler: { name: e.OTEL_TRACES_SAMPLER, ratio: e.OTEL_TRACES_SAMPLER_ARG ?? 1 },
  };
}

function spanExport(e: TracingSettings): SpanExport | undefined {
  if (e.OTEL_TRACES_EXPORTER === "zipkin") return { kind: "zipkin", url: e.OTEL_EXPORTER_ZIPKIN_ENDPOINT ?? ZIPKIN_DEFAULT };
  if (e.OTEL_TRACES_EXPORTER === "none") return undefined;
  const url = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`);
  if (!url) return undefined;
  return {
    kind: "otlp",
    url,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf",
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
  };
}

/**
 * `key1=value1,key2=value2`, as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS are written; values
 * are percent-decoded. Undefined when a member is not `key=value`.
 */
export function parseKeyValueList(text: string): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  for (const member of text.split(",")) {
    if (member.trim() === "") continue;
    const at = member.indexOf("=");
    const key = member.slice(0, at).trim();
    if (at <= 0 || key === "") return undefined;
    try {
      result[key] = decodeURIComponent(member.slice(at + 1).trim());
    } catch {
      return undefined;
    }
  }
  return result;
}
