// Draws every price-history chart on the page with the vendored ECharts.
function qkPriceCharts() {
  document.querySelectorAll('.qk-chart[data-chart]').forEach(function (el) {
    var src = document.getElementById(el.dataset.chart);
    if (!src) return;
    var d = JSON.parse(src.textContent);
    var chart = echarts.init(el);
    // On a phone the promotions' names would run into each other: the
    // shaded spans stay, the tooltip names the day.
    var roomy = el.clientWidth >= 600;
    var promoAreas = (d.promos || []).map(function (p) {
      return [{ name: p.label, xAxis: p.start }, { xAxis: p.end }];
    });
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0, data: [d.labels.final, d.labels.list, d.labels.coupon, d.labels.rate] },
      grid: { left: 48, right: 48, top: 40, bottom: 64 },
      xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
      yAxis: [{ type: 'value', name: '¥', scale: true }, { type: 'value', name: '%', splitLine: { show: false } }],
      series: [
        { name: d.labels.final, type: 'line', step: 'end', showSymbol: false, data: d.final,
          markPoint: d.low ? { data: [{ name: d.labels.low, coord: d.low, value: d.low[1] }] } : undefined,
          markArea: { itemStyle: { color: 'rgba(228,57,60,0.08)' }, label: { show: roomy }, data: promoAreas } },
        { name: d.labels.list, type: 'line', step: 'end', showSymbol: false, lineStyle: { type: 'dashed' }, data: d.list },
        { name: d.labels.coupon, type: 'line', step: 'end', showSymbol: false, data: d.coupon },
        { name: d.labels.rate, type: 'line', step: 'end', showSymbol: false, yAxisIndex: 1, data: d.rate }
      ]
    });
    window.addEventListener('resize', function () { chart.resize(); });
  });
}

// "复制文案": copies the text of the element named by data-copy, with
// navigator.clipboard where the page may use it and select + execCommand
// elsewhere (plain-HTTP LAN consoles, older phone browsers).
(function () {
  function fallback(el) {
    el.focus();
    el.select();
    if (el.setSelectionRange) el.setSelectionRange(0, el.value.length);
    try { return document.execCommand('copy'); } catch (e) { return false; }
  }
  document.querySelectorAll('[data-copy]').forEach(function (btn) {
    var label = btn.textContent;
    function done(ok) {
      btn.textContent = ok ? btn.dataset.done : btn.dataset.fail;
      setTimeout(function () { btn.textContent = label; }, 2000);
    }
    btn.addEventListener('click', function () {
      var el = document.getElementById(btn.dataset.copy);
      if (!el) return;
      var text = el.value !== undefined ? el.value : el.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallback(el)); });
      } else {
        done(fallback(el));
      }
    });
  });
})();

// The income page's daily chart: estimated against settled income (yuan)
// per day, from the JSON beside the element named by data-income-chart.
function qkIncomeCharts() {
  document.querySelectorAll('[data-income-chart]').forEach(function (el) {
    var src = document.getElementById(el.dataset.incomeChart);
    if (!src) return;
    var d = JSON.parse(src.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return '¥' + Number(v).toFixed(2); } },
      legend: { bottom: 0, data: [d.labels.est, d.labels.settled] },
      grid: { left: 56, right: 16, top: 24, bottom: 56 },
      xAxis: { type: 'category', data: d.days },
      yAxis: { type: 'value', name: '¥' },
      series: [
        { name: d.labels.est, type: 'bar', data: d.est },
        { name: d.labels.settled, type: 'line', showSymbol: false, data: d.settled }
      ]
    });
    window.addEventListener('resize', function () { chart.resize(); });
  });
}

// A group's health chart: members (line) against joins, leaves and
// speakers, posts and orders (bars) per day, from the JSON beside the
// element named by data-health-chart.
function qkHealthCharts() {
  document.querySelectorAll('[data-health-chart]').forEach(function (el) {
    var src = document.getElementById(el.dataset.healthChart);
    if (!src) return;
    var d = JSON.parse(src.textContent);
    var chart = echarts.init(el);
    var series = [{ name: d.labels.members, type: 'line', showSymbol: false, data: d.members }];
    var names = [d.labels.members];
    function bars(key, axis) {
      series.push({ name: d.labels[key], type: 'bar', yAxisIndex: axis, data: d[key] });
      names.push(d.labels[key]);
    }
    if (d.tracked) { bars('joins', 1); bars('leaves', 1); }
    if (d.activity) bars('active', 1);
    bars('posts', 1); bars('orders', 1);
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0, data: names },
      grid: { left: 48, right: 40, top: 24, bottom: 72 },
      xAxis: { type: 'category', data: d.days },
      yAxis: [{ type: 'value', scale: true }, { type: 'value', splitLine: { show: false } }],
      series: series
    });
    window.addEventListener('resize', function () { chart.resize(); });
  });
}

// The simulator's chart: cumulative cash with its p10–p90 band (stacked
// areas: the band's base, then its width), cash in and cash out, in yuan.
function qkSimulateCharts() {
  document.querySelectorAll('[data-simulate-chart]').forEach(function (el) {
    var src = document.getElementById(el.dataset.simulateChart);
    if (!src) return;
    var d = JSON.parse(src.textContent);
    var series = [
      { name: d.labels.out, type: 'bar', data: d.cash_out },
      { name: d.labels['in'], type: 'bar', data: d.cash_in },
      { name: d.labels.cum, type: 'line', showSymbol: false, data: d.cum }
    ];
    if (d.p10.length) {
      series.push({ name: d.labels.band, type: 'line', stack: 'band', stackStrategy: 'all', symbol: 'none', lineStyle: { opacity: 0 }, data: d.p10 });
      series.push({ name: d.labels.band, type: 'line', stack: 'band', stackStrategy: 'all', symbol: 'none', lineStyle: { opacity: 0 },
        areaStyle: { opacity: 0.25 }, data: d.p90 });
    }
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return '¥' + Number(v).toFixed(0); } },
      legend: { bottom: 0, data: [d.labels.out, d.labels['in'], d.labels.cum] },
      grid: { left: 64, right: 16, top: 24, bottom: 56 },
      xAxis: { type: 'category', data: d.months },
      // The scale follows the cash lines; the band is clipped to it
      // (the server says so under the chart).
      yAxis: { type: 'value', name: '¥', min: d.y_min, max: d.y_max, axisLabel: { showMaxLabel: false, showMinLabel: false } },
      graphic: d.clipped ? [{ type: 'text', right: 20, top: 4, style: { text: d.labels.clipped, fill: '#8a6d3b', font: '12px sans-serif' } }] : [],
      series: series
    });
    window.addEventListener('resize', function () { chart.resize(); });
  });
}

// The economics page's charts: lines by age in days (the cumulative income
// per acquired member with each CAC as a dashed line; the survival shares).
function qkEconCharts() {
  document.querySelectorAll('[data-econ-chart]').forEach(function (el) {
    var src = document.getElementById(el.dataset.econChart);
    if (!src) return;
    var d = JSON.parse(src.textContent);
    var series = [], names = [];
    d.series.forEach(function (c) {
      names.push(c.name);
      var s = { name: c.name, type: 'line', showSymbol: false, data: c.values };
      if (c.cac != null) {
        s.markLine = { symbol: 'none', silent: true, lineStyle: { type: 'dashed' },
          label: { position: 'insideEndTop', formatter: d.labels.cac + ' ¥' + c.cac }, data: [{ yAxis: c.cac }] };
      }
      series.push(s);
    });
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0, type: 'scroll', data: names },
      grid: { left: 56, right: 24, top: 24, bottom: 64 },
      xAxis: { type: 'category', name: d.labels.x, nameLocation: 'middle', nameGap: 24, data: d.days },
      yAxis: { type: 'value', name: d.labels.y },
      series: series
    });
    window.addEventListener('resize', function () { chart.resize(); });
  });
}

// Forms with data-autosubmit show each slider's value beside it and go
// when one is let go (the simulator).
document.querySelectorAll('form[data-autosubmit]').forEach(function (f) {
  f.addEventListener('input', function (e) {
    var out = e.target.parentNode && e.target.parentNode.querySelector('output');
    if (!out) return;
    var t = out.textContent;
    out.textContent = t.replace(/[0-9.]+/, e.target.value);
  });
  f.addEventListener('change', function () { f.submit(); });
});

// ECharts (1.1 MB) is loaded only by a page that has a chart (an element
// of class qk-chart); this script's data-echarts attribute names its URL.
(function () {
  var src = document.currentScript && document.currentScript.dataset.echarts;
  if (!src || !document.querySelector('.qk-chart')) return;
  var s = document.createElement('script');
  s.src = src;
  s.onload = function () { qkPriceCharts(); qkIncomeCharts(); qkHealthCharts(); qkSimulateCharts(); qkEconCharts(); };
  document.head.appendChild(s);
})();

// Forms with data-confirm ask before they go (deleting a group or a plan).
document.addEventListener('submit', function (e) {
  var msg = e.target.getAttribute && e.target.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) e.preventDefault();
});
