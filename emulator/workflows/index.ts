/**
 * The local Cloud Workflows engine: parse (and validate) Workflows YAML/JSON, run it with
 * injected HTTP, connectors, clock and environment, and keep deployed workflows and executions
 * the way the Workflows and Executions APIs present them.
 */
export { parseWorkflow } from './syntax/workflow.js';
export type { WorkflowDefinition, Routine, Step } from './syntax/model.js';
export { runWorkflow, executionError, type ExecutionOutcome, type ExecutionError, type OutcomeState } from './execution.js';
export { WorkflowsEngine, type Execution, type ExecutionState, type WorkflowResource, type EngineDeps } from './engine.js';
export { WorkflowError, WorkflowSyntaxError, ExpressionSyntaxError, type SyntaxProblem, type ErrorTag } from './errors.js';
export { FakeClock, systemClock, type Clock } from './clock.js';
export type { RunDeps, HttpHandler, HttpRequest, HttpResponse, ConnectorHandler, LogEntry, Limits } from './runtime/deps.js';
export type { StepEntry, StepType, StepState } from './runtime/history.js';
export type { Value, ValueMap } from './values.js';
export { parseExpression } from './expression/parser.js';
export { evaluate } from './expression/evaluate.js';
