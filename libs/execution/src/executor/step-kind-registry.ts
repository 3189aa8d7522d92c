import type { FactoryProvider, Type } from '@nestjs/common';
import type { StepKind } from './step-kind.js';
import { StepFailure } from './step-failure.js';

/** The error code of a step whose type no registered kind runs. */
export const UNKNOWN_STEP_TYPE = 'unknown_step_type';

/**
 * The step kinds by the type each runs. Built once at startup: a type claimed by two kinds is
 * refused then (which one would win would depend on provider order), not discovered at a claim.
 */
export class StepKindRegistry {
  private readonly byType = new Map<string, StepKind>();

  constructor(kinds: readonly StepKind[]) {
    for (const kind of kinds) {
      for (const type of kind.types) {
        const taken = this.byType.get(type);
        if (taken) throw new Error(`step type "${type}" is registered twice: by ${nameOf(taken)} and by ${nameOf(kind)}`);
        this.byType.set(type, kind);
      }
    }
  }

  /**
   * The kind that runs `type`. An unknown type is a definition this build cannot run (stored by
   * a newer version, or a kind left out of the module): another attempt would fail the same way.
   */
  kindOf(type: string): StepKind {
    const kind = this.byType.get(type);
    if (kind) return kind;
    throw new StepFailure(`no step kind runs steps of type "${type}" (known: ${this.types().join(', ')})`, false, UNKNOWN_STEP_TYPE, { type });
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }
}

/** The Nest provider that builds the registry from the kinds' own providers. */
export function stepKindRegistryProvider(kinds: ReadonlyArray<Type<StepKind>>): FactoryProvider<StepKindRegistry> {
  return { provide: StepKindRegistry, useFactory: (...instances: StepKind[]) => new StepKindRegistry(instances), inject: [...kinds] };
}

function nameOf(kind: StepKind): string {
  return kind.constructor?.name ?? 'an unnamed kind';
}
