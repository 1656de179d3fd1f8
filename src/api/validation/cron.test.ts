import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronScheduleError, isKnownTimeZone } from './cron.js';

test('valid schedules', () => {
  for (const s of ['* * * * *', '*/5 * * * *', '0 0 1 1 *', '0 9-17 * * mon-fri', '0,30 * * JAN SUN', '@daily', '@every 1h30m', '5 4 * * 0']) {
    assert.equal(cronScheduleError(s), undefined, s);
  }
});

test('robfig/cron error texts', () => {
  assert.equal(cronScheduleError(''), 'empty spec string');
  assert.equal(cronScheduleError('* * * *'), 'expected exactly 5 fields, found 4: [* * * *]');
  assert.equal(cronScheduleError('60 * * * *'), 'end of range (60) above maximum (59): 60');
  assert.equal(cronScheduleError('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
  assert.equal(cronScheduleError('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
  assert.equal(cronScheduleError('*/0 * * * *'), 'step of range should be a positive number: */0');
  assert.equal(cronScheduleError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(cronScheduleError('1-2-3 * * * *'), 'too many hyphens: 1-2-3');
  assert.equal(cronScheduleError('@fortnightly'), 'unrecognized descriptor: @fortnightly');
  assert.equal(cronScheduleError('* * * * 7'), 'end of range (7) above maximum (6): 7');
});

test('time zones', () => {
  assert.ok(isKnownTimeZone('Europe/Paris'));
  assert.ok(!isKnownTimeZone('Mars/Olympus'));
});
