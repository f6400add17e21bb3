import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { ProcWatch, clockTicks, parseStatCpu, readProc, statusKiB } from '../../bench/procstat.js';

test('parseStatCpu: utime + stime counted after a (comm) that holds spaces and parens', () => {
  // fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const stat = '4242 (we ird) (name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 1000 123456 789';
  assert.equal(parseStatCpu(stat, 100), 3.25);
  assert.equal(parseStatCpu(stat, 250), 1.3);
});

test('statusKiB: a present key, and 0 for a missing one (a zombie has no Vm lines)', () => {
  const status = 'Name:\tnode\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\nRssAnon:\t   54321 kB\n';
  assert.equal(statusKiB(status, 'VmHWM'), 123456);
  assert.equal(statusKiB(status, 'RssAnon'), 54321);
  assert.equal(statusKiB('Name:\tx\nState:\tZ (zombie)\n', 'VmHWM'), 0);
});

test('readProc of this process agrees with its own resource usage', () => {
  const s = readProc(process.pid);
  assert.ok(s);
  const own = process.cpuUsage();
  const ownSec = (own.user + own.system) / 1e6;
  // /proc counts in clock ticks: one tick of slack each for user and system time, plus the time between the two reads
  assert.ok(Math.abs(s.cpuSec - ownSec) <= 2 / clockTicks() + 0.05, `${s.cpuSec} vs ${ownSec}`);
  assert.ok(s.hwmKiB * 1024 >= process.memoryUsage().rss * 0.9);
  assert.ok(s.anonKiB > 0);
  assert.equal(readProc(2 ** 22 + 12345), undefined);
});

test('ProcWatch measures a child: CPU it burned and memory it touched, until it exits', async () => {
  // burns 0.4 s of its own CPU, then touches 120 MB of anonymous memory and holds it for 300 ms
  const script = `
    const t = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
    while (t() < 0.4) {}
    const b = Buffer.alloc(120e6, 1);
    setTimeout(() => process.exit(b[5] === 1 ? 0 : 1), 300);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  const watch = new ProcWatch(child.pid!, 20);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const u = watch.stop();
  assert.equal(code, 0);
  assert.ok(u.samples > 5, `only ${u.samples} samples`);
  assert.ok(u.cpuSec >= 0.35, `cpu ${u.cpuSec}`);
  assert.ok(u.cpuSec < 5, `cpu ${u.cpuSec}`);
  assert.ok(u.peakRssMB >= 120, `peak RSS ${u.peakRssMB}`);
  assert.ok(u.peakAnonMB >= 110, `peak anon ${u.peakAnonMB}`);
  assert.ok(u.peakRssMB >= u.peakAnonMB);
});
