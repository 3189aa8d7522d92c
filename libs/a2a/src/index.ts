/** The A2A gateway: Baton's agent card and A2A JSON-RPC (v1.0 and v0.3) at `POST /a2a`. */
export { A2aModule } from './a2a.module.js';
export type { A2aModuleOptions } from './a2a.options.js';
export { protocolOf } from './protocol/protocol-version.js';
export type { ProtocolVersion } from './protocol/dialect.js';
export { toTaskView, type TaskView, type TaskStateName } from './tasks/task-view.js';
