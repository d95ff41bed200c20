/* The dashboard: ECharts draws the last 30 days' daily counts, from JSON in the page (a script block never run) */
(function (window, document) {
  'use strict';
  var data = JSON.parse(document.getElementById('dashboard-data').textContent);
  var COLORS = ['#0f766e', '#1d4ed8', '#b45309', '#b91c1c', '#6d28d9'];
  var charts = [];

  Array.prototype.forEach.call(document.querySelectorAll('.chart[data-metrics]'), function (element) {
    var metrics = element.getAttribute('data-metrics').split(',');
    var chart = window.echarts.init(element, null, { renderer: 'svg' });
    chart.setOption({
      color: COLORS,
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { top: 0, textStyle: { color: '#1f2937' } },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: data.days, axisLabel: { color: '#374151' } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { color: '#374151' } },
      series: metrics.map(function (metric) {
        return { name: data.labels[metric], type: 'line', smooth: false, symbolSize: 5, data: data.series[metric] };
      })
    });
    element.setAttribute('data-ready', 'true');
    charts.push(chart);
  });

  window.addEventListener('resize', function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})(window, document);
