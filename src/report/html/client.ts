// The report page's script, inlined into the HTML file: decodes the embedded series and draws the
// charts with uPlot (time-sequence graph, RTT, throughput/goodput, bytes in flight against the
// advertised window, capture activity), with synced cursors, drag/wheel zoom, pan, hover details,
// and links from findings to connections and packets. Plain ES2020 in a string: the build is tsc
// without a bundler and the page must work opened from disk with no network.
// (No template literals or "${" inside: this is a String.raw template itself.)
export const CLIENT_SCRIPT = String.raw`
(function () {
  "use strict";
  var api = (window.tcpdoctor = { charts: [], groups: {}, views: {}, errors: [], ready: false });
  var dataEl = document.getElementById("tcpdoctor-data");
  var DATA = dataEl ? JSON.parse(dataEl.textContent || "{}") : {};
  var MARK = DATA.mark || {};
  var MARK_NAMES = DATA.markNames || [];
  var FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16, URG = 32, ECE = 64, CWR = 128;
  var RETRANS = (MARK.RETRANSMISSION | MARK.FAST_RETRANSMISSION | MARK.SPURIOUS_RETRANSMISSION | MARK.REPEATED) >>> 0;
  var OOO = (MARK.REORDERED | MARK.OUT_OF_ORDER) >>> 0;
  var PROBE = (MARK.ZERO_WINDOW_PROBE | MARK.KEEP_ALIVE) >>> 0;
  var C = {
    data: "#1f5fbf", rtx: "#d62728", ooo: "#ff7f0e", ack: "#2ca02c", win: "#b8a100", sack: "#9467bd",
    dup: "#e377c2", zw: "#00a3b4", probe: "#8c564b", synfin: "#7f7f7f", rst: "#111111", icmp: "#a0522d",
    rtt: "#1f5fbf", tput: "#1f5fbf", good: "#2ca02c", flight: "#1f5fbf", pwin: "#b8a100",
    pkts: "#4c78a8", syn: "#7f7f7f", rsts: "#111111", retr: "#d62728", zwin: "#00a3b4"
  };
  var pxRatio = function () { return (window.uPlot && uPlot.pxRatio) || window.devicePixelRatio || 1; };

  function fail(where, err) {
    api.errors.push(where + ": " + (err && err.message ? err.message : String(err)));
    console.error("tcpdoctor " + where, err);
  }

  // ---- decoding ---------------------------------------------------------------------------------
  var decoded = {};
  function nanArray(n) { var a = new Float64Array(n); a.fill(NaN); return a; }
  function decode(stream) {
    if (decoded[stream]) return decoded[stream];
    var e = DATA.series && DATA.series[stream];
    if (!e) return null;
    var n = e.n, i, j, k;
    var d = {
      stream: e.s, client: e.c, server: e.v, n: n, packets: e.p, stride: e.st, marksDecimated: !!e.md,
      t: new Float64Array(n), frame: new Float64Array(n), dir: new Uint8Array(n), flags: new Uint16Array(n),
      marks: new Float64Array(n), seq: new Float64Array(n), len: new Float64Array(n),
      ack: nanArray(n), win: nanArray(n), rtt: nanArray(n), flight: nanArray(n), pwin: nanArray(n),
      sacks: {}, icmp: {}, tp: e.tp
    };
    var tu = 0, fr = 0, ps = [0, 0], pa = [0, 0], ai = 0;
    for (i = 0; i < n; i++) {
      tu += e.t[i]; d.t[i] = e.t0 + tu / 1e6;
      fr += e.f[i]; d.frame[i] = fr;
      var b = e.b[i], dir = b & 1;
      d.dir[i] = dir; d.flags[i] = b >> 1; d.marks[i] = e.m[i];
      ps[dir] += e.q[i]; d.seq[i] = ps[dir];
      d.len[i] = e.l[i];
      if (d.flags[i] & ACK) { pa[dir] += e.a[ai]; d.ack[i] = pa[dir]; d.win[i] = e.w[ai]; ai++; }
    }
    for (j = 0, k = 0; j < e.ri.length; j++) { k += e.ri[j]; d.rtt[k] = e.rv[j] / 1e6; }
    for (j = 0, k = 0; j < e.fi.length; j++) { k += e.fi[j]; d.flight[k] = e.fv[j]; d.pwin[k] = e.fw[j] < 0 ? NaN : e.fw[j]; }
    for (j = 0, k = 0; j < e.ki.length; j++) {
      k += e.ki[j];
      var left = (isNaN(d.ack[k]) ? 0 : d.ack[k]) + e.kl[j];
      (d.sacks[k] = d.sacks[k] || []).push([left, left + e.ks[j]]);
    }
    for (j = 0; j < e.ic.length; j++) d.icmp[e.ic[j].i] = e.ic[j];
    sortByTime(d);
    d.bytes = [0, 0];
    for (i = 0; i < n; i++) d.bytes[d.dir[i]] += d.len[i];
    decoded[stream] = d;
    return d;
  }
  // uPlot needs ascending x; captures from several interfaces can step back a little.
  function sortByTime(d) {
    var n = d.n, i, sorted = true;
    for (i = 1; i < n; i++) if (d.t[i] < d.t[i - 1]) { sorted = false; break; }
    if (sorted) return;
    var order = new Array(n);
    for (i = 0; i < n; i++) order[i] = i;
    order.sort(function (a, b) { return d.t[a] - d.t[b] || a - b; });
    var inv = new Int32Array(n);
    for (i = 0; i < n; i++) inv[order[i]] = i;
    ["t", "frame", "dir", "flags", "marks", "seq", "len", "ack", "win", "rtt", "flight", "pwin"].forEach(function (key) {
      var src = d[key], dst = new src.constructor(n);
      for (var j = 0; j < n; j++) dst[j] = src[order[j]];
      d[key] = dst;
    });
    ["sacks", "icmp"].forEach(function (key) {
      var out = {};
      Object.keys(d[key]).forEach(function (k) { out[inv[Number(k)]] = d[key][k]; });
      d[key] = out;
    });
  }

  // ---- formatting -------------------------------------------------------------------------------
  // Decimals that print a tick increment exactly (0.25 → 2, 5 → 0).
  function decimalsFor(incr) {
    if (!(incr > 0)) return 3;
    for (var dec = 0; dec < 9; dec++) {
      var x = incr * Math.pow(10, dec);
      if (Math.abs(x - Math.round(x)) < 1e-6 * Math.max(1, x)) return dec;
    }
    return 9;
  }
  function timeTicks(u, splits, ai, space, incr) {
    var dec = decimalsFor(incr);
    return splits.map(function (v) { return v == null ? "" : v.toFixed(dec); });
  }
  function siTicks(u, splits, ai, space, incr) {
    var max = 0;
    splits.forEach(function (v) { if (v != null && Math.abs(v) > max) max = Math.abs(v); });
    var div = max >= 1e9 ? 1e9 : max >= 1e6 ? 1e6 : max >= 1e4 ? 1e3 : 1;
    var suffix = div === 1e9 ? "G" : div === 1e6 ? "M" : div === 1e3 ? "k" : "";
    var dec = div === 1 ? Math.max(0, decimalsFor(incr)) : decimalsFor(incr / div);
    return splits.map(function (v) { return v == null ? "" : v === 0 ? "0" : (v / div).toFixed(dec) + suffix; });
  }
  function fmtSeconds(x) {
    var a = Math.abs(x);
    if (a < 0.001) return Math.round(x * 1e6) + " µs";
    if (a < 1) return (x * 1000).toFixed(a < 0.01 ? 2 : 1) + " ms";
    return x.toFixed(a < 10 ? 2 : 1) + " s";
  }
  function fmtBytes(n) {
    if (n >= 1073741824) return (n / 1073741824).toFixed(2) + " GiB";
    if (n >= 1048576) return (n / 1048576).toFixed(2) + " MiB";
    if (n >= 10240) return (n / 1024).toFixed(1) + " KiB";
    return n + " B";
  }
  function fmtRate(bps) {
    if (bps >= 1e9) return (bps / 1e9).toFixed(2) + " Gbit/s";
    if (bps >= 1e6) return (bps / 1e6).toFixed(2) + " Mbit/s";
    if (bps >= 1e3) return (bps / 1e3).toFixed(1) + " kbit/s";
    return Math.round(bps) + " bit/s";
  }
  function flagLetters(f) {
    var s = "", L = "FSRPAUEC";
    for (var i = 0; i < 8; i++) if (f & (1 << i)) s += L[i];
    return s || ".";
  }
  function markList(m) {
    var out = [];
    for (var i = 0; i < MARK_NAMES.length; i++) if (m & (1 << i)) out.push(MARK_NAMES[i]);
    return out;
  }
  function describe(d, i) {
    var from = d.dir[i] === 0 ? d.client : d.server, to = d.dir[i] === 0 ? d.server : d.client;
    var parts = ["frame " + d.frame[i], d.t[i].toFixed(6) + " s", from + " → " + to];
    var ic = d.icmp[i];
    if (ic) {
      parts.push("ICMP " + ic.kind + " (type " + ic.type + " code " + ic.code + (ic.mtu ? ", mtu " + ic.mtu : "") + ") quoting seq " + d.seq[i]);
    } else {
      parts.push("[" + flagLetters(d.flags[i]) + "]");
      parts.push("seq " + d.seq[i] + (d.len[i] > 0 ? ":" + (d.seq[i] + d.len[i]) : ""));
      parts.push("len " + d.len[i]);
      if (!isNaN(d.ack[i])) parts.push("ack " + d.ack[i]);
      if (!isNaN(d.win[i])) parts.push("win " + d.win[i]);
      if (!isNaN(d.rtt[i])) parts.push("rtt " + fmtSeconds(d.rtt[i]));
      var sk = d.sacks[i];
      if (sk) parts.push("SACK " + sk.map(function (b) { return b[0] + "-" + b[1]; }).join(" "));
    }
    var marks = markList(d.marks[i]);
    return parts.join("  ") + (marks.length ? "\n" + marks.join(", ") : "");
  }
  function lowerBound(arr, v) {
    var lo = 0, hi = arr.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (arr[mid] < v) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // ---- groups: charts sharing the time axis -------------------------------------------------------
  function group(key, t0, t1) {
    if (t1 <= t0) { t1 = t0 + 0.001; }
    var pad = (t1 - t0) * 0.01;
    var g = { key: key, charts: [], t0: t0 - pad, t1: t1 + pad, busy: false };
    g.setX = function (min, max) {
      if (!(max > min)) return;
      g.busy = true;
      g.charts.forEach(function (u) { u.setScale("x", { min: min, max: max }); });
      g.busy = false;
    };
    g.reset = function () { g.setX(g.t0, g.t1); };
    g.range = function () { var u = g.charts[0]; return u ? [u.scales.x.min, u.scales.x.max] : [g.t0, g.t1]; };
    g.zoom = function (factor, center) {
      var r = g.range(), c = center == null ? (r[0] + r[1]) / 2 : center;
      g.setX(c - (c - r[0]) * factor, c + (r[1] - c) * factor);
    };
    g.pan = function (frac) {
      var r = g.range(), dv = (r[1] - r[0]) * frac;
      g.setX(r[0] + dv, r[1] + dv);
    };
    api.groups[key] = g;
    return g;
  }
  function destroyGroup(key) {
    var g = api.groups[key];
    if (!g) return;
    g.charts.forEach(function (u) {
      u.destroy();
      api.charts = api.charts.filter(function (c) { return c.u !== u; });
    });
    g.charts = [];
    delete api.groups[key];
  }

  function interactions(g) {
    return {
      hooks: {
        setScale: [function (u, key) {
          if (key !== "x" || g.busy) return;
          g.busy = true;
          var min = u.scales.x.min, max = u.scales.x.max;
          g.charts.forEach(function (o) { if (o !== u) o.setScale("x", { min: min, max: max }); });
          g.busy = false;
        }],
        ready: [function (u) {
          u.over.addEventListener("wheel", function (e) {
            e.preventDefault();
            if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
              var delta = (Math.abs(e.deltaX) > Math.abs(e.deltaY) ? e.deltaX : e.deltaY);
              g.pan((delta > 0 ? 1 : -1) * 0.1);
              return;
            }
            var rect = u.over.getBoundingClientRect();
            var at = u.posToVal(e.clientX - rect.left, "x");
            g.zoom(e.deltaY < 0 ? 0.75 : 1 / 0.75, at);
          }, { passive: false });
          // Shift+drag pans; uPlot's own drag (zoom) is kept for the plain button.
          u.root.addEventListener("mousedown", function (e) {
            if (!e.shiftKey || e.button !== 0) return;
            e.stopPropagation();
            e.preventDefault();
            var x0 = e.clientX, r0 = g.range(), width = u.over.clientWidth || 1;
            function move(ev) {
              var dv = ((ev.clientX - x0) / width) * (r0[1] - r0[0]);
              g.setX(r0[0] - dv, r0[1] - dv);
            }
            function up() { window.removeEventListener("mousemove", move); window.removeEventListener("mouseup", up); }
            window.addEventListener("mousemove", move);
            window.addEventListener("mouseup", up);
          }, true);
        }]
      },
      cursor: {
        sync: { key: g.key, setSeries: false },
        drag: { x: true, y: false, setScale: true },
        points: { show: false },
        bind: {
          dblclick: function () { return function () { g.reset(); return null; }; }
        }
      }
    };
  }

  function addHooks(opts, more) {
    opts.hooks = opts.hooks || {};
    Object.keys(more).forEach(function (k) { opts.hooks[k] = (opts.hooks[k] || []).concat(more[k]); });
  }

  function makeChart(box, g, opts, data, height, meta) {
    var inter = interactions(g);
    opts.width = Math.max(320, box.clientWidth || 800);
    opts.height = height;
    opts.cursor = Object.assign(inter.cursor, opts.cursor || {});
    addHooks(opts, inter.hooks);
    opts.scales = opts.scales || {};
    opts.scales.x = Object.assign({ time: false }, opts.scales.x || {});
    opts.legend = opts.legend || { live: false };
    var r = g.charts.length ? g.range() : [g.t0, g.t1];
    var u = new uPlot(opts, data, box);
    g.charts.push(u);
    u.setScale("x", { min: r[0], max: r[1] });
    var entry = Object.assign({ u: u, group: g.key }, meta);
    api.charts.push(entry);
    if (window.ResizeObserver) {
      var last = box.clientWidth;
      new ResizeObserver(function () {
        var w = box.clientWidth;
        if (w && Math.abs(w - last) > 2) { last = w; u.setSize({ width: Math.max(320, w), height: height }); }
      }).observe(box);
    }
    return u;
  }

  function xAxis() {
    return { label: "time since capture start (s)", values: timeTicks, size: 42, labelSize: 16, font: "11px system-ui, sans-serif", labelFont: "12px system-ui, sans-serif" };
  }
  function yAxis(label, values, side) {
    var a = { label: label, values: values || siTicks, size: 62, labelSize: 18, font: "11px system-ui, sans-serif", labelFont: "12px system-ui, sans-serif" };
    if (side) { a.side = side; a.grid = { show: false }; }
    return a;
  }
  function yRange(u, min, max) {
    if (min == null || max == null || !isFinite(min) || !isFinite(max)) return [0, 1];
    if (max === min) return [min - 1, max + 1];
    var pad = (max - min) * 0.04;
    return [min - pad, max + pad];
  }
  function zeroRange(u, min, max) {
    if (max == null || !isFinite(max) || max <= 0) return [0, 1];
    return [0, max * 1.08];
  }
  var NO_PATH = function () { return null; };

  // ---- time-sequence graph ----------------------------------------------------------------------
  function barPaths(lo) {
    return function (u, si, i0, i1) {
      var ys = u.data[si], xs = u.data[0], p = new Path2D(), cap = 2 * pxRatio();
      for (var i = i0; i <= i1; i++) {
        var top = ys[i];
        if (top == null) continue;
        var x = Math.round(u.valToPos(xs[i], "x", true));
        var y1 = u.valToPos(top, "y", true), y0 = u.valToPos(lo[i], "y", true);
        if (y0 - y1 < 1) y0 = y1 + 1;
        p.moveTo(x, y0); p.lineTo(x, y1);
        p.moveTo(x - cap, y1); p.lineTo(x + cap, y1);
      }
      return { stroke: p, fill: null, clip: null, flags: 0 };
    };
  }
  function sackPaths(blocks) {
    return function (u, si, i0, i1) {
      var ys = u.data[si], xs = u.data[0], p = new Path2D(), cap = 2 * pxRatio();
      for (var i = i0; i <= i1; i++) {
        if (ys[i] == null) continue;
        var x = Math.round(u.valToPos(xs[i], "x", true)) + 2 * pxRatio();
        var bl = blocks[i] || [];
        for (var k = 0; k < bl.length; k++) {
          var y1 = u.valToPos(bl[k][1], "y", true), y0 = u.valToPos(bl[k][0], "y", true);
          if (y0 - y1 < 1) y0 = y1 + 1;
          p.moveTo(x, y0); p.lineTo(x, y1);
          p.moveTo(x - cap, y0); p.lineTo(x + cap, y0);
          p.moveTo(x - cap, y1); p.lineTo(x + cap, y1);
        }
      }
      return { stroke: p, fill: null, clip: null, flags: 0 };
    };
  }
  function dots(color, size) {
    return { paths: NO_PATH, stroke: color, width: 0, points: { show: true, size: size, width: 1.5, stroke: color, fill: color } };
  }

  /** Columns of the time-sequence graph of the data sent by direction V. */
  function tseqColumns(d, V) {
    var n = d.n, i;
    var cols = {};
    ["lo", "dat", "rtx", "ooo", "ack", "win", "sack", "dup", "zw", "probe", "synfin", "rst", "icmp"].forEach(function (k) { cols[k] = new Array(n).fill(null); });
    var blocks = {};
    var hi = 0;
    for (i = 0; i < n; i++) {
      var own = d.dir[i] === V, f = d.flags[i], m = d.marks[i], s = d.seq[i], l = d.len[i];
      if (m & MARK.ICMP) { if (own) cols.icmp[i] = s; continue; }
      if (own) {
        // A window probe or keep-alive repeats a byte on purpose: drawn as a probe, not a retransmission.
        if (l > 0 && !(m & PROBE)) {
          cols.lo[i] = s;
          var top = s + l;
          if (m & RETRANS) cols.rtx[i] = top;
          else if (m & OOO) cols.ooo[i] = top;
          else cols.dat[i] = top;
          if (top > hi) hi = top;
        }
        if (m & PROBE) cols.probe[i] = s + l;
        if (f & (SYN | FIN)) cols.synfin[i] = s;
        if (f & RST) cols.rst[i] = s;
      } else if (f & ACK) {
        var a = d.ack[i];
        cols.ack[i] = a;
        cols.win[i] = a + d.win[i];
        if (m & MARK.DUPLICATE_ACK) cols.dup[i] = a;
        if (m & MARK.ZERO_WINDOW) cols.zw[i] = a;
        if (f & RST) cols.rst[i] = a;
        var sk = d.sacks[i];
        if (sk) {
          var mx = -Infinity;
          for (var k = 0; k < sk.length; k++) if (sk[k][1] > mx) mx = sk[k][1];
          cols.sack[i] = mx;
          blocks[i] = sk;
        }
      } else if (f & RST) {
        cols.rst[i] = hi;
      }
    }
    return { cols: cols, blocks: blocks };
  }

  // Drawing order = legend order: the rare, telling marks last so they land on top.
  var TSEQ_SERIES = [
    { key: "dat", label: "Data segment", color: C.data, bars: true, width: 1.5 },
    { key: "ack", label: "ACK", color: C.ack, step: true, width: 1.25 },
    { key: "win", label: "Receive window (ACK + win)", color: C.win, step: true, width: 1.25 },
    { key: "sack", label: "SACK blocks", color: C.sack, sack: true, width: 2 },
    { key: "dup", label: "Duplicate ACK", color: C.dup, dot: 4 },
    { key: "synfin", label: "SYN / FIN", color: C.synfin, dot: 7 },
    { key: "probe", label: "Window probe / keep-alive", color: C.probe, dot: 7 },
    { key: "zw", label: "Zero window", color: C.zw, dot: 9 },
    { key: "ooo", label: "Out of order", color: C.ooo, bars: true, width: 2, mark: 6 },
    { key: "rtx", label: "Retransmission", color: C.rtx, bars: true, width: 2.5, mark: 7 },
    { key: "icmp", label: "ICMP error", color: C.icmp, dot: 9 },
    { key: "rst", label: "RST", color: C.rst, dot: 10 }
  ];
  function hasAny(a) { for (var i = 0; i < a.length; i++) if (a[i] != null) return true; return false; }

  function tseqChart(view, box) {
    var d = view.d, V = view.dir;
    var built = tseqColumns(d, V), cols = built.cols;
    var data = [d.t, cols.lo];
    var series = [{}, { label: "lowest byte", class: "hidden-legend", paths: NO_PATH, points: { show: false }, stroke: "transparent" }];
    var shown = [];
    TSEQ_SERIES.forEach(function (s) {
      if (!hasAny(cols[s.key]) && s.key !== "dat" && s.key !== "ack") return;
      var def;
      if (s.bars) {
        // Retransmissions also get a dot at their top: visible even when the whole transfer is in view.
        def = { paths: barPaths(cols.lo), stroke: s.color, width: s.width, points: s.mark ? { show: true, size: s.mark, width: 1, stroke: "#fff", fill: s.color } : { show: false } };
      }
      else if (s.sack) def = { paths: sackPaths(built.blocks), stroke: s.color, width: s.width, points: { show: false } };
      else if (s.step) def = { paths: uPlot.paths.stepped({ align: 1 }), stroke: s.color, width: s.width, spanGaps: true, points: { show: false } };
      else def = dots(s.color, s.dot);
      // The window line may run far above the data: it does not stretch the axis (it is clipped).
      if (s.key === "win") def.auto = false;
      def.label = s.label;
      def.class = "s-" + s.key;
      series.push(def);
      data.push(cols[s.key]);
      shown.push(s.key);
    });
    var opts = {
      series: series,
      axes: [xAxis(), yAxis("relative sequence number (bytes)")],
      scales: { y: { range: yRange } },
      hooks: {
        setCursor: [function (u) { hover(view, u); }],
        draw: [function (u) { drawHighlight(view, u); }]
      }
    };
    var u = makeChart(box, view.g, opts, data, view.compact ? 250 : 360, { kind: "tseq", stream: d.stream, dir: V, place: view.place, series: shown });
    u.tcpdoctorCols = cols;
    u.tcpdoctorBlocks = built.blocks;
    view.tseq = u;
    return u;
  }

  function rowY(view, i) {
    var d = view.d;
    if (d.dir[i] === view.dir) return d.len[i] > 0 ? d.seq[i] + d.len[i] : d.seq[i];
    return isNaN(d.ack[i]) ? null : d.ack[i];
  }

  function hover(view, u) {
    var tip = view.tip, info = view.info;
    var left = u.cursor.left, top = u.cursor.top;
    if (left == null || left < 0 || top == null || top < 0) { tip.style.display = "none"; return; }
    var d = view.d, xs = d.t, cols = u.tcpdoctorCols;
    var tA = u.posToVal(left - 12, "x"), tB = u.posToVal(left + 12, "x");
    var i0 = lowerBound(xs, tA), i1 = Math.min(xs.length - 1, lowerBound(xs, tB));
    var best = -1, bestDist = 14;
    var keys = ["dat", "rtx", "ooo", "ack", "sack", "dup", "zw", "probe", "synfin", "rst", "icmp"];
    for (var i = i0; i <= i1 && i - i0 < 600; i++) {
      var dx = u.valToPos(xs[i], "x") - left;
      for (var k = 0; k < keys.length; k++) {
        var v = cols[keys[k]][i];
        if (v == null) continue;
        var dy;
        if (keys[k] === "dat" || keys[k] === "rtx" || keys[k] === "ooo") {
          var yTop = u.valToPos(v, "y"), yBot = u.valToPos(cols.lo[i], "y");
          dy = top < yTop ? yTop - top : top > yBot ? top - yBot : 0;
        } else dy = u.valToPos(v, "y") - top;
        var dist = Math.sqrt(dx * dx + dy * dy);
        if (dist < bestDist) { bestDist = dist; best = i; }
      }
    }
    if (best < 0) { tip.style.display = "none"; return; }
    var text = describe(d, best);
    tip.textContent = text;
    tip.style.display = "block";
    var boxRect = view.tseqBox.getBoundingClientRect(), overRect = u.over.getBoundingClientRect();
    var x = overRect.left - boxRect.left + left + 14, y = overRect.top - boxRect.top + top + 14;
    if (x + 420 > boxRect.width) x = Math.max(0, x - 440);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
    info.textContent = text;
    view.hovered = best;
  }

  function drawHighlight(view, u) {
    var i = view.highlight;
    if (i == null || i < 0) return;
    var y = rowY(view, i);
    var x = u.valToPos(view.d.t[i], "x", true);
    var ctx = u.ctx, r = pxRatio();
    ctx.save();
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 2 * r;
    ctx.setLineDash([4 * r, 3 * r]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    if (y != null) {
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.arc(x, u.valToPos(y, "y", true), 9 * r, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
  }

  // ---- other charts of a connection -------------------------------------------------------------
  function empty(box, text) { box.appendChild(el("div", "chart-empty", text)); }

  function rttChart(view, box) {
    var d = view.d, V = view.dir, xs = [], ys = [];
    for (var i = 0; i < d.n; i++) if (d.dir[i] !== V && !isNaN(d.rtt[i])) { xs.push(d.t[i]); ys.push(d.rtt[i] * 1000); }
    if (!xs.length) return empty(box, "No RTT samples for this direction (no ACK of its data was seen).");
    var opts = {
      series: [{}, Object.assign(dots(C.rtt, 4), { label: "ACK RTT (ms)" })],
      axes: [xAxis(), yAxis("RTT (ms)", null)],
      scales: { y: { range: zeroRange } }
    };
    makeChart(box, view.g, opts, [xs, ys], 170, { kind: "rtt", stream: d.stream, dir: V, place: view.place });
  }

  function throughputChart(view, box) {
    var d = view.d, V = view.dir, tp = d.tp;
    var b = tp.b[V], gp = tp.g[V].slice();
    while (gp.length < b.length) gp.push(0);
    var total = 0;
    for (var k = 0; k < b.length; k++) total += b[k];
    if (!total) return empty(box, "No payload in this direction.");
    var xs = [], ya = [], yg = [];
    for (var i = 0; i < b.length; i++) {
      xs.push(tp.o + i * tp.w);
      ya.push((b[i] * 8) / tp.w / 1e6);
      yg.push((gp[i] * 8) / tp.w / 1e6);
    }
    xs.push(tp.o + b.length * tp.w); ya.push(ya[ya.length - 1]); yg.push(yg[yg.length - 1]);
    var step = uPlot.paths.stepped({ align: 1 });
    var opts = {
      series: [{},
        { label: "throughput (all bytes, Mbit/s)", stroke: C.tput, width: 1.5, paths: step, points: { show: false } },
        { label: "goodput (new bytes, Mbit/s)", stroke: C.good, width: 1.5, paths: step, points: { show: false }, dash: [5, 3] }],
      axes: [xAxis(), yAxis("Mbit/s", null)],
      scales: { y: { range: zeroRange } }
    };
    makeChart(box, view.g, opts, [xs, ya, yg], 170, { kind: "throughput", stream: d.stream, dir: V, place: view.place });
  }

  function flightChart(view, box) {
    var d = view.d, V = view.dir, xs = [], fl = [], wn = [];
    for (var i = 0; i < d.n; i++) {
      if (isNaN(d.flight[i])) continue;
      var affects = d.len[i] > 0 ? d.dir[i] : 1 - d.dir[i];
      if (affects !== V) continue;
      xs.push(d.t[i]); fl.push(d.flight[i]); wn.push(isNaN(d.pwin[i]) ? null : d.pwin[i]);
    }
    if (!xs.length) return empty(box, "No data in flight in this direction.");
    var step = uPlot.paths.stepped({ align: 1 });
    var opts = {
      series: [{},
        { label: "bytes in flight", stroke: C.flight, width: 1.5, paths: step, points: { show: false }, fill: "rgba(31,95,191,0.08)" },
        { label: "advertised receive window", stroke: C.pwin, width: 1.5, paths: step, spanGaps: true, points: { show: false }, dash: [6, 3] }],
      axes: [xAxis(), yAxis("bytes")],
      scales: { y: { range: zeroRange } }
    };
    makeChart(box, view.g, opts, [xs, fl, wn], 170, { kind: "inflight", stream: d.stream, dir: V, place: view.place });
  }

  // ---- a connection view --------------------------------------------------------------------------
  function tools(view, parent) {
    var bar = el("div", "chart-tools");
    function btn(text, title, fn) {
      var b = el("button", null, text);
      b.type = "button"; b.title = title;
      b.addEventListener("click", function () { fn(); });
      bar.appendChild(b);
      return b;
    }
    btn("−", "zoom out", function () { view.g.zoom(2); });
    btn("+", "zoom in", function () { view.g.zoom(0.5); });
    btn("◀", "pan left", function () { view.g.pan(-0.25); });
    btn("▶", "pan right", function () { view.g.pan(0.25); });
    btn("reset", "show the whole connection", function () { view.g.reset(); });
    var toggle = el("span", "dir-toggle");
    [0, 1].forEach(function (V) {
      var d = view.d;
      var m = DATA.meta && DATA.meta[d.stream];
      var sent = m ? m.bytes[V] : d.bytes[V];
      var b = el("button", null, (V === 0 ? d.client + " → " + d.server : d.server + " → " + d.client) + " (" + fmtBytes(sent) + ")");
      b.type = "button"; b.title = "draw the data sent in this direction";
      b.setAttribute("data-dir", String(V));
      b.addEventListener("click", function () { view.setDir(V); });
      toggle.appendChild(b);
    });
    bar.appendChild(el("span", "hint", "data:"));
    bar.appendChild(toggle);
    bar.appendChild(el("span", "hint", "drag to zoom · double-click resets · wheel zooms · shift+drag or shift+wheel pans · hover a mark for its packet"));
    parent.appendChild(bar);
    view.toggle = toggle;
  }

  function connHeader(view, parent) {
    var m = DATA.meta && DATA.meta[view.d.stream];
    var head = el("div", "conn-head");
    var h = el("h3", null, "Stream " + view.d.stream + ": " + view.d.client + " → " + view.d.server);
    head.appendChild(h);
    if (m) {
      var st = el("span", "state " + stateClass(m.state), m.state);
      head.appendChild(st);
      head.appendChild(el("span", null, m.verdict));
      var facts = [
        "start " + fmtSeconds(m.start), "duration " + fmtSeconds(m.duration),
        "packets " + m.packets[0] + "/" + m.packets[1], "bytes " + fmtBytes(m.bytes[0]) + " / " + fmtBytes(m.bytes[1]),
        "frames " + m.firstFrame + "–" + m.lastFrame
      ];
      if (m.handshakeRtt != null) facts.push("handshake RTT " + fmtSeconds(m.handshakeRtt));
      if (m.rtt) facts.push("RTT min/avg/max " + fmtSeconds(m.rtt.min) + " / " + fmtSeconds(m.rtt.avg) + " / " + fmtSeconds(m.rtt.max));
      if (m.retransmissions[0] + m.retransmissions[1] > 0) facts.push("retransmissions " + m.retransmissions[0] + "/" + m.retransmissions[1]);
      if (m.zeroWindows) facts.push("zero-window episodes " + m.zeroWindows);
      if (m.throughput) facts.push("throughput " + fmtRate(m.throughput.bps) + " (" + m.throughput.direction + ")");
      head.appendChild(el("div", "conn-facts", facts.join(" · ")));
    }
    var d = view.d;
    if (d.stride > 1 || d.marksDecimated) {
      head.appendChild(el("div", "conn-facts", "Drawn: " + d.n + " of " + d.packets + " packets (every " + d.stride + "th ordinary packet of each kind; every retransmission, duplicate ACK, zero window, SYN, FIN and RST" + (d.marksDecimated ? " up to a cap" : "") + ")."));
    }
    parent.appendChild(head);
  }
  function stateClass(s) {
    if (/^(REJ|S0|RSTO|RSTR|RSTOS0|RSTRH|SH|SHR)$/.test(s)) return "bad";
    if (/^(S1|S2|S3|OTH)$/.test(s)) return "odd";
    return "ok";
  }

  function defaultDir(d) {
    var m = DATA.meta && DATA.meta[d.stream];
    if (m && m.throughput) return m.throughput.direction === "server" ? 1 : 0;
    if (m) return m.bytes[1] > m.bytes[0] ? 1 : 0;
    return d.bytes[1] > d.bytes[0] ? 1 : 0;
  }

  /** Builds the charts of one connection into root. compact: the time-sequence graph only. */
  function connView(root, stream, key, place, compact) {
    var d = decode(stream);
    if (!d) { empty(root, "No packet series for stream " + stream + " (beyond the charted connections)."); return null; }
    var view = { d: d, dir: defaultDir(d), key: key, place: place, compact: compact, root: root, highlight: null,
      extra: (root.getAttribute("data-extra") || "").split(",").filter(Boolean) };
    root.innerHTML = "";
    if (!compact) connHeader(view, root);
    tools(view, root);
    var chartsBox = el("div", "conn-charts");
    root.appendChild(chartsBox);
    view.render = function () {
      destroyGroup(key);
      chartsBox.innerHTML = "";
      var t0 = d.n ? d.t[0] : 0, t1 = d.n ? d.t[d.n - 1] : 1;
      view.g = group(key, t0, t1);
      view.g.view = view;
      Array.prototype.forEach.call(view.toggle.children, function (b) { b.classList.toggle("on", Number(b.getAttribute("data-dir")) === view.dir); });
      chartsBox.appendChild(el("div", "chart-title", "Time-sequence graph: data " + (view.dir === 0 ? d.client + " → " + d.server : d.server + " → " + d.client) + " and the ACKs coming back"));
      var box = el("div", "chart-box tseq-box");
      chartsBox.appendChild(box);
      view.tseqBox = box;
      view.tip = el("div", "tooltip");
      box.appendChild(view.tip);
      view.info = el("div", "pkt-info", "Hover a segment or mark to see its packet.");
      try { tseqChart(view, box); } catch (err) { fail("time-sequence chart of stream " + stream, err); }
      chartsBox.appendChild(view.info);
      var parts = [
        ["rtt", "RTT samples (time from a segment to the ACK that covers it)", rttChart],
        ["throughput", "Throughput and goodput" + (d.tp && d.tp.w ? " (bins of " + fmtSeconds(d.tp.w) + ")" : ""), throughputChart],
        ["inflight", "Bytes in flight against the receiver's advertised window", flightChart]
      ];
      // A finding's compact view adds only the charts that picture it (data-extra on its box).
      if (compact) parts = parts.filter(function (p) { return (view.extra || []).indexOf(p[0]) >= 0; });
      parts = parts.map(function (p) { return [p[1], p[2]]; });
      parts.forEach(function (p) {
        chartsBox.appendChild(el("div", "chart-title", p[0]));
        var b = el("div", "chart-box");
        chartsBox.appendChild(b);
        try { p[1](view, b); } catch (err) { fail(p[0] + " of stream " + stream, err); }
      });
    };
    view.setDir = function (V) {
      if (V === view.dir) return;
      view.dir = V; view.highlight = null;
      view.render();
    };
    view.render();
    api.views[key] = view;
    return view;
  }

  // ---- capture activity ---------------------------------------------------------------------------
  function activityChart(box) {
    var a = DATA.activity;
    if (!a || !a.packets.length) return empty(box, "No packets.");
    var xs = [], pk = [], sy = [], rs = [], rt = [], zw = [];
    for (var i = 0; i < a.packets.length; i++) {
      xs.push(a.o + i * a.w);
      pk.push(a.packets[i] / a.w); sy.push(a.syns[i] / a.w); rs.push(a.rsts[i] / a.w);
      rt.push(a.retransmissions[i] / a.w); zw.push(a.zeroWindows[i] / a.w);
    }
    var g = group("activity-" + api.charts.length, xs[0], xs[xs.length - 1] + a.w);
    var step = uPlot.paths.stepped({ align: 1 });
    function s(label, color, scale, dash) { return { label: label, stroke: color, width: 1.5, paths: step, scale: scale, points: { show: false }, dash: dash }; }
    var series = [{}, s("packets/s", C.pkts, "p"), s("SYN/s (attempts and retries)", C.syn, "e"), s("RST/s", C.rsts, "e", [4, 2]), s("retransmissions/s", C.retr, "e"), s("zero windows/s", C.zwin, "e", [2, 2])];
    var opts = {
      series: series,
      axes: [xAxis(), Object.assign(yAxis("packets/s"), { scale: "p" }), Object.assign(yAxis("events/s", null, 1), { scale: "e" })],
      scales: { p: { range: zeroRange }, e: { range: zeroRange } }
    };
    makeChart(box, g, opts, [xs, pk, sy, rs, rt, zw], 220, { kind: "activity", place: "finding" });
    var bar = el("div", "chart-tools");
    var reset = el("button", null, "reset");
    reset.type = "button";
    reset.addEventListener("click", function () { g.reset(); });
    bar.appendChild(reset);
    bar.appendChild(el("span", "hint", "bins of " + fmtSeconds(a.w) + " · drag to zoom · double-click resets"));
    box.parentNode.insertBefore(bar, box);
  }

  // ---- navigation: connections and packets --------------------------------------------------------
  function flash(node) {
    node.classList.add("flash");
    setTimeout(function () { node.classList.remove("flash"); }, 1500);
  }
  var chooser = document.getElementById("conn-select");
  var chooserView = document.getElementById("conn-view");
  function viewFor(stream) {
    var block = document.getElementById("conn-" + stream);
    if (block && api.views["conn-" + stream]) return { view: api.views["conn-" + stream], node: block };
    if (chooser && chooserView && DATA.series && DATA.series[stream]) {
      if (String(chooser.value) !== String(stream) || !api.views.chooser) {
        chooser.value = String(stream);
        api.views.chooser = connView(chooserView, stream, "chooser", "chooser", false);
      }
      return { view: api.views.chooser, node: document.getElementById("conn-chooser") || chooserView };
    }
    return block ? { view: null, node: block } : null;
  }
  api.showConn = function (stream) {
    var v = viewFor(stream);
    if (!v) return false;
    v.node.scrollIntoView({ block: "start" });
    flash(v.node);
    return true;
  };
  function findFrame(frame, prefer) {
    var streams = (prefer || []).concat(Object.keys(DATA.series || {}).map(Number));
    var seen = {}, fallback = null;
    for (var k = 0; k < streams.length; k++) {
      var s = streams[k];
      if (seen[s]) continue;
      seen[s] = true;
      var d = decode(s);
      if (!d) continue;
      for (var i = 0; i < d.n; i++) if (d.frame[i] === frame) return { stream: s, row: i };
      var m = DATA.meta && DATA.meta[s];
      if (!fallback && m && frame >= m.firstFrame && frame <= m.lastFrame) fallback = { stream: s, row: -1 };
    }
    return fallback;
  }
  api.showFrame = function (frame, prefer) {
    var hit = findFrame(frame, prefer);
    if (!hit) return false;
    var v = viewFor(hit.stream);
    if (!v || !v.view) return false;
    var view = v.view, d = view.d;
    if (hit.row >= 0) {
      var i = hit.row;
      var dir = d.len[i] > 0 || (d.flags[i] & (SYN | FIN)) || (d.marks[i] & MARK.ICMP) ? d.dir[i] : 1 - d.dir[i];
      if (dir !== view.dir) view.setDir(dir);
      view.highlight = i;
      var m = DATA.meta && DATA.meta[hit.stream];
      var span = view.g.t1 - view.g.t0;
      var w = Math.max(span * 0.04, m && m.handshakeRtt ? m.handshakeRtt * 4 : 0, 0.0005);
      var lo = d.t[i] - w, hi = d.t[i] + w;
      // Keep the window inside the connection when it can be: shift it rather than show empty time.
      if (lo < view.g.t0) { hi = Math.min(view.g.t1, hi + view.g.t0 - lo); lo = view.g.t0; }
      if (hi > view.g.t1) { lo = Math.max(view.g.t0, lo - (hi - view.g.t1)); hi = view.g.t1; }
      view.g.setX(lo, hi);
      view.info.textContent = describe(d, i);
      if (view.tseq) view.tseq.redraw(false);
    }
    (view.tseqBox || v.node).scrollIntoView({ block: "center" });
    flash(v.node);
    return true;
  };

  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a") : null;
    if (!a) return;
    var frame = a.getAttribute("data-frame"), stream = a.getAttribute("data-stream");
    if (frame != null) {
      var art = a.closest("[data-streams]");
      var prefer = art ? art.getAttribute("data-streams").split(",").filter(Boolean).map(Number) : [];
      if (api.showFrame(Number(frame), prefer)) { e.preventDefault(); history.replaceState(null, "", "#frame-" + frame); }
    } else if (stream != null) {
      if (api.showConn(Number(stream))) { e.preventDefault(); history.replaceState(null, "", "#conn-" + stream); }
    }
  });
  function fromHash() {
    var m = /^#(frame|conn)-(\d+)$/.exec(location.hash);
    if (!m) return;
    if (m[1] === "frame") api.showFrame(Number(m[2]), []);
    else api.showConn(Number(m[2]));
  }
  window.addEventListener("hashchange", fromHash);

  // ---- start ----------------------------------------------------------------------------------------
  function init() {
    if (typeof uPlot === "undefined") { fail("init", new Error("uPlot is missing")); return; }
    Array.prototype.forEach.call(document.querySelectorAll(".finding-tseq"), function (box, n) {
      try { connView(box, Number(box.getAttribute("data-stream")), "finding-" + n, "finding", true); }
      catch (err) { fail("finding chart", err); }
    });
    Array.prototype.forEach.call(document.querySelectorAll(".conn-charts-root"), function (box) {
      var s = Number(box.getAttribute("data-stream"));
      try { connView(box, s, "conn-" + s, "conn", false); } catch (err) { fail("connection " + s, err); }
    });
    Array.prototype.forEach.call(document.querySelectorAll(".activity-chart"), function (box) {
      try { activityChart(box); } catch (err) { fail("activity chart", err); }
    });
    if (chooser && chooserView) {
      chooser.addEventListener("change", function () {
        try { api.views.chooser = connView(chooserView, Number(chooser.value), "chooser", "chooser", false); }
        catch (err) { fail("chooser", err); }
      });
      if (chooser.value !== "") {
        try { api.views.chooser = connView(chooserView, Number(chooser.value), "chooser", "chooser", false); }
        catch (err) { fail("chooser", err); }
      }
    }
    fromHash();
    api.ready = true;
  }
  window.addEventListener("error", function (e) { api.errors.push(String(e.message)); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
`;
