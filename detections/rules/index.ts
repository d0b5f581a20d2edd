/**
 * The built-in rules, one module each under rules/<category>/<rule-id>/. Adding a rule: create the
 * folder with rule.ts and rule.fixtures.ts and list it here (a test checks every folder is listed).
 */
import type { Rule } from '../src/engine/types.ts';
import dataVolumeSpike from './behavior_drift/behavior.data_volume_spike/rule.ts';
import deniedBurst from './behavior_drift/behavior.denied_burst/rule.ts';
import eventVolumeSpike from './behavior_drift/behavior.event_volume_spike/rule.ts';
import firstSeenResource from './behavior_drift/behavior.first_seen_resource/rule.ts';
import firstSeenTool from './behavior_drift/behavior.first_seen_tool/rule.ts';
import offHours from './behavior_drift/behavior.off_hours_activity/rule.ts';
import ttlExceedsMax from './credential/credential.token_ttl_exceeds_max/rule.ts';
import usedAfterExpiry from './credential/credential.token_used_after_expiry/rule.ts';
import usedAfterRevocation from './credential/credential.token_used_after_revocation/rule.ts';
import usedByOtherAgent from './credential/credential.token_used_by_other_agent/rule.ts';
import chainTooDeep from './delegation/delegation.chain_too_deep/rule.ts';
import tokenBroaderThanParent from './delegation/delegation.token_broader_than_parent/rule.ts';
import unauthorizedDelegate from './delegation/delegation.unauthorized_delegate/rule.ts';
import departedPrincipal from './lifecycle/lifecycle.departed_principal/rule.ts';
import inactiveAgentActive from './lifecycle/lifecycle.inactive_agent_active/rule.ts';
import orphanedAgentActive from './lifecycle/lifecycle.orphaned_agent_active/rule.ts';
import reviewOverdue from './lifecycle/lifecycle.review_overdue/rule.ts';
import unregisteredAgent from './out_of_registry/registry.unregistered_agent/rule.ts';
import unregisteredDelegationActor from './out_of_registry/registry.unregistered_delegation_actor/rule.ts';
import highConsequenceWithoutApproval from './runtime/runtime.high_consequence_without_approval/rule.ts';
import untrustedContextHighConsequence from './runtime/runtime.untrusted_context_high_consequence/rule.ts';
import actionOutside from './scope_drift/scope.action_outside_registry/rule.ts';
import environmentOutside from './scope_drift/scope.environment_outside_registry/rule.ts';
import resourceOutside from './scope_drift/scope.resource_outside_registry/rule.ts';
import tokenScopeOutside from './scope_drift/scope.token_scope_outside_registry/rule.ts';
import toolOutside from './scope_drift/scope.tool_outside_registry/rule.ts';
import implausibleEventTime from './telemetry_integrity/telemetry.implausible_event_time/rule.ts';

export const BUILTIN_RULES: readonly Rule[] = [
  unregisteredAgent,
  unregisteredDelegationActor,
  inactiveAgentActive,
  orphanedAgentActive,
  departedPrincipal,
  reviewOverdue,
  toolOutside,
  resourceOutside,
  actionOutside,
  environmentOutside,
  tokenScopeOutside,
  ttlExceedsMax,
  usedByOtherAgent,
  usedAfterExpiry,
  usedAfterRevocation,
  chainTooDeep,
  unauthorizedDelegate,
  tokenBroaderThanParent,
  highConsequenceWithoutApproval,
  untrustedContextHighConsequence,
  firstSeenTool,
  firstSeenResource,
  eventVolumeSpike,
  dataVolumeSpike,
  offHours,
  deniedBurst,
  implausibleEventTime,
] as Rule[];
