import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../shared/clock.js';
import { createLogger } from '../shared/log.js';
import { ConnectSchedule } from './connectSchedule.js';
import { ConnectModeController, controllerTransitions, type ConnectMode, type ControllerState, type Link } from './connectModeController.js';
import { StateMachine } from '../shared/stateMachine.js';

const log = createLogger({ level: 'silent', name: 'test' });
const S = 1000;
const MON_0900 = Date.parse('2026-11-23T09:00:00Z');

class FakeLink implements Link {
  started = 0;
  stopped = 0;
  serverHoldsWork = false;
  start(): void {
    this.started++;
  }
  stop(): void {
    this.stopped++;
  }
  get up(): boolean {
    return this.started > 0 && this.stopped === 0;
  }
}

function setup(start: number) {
  const clock = new FakeClock(start);
  const links: FakeLink[] = [];
  const states: ControllerState[] = [];
  const c = new ConnectModeController({
    clock,
    log,
    holdCheckMs: 5 * S,
    createLink: () => {
      const l = new FakeLink();
      links.push(l);
      return l;
    },
    onReport: (r) => states.push(r.state),
  });
  const live = () => links.filter((l) => l.up).length;
  return { clock, links, states, c, live };
}

/** Mon-Fri 09:00-10:00 UTC, a check-in every 10 min lasting 2 min. */
const onDemand = (): ConnectMode => ({
  mode: 'on-demand',
  schedule: new ConnectSchedule({ windows: ['Mon-Fri 09:00-10:00'], timeZone: 'UTC', intervalMs: 600 * S, durationMs: 120 * S }),
});

describe('ConnectModeController', () => {
  it('on-demand: checks in outside the window when asked (a condition fired), then sleeps until its schedule', () => {
    const { c, links, clock, live } = setup(MON_0900 + 12 * 3600 * S);
    c.start(onDemand());
    assert.equal(c.state, 'sleeping');
    assert.equal(c.checkInNow(), true);
    assert.equal(c.state, 'checking-in');
    assert.equal(live(), 1);
    assert.equal(c.checkInNow(), false, 'already connected: nothing more');
    clock.advance(120 * S);
    assert.equal(c.state, 'sleeping', 'after one check-in duration the node follows its schedule again');
    assert.equal(live(), 0);
    assert.equal(links.length, 1);
    c.setMode({ mode: 'always-on' });
    assert.equal(c.checkInNow(), false, 'an always-on node is connected anyway');
  });

  it('always-on: starts one link and keeps it', () => {
    const { c, links, clock, live } = setup(MON_0900);
    c.start({ mode: 'always-on' });
    clock.advance(86_400 * S);
    assert.equal(links.length, 1);
    assert.equal(live(), 1);
    assert.equal(c.state, 'always-on');
  });

  it('on-demand: holds no link outside the window and connects at its start', () => {
    const { c, links, clock } = setup(MON_0900 - 3600 * S);
    c.start(onDemand());
    assert.equal(c.state, 'sleeping');
    clock.advance(3600 * S - 1);
    assert.equal(links.length, 0);
    clock.advance(1);
    assert.equal(links.length, 1);
    assert.equal(c.state, 'checking-in');
  });

  it('on-demand: connects every interval, for the duration, only within the window', () => {
    const { c, links, clock, live } = setup(MON_0900 - S);
    c.start(onDemand());
    const samples: [number, number][] = [];
    for (let t = 0; t < 2 * 3600; t += 60) {
      clock.advance(60 * S);
      samples.push([t + 60, live()]);
    }
    // Six check-ins (09:00, 09:10, … 09:50), none after 10:00.
    assert.equal(links.length, 6);
    assert.ok(links.every((l) => l.stopped === 1));
    // Connected at 09:01 (60 s after 08:59:59 is 09:00:59), not at 09:03.
    assert.equal(samples.find(([t]) => t === 120)?.[1], 1);
    assert.equal(samples.find(([t]) => t === 240)?.[1], 0);
    assert.ok(samples.filter(([t]) => t > 3660).every(([, n]) => n === 0));
  });

  it('on-demand: stays past the duration while the server holds work, then leaves', () => {
    const { c, links, clock, states } = setup(MON_0900);
    c.start(onDemand());
    const link = links[0] as FakeLink;
    link.serverHoldsWork = true;
    clock.advance(120 * S);
    assert.equal(c.state, 'holding');
    clock.advance(60 * S);
    assert.equal(link.up, true);
    link.serverHoldsWork = false;
    clock.advance(5 * S);
    assert.equal(link.up, false);
    assert.equal(c.state, 'sleeping');
    assert.deepEqual(states.filter((s, i) => s !== states[i - 1]), ['checking-in', 'holding', 'sleeping']);
  });

  it('on-demand: work held past the window end keeps the link until done', () => {
    const { c, links, clock } = setup(Date.parse('2026-11-23T09:50:00Z'));
    c.start(onDemand());
    (links[0] as FakeLink).serverHoldsWork = true;
    clock.advance(1800 * S);
    assert.equal((links[0] as FakeLink).up, true);
    (links[0] as FakeLink).serverHoldsWork = false;
    clock.advance(5 * S);
    assert.equal(c.state, 'sleeping');
    assert.equal(links.length, 1);
  });

  it('switches always-on -> on-demand at once: outside a check-in the link drops', () => {
    const { c, links, live } = setup(MON_0900 - 3600 * S);
    c.start({ mode: 'always-on' });
    c.setMode(onDemand());
    assert.equal(live(), 0);
    assert.equal(c.state, 'sleeping');
    c.setMode({ mode: 'always-on' });
    assert.equal(live(), 1);
    assert.equal(links.length, 2);
  });

  it('keeps the running link when switching to a mode that also wants it', () => {
    const { c, links } = setup(MON_0900 + 30 * S);
    c.start({ mode: 'always-on' });
    c.setMode(onDemand());
    assert.equal(c.state, 'checking-in');
    assert.equal(links.length, 1);
    assert.equal((links[0] as FakeLink).up, true);
  });

  it('reports the next check-in', () => {
    const { c, clock } = setup(MON_0900 - 3600 * S);
    const reports: (number | null)[] = [];
    const c2 = new ConnectModeController({ clock, log, holdCheckMs: 1000, createLink: () => new FakeLink(), onReport: (r) => reports.push(r.nextCheckInAt) });
    c2.start(onDemand());
    assert.equal(reports.at(-1), MON_0900);
    c.stop();
  });

  it('stop() drops the link and every timer, and is idempotent', () => {
    const { c, clock, live } = setup(MON_0900);
    c.start(onDemand());
    c.stop();
    c.stop();
    assert.equal(live(), 0);
    assert.equal(clock.pending, 0);
    c.setMode({ mode: 'always-on' });
    assert.equal(live(), 0);
  });

  it('has the transition table it documents', () => {
    const allowed: [ControllerState, ControllerState][] = [];
    const all = Object.keys(controllerTransitions) as ControllerState[];
    for (const from of all) for (const to of all) if (new StateMachine<ControllerState>(from, controllerTransitions).can(to)) allowed.push([from, to]);
    assert.deepEqual(allowed.filter(([f]) => f === 'sleeping'), [['sleeping', 'always-on'], ['sleeping', 'checking-in'], ['sleeping', 'stopped']]);
    assert.deepEqual(allowed.filter(([f]) => f === 'stopped'), []);
    assert.throws(() => new StateMachine<ControllerState>('sleeping', controllerTransitions).transition('holding'), /illegal/);
    assert.throws(() => new StateMachine<ControllerState>('idle', controllerTransitions).transition('holding'), /illegal/);
  });
});
