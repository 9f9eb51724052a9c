// @vitest-environment jsdom
import type uPlot from 'uplot';
import { describe, expect, it } from 'vitest';
import { tooltipPlugin, type TooltipSource } from './chartTooltipPlugin';

describe('tooltipPlugin', () => {
  it('paints each row with the colours it was handed', () => {
    const source: TooltipSource = {
      xs: [Date.parse('2026-12-07T12:00:00Z')],
      series: [{ label: 'search', values: [5] }, { label: 'signup', values: [3] }],
      partialFrom: 1,
      tz: 'UTC',
      hidden: new Set(),
      titlePrefix: '',
      colors: (name) => (name === 'search' ? '#4e79a7' : '#e8710a'),
    };
    const over = document.createElement('div');
    const plot = { over, cursor: { idx: 0, left: 10, top: 10 } } as unknown as uPlot;
    const { hooks } = tooltipPlugin({ current: source });
    (hooks.init as (u: uPlot) => void)(plot);
    (hooks.setCursor as (u: uPlot) => void)(plot);
    const rows = [...over.querySelectorAll('.chart-tip-row')].map((r) => [r.textContent, (r.querySelector('.swatch') as HTMLElement).style.background]);
    expect(rows).toEqual([['search5', 'rgb(78, 121, 167)'], ['signup3', 'rgb(232, 113, 10)']]);
  });
});
