export { createTestServer } from './server/create-test-server.js';
export type { TestServer, TestServerOptions } from './server/create-test-server.js';
export { CUT_HOWS, FAULT_TYPES, parseFaults } from './faults.js';
export type { CutHow, Fault, FaultType, UsageReport } from './faults.js';
export type { FaultScript } from './fault-script.js';
export type { RecordedRequest, Served, WireName } from './request-log.js';
export { DEFAULT_REPLY_TEXT, splitIntoChunks } from './reply.js';
export type { ReplyPlan, ReportedUsage, ServedUsage } from './reply.js';
export { DEFAULT_EMBEDDING_DIMENSIONS, WIRE_FORMATS, anthropicWire, openaiEmbeddingsWire, openaiWire } from './wire/index.js';
export { createLlamaServerEmulator, llamaServerWire, llamaTimings } from './wire/index.js';
export type { LlamaServerEmulator, LlamaServerEmulatorOptions, RouteReply, RouteRequest } from './wire/index.js';
export type { EmbeddingRequest, WireErrorSpec, WireFormat, WireRequestInfo } from './wire/index.js';
export { createFakeClock } from './clock/fake-clock.js';
export type { FakeClock, FakeClockOptions } from './clock/fake-clock.js';
export { createScriptedProvider } from './provider/scripted-provider.js';
export type {
  ScriptedCall,
  ScriptedFailure,
  ScriptedHang,
  ScriptedProvider,
  ScriptedProviderOptions,
  ScriptedReply,
  ScriptedStep,
  ScriptedSteps,
  ScriptedStream,
} from './provider/scripted-provider.js';
export { callContext, collectParts, keelFailure, textOfParts } from './provider/test-helpers.js';
export { createDemoClaims, sabotaged } from './demo-claims.js';
export type { DemoClaims } from './demo-claims.js';
export { createLocalEmbedder, localEmbedding } from './embedder/local-embedder.js';
export type { LocalEmbedderOptions } from './embedder/local-embedder.js';
export { describeMode, evaluateSemanticMode } from './semantic/evaluate.js';
export type { EvaluateOptions, LabelledPair, NearMissCategory, SemanticEvaluation, SemanticMode } from './semantic/evaluate.js';
