import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paretoFront, type Direction } from '../../src/report';
import { rng } from './fixtures';

interface P {
  id: string;
  x: number;
  y: number;
}
const P = (id: string, x: number, y: number): P => ({ id, x, y });

// Hand-checked set: A..I, with a tie (B, E), a same-y-worse-x point (F vs D) and a NaN.
const POINTS: P[] = [
  P('A', 1, 0.5),
  P('B', 2, 0.7),
  P('C', 3, 0.6),
  P('D', 4, 0.9),
  P('E', 2, 0.7),
  P('F', 5, 0.9),
  P('G', 0.5, 0.2),
  P('H', NaN, 1),
  P('I', 6, 0.1),
];
const ids = (ps: P[]) => ps.map((p) => p.id).join(' ');

test('paretoFront: minimize x, maximize y (cost vs accuracy), hand-checked', () => {
  // C is beaten by B (cheaper, better); F by D (cheaper, same y); I by everything with y > 0.1 and lower x; H has NaN.
  assert.equal(
    ids(paretoFront(POINTS, { x: 'x', y: 'y', xDirection: 'minimize', yDirection: 'maximize' })),
    'G A B E D',
  );
});

test('paretoFront: the other three direction pairs, hand-checked', () => {
  assert.equal(ids(paretoFront(POINTS, { x: 'x', y: 'y', xDirection: 'maximize', yDirection: 'maximize' })), 'F I');
  assert.equal(ids(paretoFront(POINTS, { x: 'x', y: 'y', xDirection: 'minimize', yDirection: 'minimize' })), 'G I');
  assert.equal(ids(paretoFront(POINTS, { x: 'x', y: 'y', xDirection: 'maximize', yDirection: 'minimize' })), 'I');
});

test('paretoFront: accessor functions, empty and single inputs, input untouched', () => {
  const copy = POINTS.map((p) => ({ ...p }));
  const front = paretoFront(POINTS, {
    x: (p) => p.x * 1000,
    y: (p) => p.y,
    xDirection: 'minimize',
    yDirection: 'maximize',
  });
  assert.equal(ids(front), 'G A B E D');
  assert.deepEqual(POINTS, copy);
  assert.deepEqual(paretoFront([] as P[], { x: 'x', y: 'y', xDirection: 'minimize', yDirection: 'maximize' }), []);
  assert.equal(
    ids(paretoFront([P('only', 3, 3)], { x: 'x', y: 'y', xDirection: 'minimize', yDirection: 'maximize' })),
    'only',
  );
  assert.equal(
    paretoFront([P('n', NaN, 1), P('i', 1, Infinity)], {
      x: 'x',
      y: 'y',
      xDirection: 'minimize',
      yDirection: 'maximize',
    }).length,
    0,
  );
});

test('paretoFront: agrees with the O(n^2) definition on random points with ties', () => {
  const r = rng(3);
  const dirs: Direction[] = ['minimize', 'maximize'];
  for (let round = 0; round < 40; round++) {
    const pts = Array.from({ length: 60 }, (_, i) => P(String(i), Math.floor(r() * 12), Math.floor(r() * 12)));
    for (const xd of dirs)
      for (const yd of dirs) {
        const sx = xd === 'minimize' ? 1 : -1;
        const sy = yd === 'minimize' ? 1 : -1;
        const dominated = (p: P) =>
          pts.some((q) => sx * q.x <= sx * p.x && sy * q.y <= sy * p.y && (q.x !== p.x || q.y !== p.y));
        const want = pts
          .filter((p) => !dominated(p))
          .map((p) => p.id)
          .sort();
        const got = paretoFront(pts, { x: 'x', y: 'y', xDirection: xd, yDirection: yd });
        assert.deepEqual(got.map((p) => p.id).sort(), want, `${xd}/${yd} round ${round}`);
        for (let i = 1; i < got.length; i++) assert.ok(got[i - 1]!.x <= got[i]!.x, 'ascending x');
      }
  }
});
