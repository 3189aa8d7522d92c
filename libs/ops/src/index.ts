export { OpsModule } from './ops.module.js';
export { SystemModeService, type SystemModeView } from './mode/system-mode.service.js';
export { SYSTEM_MODES, SYSTEM_MODE_CHANGED_EVENT, isSystemMode, type SystemMode } from './mode/system-mode.js';
export { HeartbeatService, DEAD_MAN_SWITCH, type HeartbeatView } from './heartbeat/heartbeat.service.js';
export { DrainService, SYSTEM_DRAINED_EVENT } from './drain/drain.service.js';
export { DoctorService, type DoctorReport, type RepairReport } from './doctor/doctor.service.js';
export { FINDING_KINDS, type Finding, type FindingKind } from './doctor/doctor-finding.js';
export { SIGNED_HEARTBEAT_PATH, signHeartbeat, signedHeartbeatUrl } from './heartbeat/heartbeat-signature.js';
