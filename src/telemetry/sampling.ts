import { ROOT_CONTEXT } from "@opentelemetry/api";
import { SamplingDecision, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace";
import { isSampled, type TraceContext } from "../events/index.ts";
import type { TracingConfig } from "./tracing-config.ts";

/** Whether a span in `traceId`, under `parent`, is recorded and exported (and marked sampled in its header). */
export type SampleDecision = (parent: TraceContext | undefined, traceId: string) => boolean;

/**
 * The OTEL_TRACES_SAMPLER decision, taken where the span starts (its header says it at once). The SDK's
 * ParentBasedSampler reads the parent from a Context, which would cost a Context per span; our parents are
 * always remote (a header, or a map beside an event), and for remote parents its rule is only "follow the
 * parent's sampled flag", written out here. The ratio itself is the SDK's sampler, so trace ids are chosen alike.
 */
export function sampleDecision({ name, ratio }: TracingConfig["sampler"]): SampleDecision {
  const root = rootDecision(name, ratio);
  if (!name.startsWith("parentbased_")) return (_parent, traceId) => root(traceId);
  return (parent, traceId) => (parent ? isSampled(parent) : root(traceId));
}

function rootDecision(name: TracingConfig["sampler"]["name"], ratio: number): (traceId: string) => boolean {
  if (name === "always_on" || name === "parentbased_always_on") return () => true;
  if (name === "always_off" || name === "parentbased_always_off") return () => false;
  const sampler = new TraceIdRatioBasedSampler(ratio);
  return (traceId) => sampler.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
}
