import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readNodeCsv } from './nodeCsv.js';
import { readModeCell, writeModeCell } from './nodeCsvCells.js';

const HEADER = 'name,group,services,mode,labels';
const file = (...lines: string[]) => `${[HEADER, ...lines].join('\n')}\n`;
const problems = (text: string) => readNodeCsv(text).problems.map((p) => `${p.line}: ${p.message}`);

describe('reading a node CSV', () => {
  it('reads good lines with their services, mode and labels', () => {
    const r = readNodeCsv(file('gw-1,/site-a/line-1,web=http://127.0.0.1:80;ssh=tcp://127.0.0.1:22,always-on,site=paris;tier=prod', 'gw-2,/,,,'));
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.lines[0], {
      line: 2,
      name: 'gw-1',
      group: '/site-a/line-1',
      services: { web: 'http://127.0.0.1:80', ssh: 'tcp://127.0.0.1:22' },
      mode: { mode: 'always-on' },
      labels: { site: 'paris', tier: 'prod' },
    });
    assert.deepEqual(r.lines[1], { line: 3, name: 'gw-2', group: '/', services: {}, mode: { mode: 'always-on' }, labels: {} });
  });

  it('reads columns in any order and ignores the read-only columns an export adds', () => {
    const r = readNodeCsv('id,labels,mode,services,group,name,status,online,last_seen\nnd_1,,,,/a,gw,approved,yes,\n');
    assert.deepEqual(r.problems, []);
    assert.equal(r.lines[0]?.name, 'gw');
    assert.equal(r.lines[0]?.group, '/a');
  });

  it('names every bad line with its line number and why, one problem of each kind', () => {
    const text = file(
      'ok-1,/a,web=127.0.0.1:80,,', // 2
      'bad name,/a,,,', // 3
      'n4,site-a,,,', // 4: group is no path
      'n5,/a,web=nowhere,,', // 5
      'n6,/a,Web=127.0.0.1:80,,', // 6
      'n7,/a,,sometimes,', // 7
      'n8,/a,,,site', // 8
      'n9,/a,,', // 9: four fields
      'ok-1,/b,,,', // 10: duplicate in the file
      'n11,/a,,on-demand;tz=UTC,', // 11: no window
      'n12,/a,,,a=1;a=2', // 12
      'n13,/a,shell=127.0.0.1:22,,', // 13
    );
    assert.deepEqual(problems(text), [
      '3: bad name "bad name": a node name is 1-64 letters, digits and . _ @ -',
      '4: bad group "site-a": write the group\'s path from the root, e.g. /site-a/line-1 (or / for the root)',
      '5: bad service "web=nowhere": the target is not host:port, http(s)://host:port or tcp://host:port',
      '6: bad service "Web=127.0.0.1:80": a service name is 1-32 of a-z, 0-9 and -, starting with a letter',
      '7: bad mode "sometimes": write always-on, or on-demand;window=Mon-Fri 09:00-18:00;tz=Europe/Paris',
      '8: bad label "site": write key=value, a key of letters, digits and . _ / -, a value of letters, digits and . _ : / @ -',
      '9: wrong column count: 4 fields where the header has 5',
      '10: duplicate name ok-1: already on line 2 of this file',
      '11: bad mode: on-demand needs at least one window=DAYS START-END',
      '12: bad label "a=2": label a is given twice',
      '13: bad service "shell=127.0.0.1:22": shell is burrow\'s own service on every node; name yours otherwise',
    ]);
    assert.deepEqual(readNodeCsv(text).lines.map((l) => l.line), [2]);
  });

  it('counts lines from where a record starts, past quoted cells spanning lines and blank lines', () => {
    const text = `${HEADER}\n"gw-1",/a,,,"site=paris"\n\n"multi\nline",/a,,,\nn5,/a,,,x\n`;
    assert.deepEqual(problems(text), ['4: bad name "multi\nline": a node name is 1-64 letters, digits and . _ @ -', '6: bad label "x": write key=value, a key of letters, digits and . _ / -, a value of letters, digits and . _ : / @ -']);
  });

  it('refuses a bad header, an empty file and malformed CSV as a whole', () => {
    assert.deepEqual(problems('name,group,services,mode,colour\n'), ['1: bad header: unknown column colour; missing column labels (the columns are name,group,services,mode,labels)']);
    assert.deepEqual(problems(''), ['1: the file is empty; it needs a header row: name,group,services,mode,labels']);
    assert.match(problems(`${HEADER}\ngw,/a,"unclosed,,\n`)[0] ?? '', /^2: the file is not valid CSV/);
  });

  it('reads on-demand modes and writes them back the same', () => {
    const cell = 'on-demand;window=Mon-Fri 09:00-18:00;window=Sat,Sun 22:00-02:00;tz=Europe/Paris;interval=30m;duration=5m';
    const mode = readModeCell(cell);
    assert.deepEqual(mode, { mode: 'on-demand', schedule: { windows: ['Mon-Fri 09:00-18:00', 'Sat,Sun 22:00-02:00'], timeZone: 'Europe/Paris', intervalMs: 1_800_000, durationMs: 300_000 } });
    assert.equal(writeModeCell(mode), cell);
    assert.throws(() => readModeCell('on-demand;window=Funday 09:00-18:00'), /window "Funday 09:00-18:00" is not DAYS START-END/);
    assert.throws(() => readModeCell('on-demand;window=daily 00:00-24:00;tz=Mars/Olympus'), /"Mars\/Olympus" is not an IANA time zone/);
    assert.throws(() => readModeCell('on-demand;window=daily 00:00-24:00;interval=soon'), /interval "soon" is not a duration/);
  });
});
