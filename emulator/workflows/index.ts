/**
 * The local Cloud Workflows engine: parse (and validate) Workflows YAML/JSON, run it with
 * injected HTTP, connectors, clock and environment, and keep deployed workflows and executions
 * the way the Workflows and Executions APIs present them.
 */
export { parseWorkflow } from './syntax/workflow.js';
export { runWorkflow, type ExecutionOutcome } from './execution.js';
export { WorkflowsEngine } from './engine.js';
export { WorkflowError, WorkflowSyntaxError, ExpressionSyntaxError, type SyntaxProblem } from './errors.js';
export { FakeClock } from './clock.js';
export type { RunDeps, HttpHandler, HttpRequest, HttpResponse, ConnectorHandler, LogEntry } from './runtime/deps.js';
export type { Value, ValueMap } from './values.js';
export { parseExpression } from './expression/parser.js';
