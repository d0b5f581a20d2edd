import { describe, expect, it } from 'vitest';
import { countByKind, FAULT_KINDS, MEMBERS, type Member, soakSchedule } from './schedule.ts';

describe('soak schedule', () => {
  it('is a pure function of the seed', () => {
    expect(soakSchedule({ seed: 7, faults: 30 })).toEqual(soakSchedule({ seed: 7, faults: 30 }));
    expect(soakSchedule({ seed: 7, faults: 30 })).not.toEqual(soakSchedule({ seed: 8, faults: 30 }));
  });

  it('holds each kind at least once, the number of faults asked, and keeps two or three members', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const faults = 7 + (seed % 40);
      const s = soakSchedule({ seed, faults });
      expect(s.steps).toHaveLength(faults);
      const counts = countByKind(s.steps);
      for (const k of FAULT_KINDS) expect(counts[k], `seed ${seed}: ${k}`).toBeGreaterThan(0);
      // Replaying the membership: a kill or store fault hits a running member, a join a stopped one, a leave a running one.
      const running = new Set<Member>(s.initial);
      for (const { step, afterMs } of s.steps) {
        expect(afterMs).toBeGreaterThanOrEqual(1500);
        if (step.kind === 'broker-restart') continue;
        expect(MEMBERS).toContain(step.member);
        if (step.kind === 'join') {
          expect(running.has(step.member)).toBe(false);
          running.add(step.member);
        } else {
          expect(running.has(step.member), `seed ${seed}: ${step.kind} of a stopped member`).toBe(true);
          if (step.kind === 'leave') running.delete(step.member);
        }
        expect(running.size).toBeGreaterThanOrEqual(2);
        expect(running.size).toBeLessThanOrEqual(3);
      }
    }
  });

  it('refuses fewer faults than kinds', () => {
    expect(() => soakSchedule({ seed: 1, faults: 6 })).toThrow(/faults must be/);
  });
});
