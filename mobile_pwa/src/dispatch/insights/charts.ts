// ECharts for the Insights screen, tree-shaken: only the core, the bar and line series, the
// grid/tooltip/legend components and the canvas renderer are bundled (the full `echarts`
// entry would be several times larger). This module is reached only through the screen's
// dynamic import(), so it rides in the Insights chunk, never in the console's first load.
// A chart draws pixels only: every chart's figure carries an aria-label summary and a data
// table (insights.ts), which are what a screen reader and a keyboard use.
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type Chart = echarts.ECharts;

export interface Series {
  name: string;
  data: (number | null)[];
  type: 'bar' | 'line';
  stack?: string;
  color?: string;
}

/** Draw (or redraw) a category chart in ``el``; ``onPick(index)`` when a bar or point is
 * clicked (the drill-down the data table's buttons also offer). */
export function drawChart(el: HTMLElement, categories: string[], series: Series[], onPick?: (index: number) => void,
  yMax?: number): Chart {
  const chart = echarts.getInstanceByDom(el) ?? echarts.init(el, undefined, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, textStyle: { color: '#1b1f23' } },
    grid: { left: 44, right: 12, top: 32, bottom: 28 },
    xAxis: { type: 'category', data: categories, axisLabel: { color: '#1b1f23' } },
    yAxis: { type: 'value', max: yMax, axisLabel: { color: '#1b1f23' } },
    series: series.map((s) => ({
      name: s.name, type: s.type, data: s.data, stack: s.stack, connectNulls: true,
      itemStyle: s.color ? { color: s.color } : undefined, lineStyle: s.color ? { color: s.color } : undefined,
    })),
  }, true);
  chart.off('click');
  if (onPick) chart.on('click', (p) => { if (typeof p.dataIndex === 'number') onPick(p.dataIndex); });
  return chart;
}

/** Free every chart inside ``root`` (the screen is left or redrawn). */
export function disposeCharts(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('.ins-chart')) echarts.getInstanceByDom(el)?.dispose();
}

export function resizeCharts(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('.ins-chart')) echarts.getInstanceByDom(el)?.resize();
}
