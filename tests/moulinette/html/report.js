// report.js — draws the moulinette's JSON report (the #report-data element) into #report. No library,
// no network: the page must open from a file on a machine with nothing else.
"use strict";
(function () {
  const doc = JSON.parse(document.getElementById("report-data").textContent);
  const run = doc.moulinette || {}, timing = doc.timing || {};
  const grading = run.command === "grade";
  const root = document.getElementById("report");
  const JUST = 10;   // a mutant rejected by at most this many points is "only just rejected"

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "style") e.style.cssText = v; else e.setAttribute(k, v);
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  function svg(tag, attrs, ...kids) {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  const secs = ms => ms >= 60000 ? `${Math.floor(ms / 60000)} min ${Math.round(ms / 1000) % 60} s` : `${(ms / 1000).toFixed(1)} s`;
  const badge = (text, cls) => el("span", { class: "badge " + cls }, text);
  function bar(parts, max, marks) {
    const b = el("div", { class: "bar" });
    let x = 0;
    for (const [v, cls] of parts) {
      const w = max > 0 ? 100 * v / max : 0;
      b.append(el("span", { class: cls, style: `left:${x}%;width:${Math.max(w, v > 0 ? 0.5 : 0)}%` }));
      x += w;
    }
    for (const m of marks || []) b.append(el("span", { class: "mark", style: `left:${100 * m / max}%` }));
    return b;
  }

  // A mutant's verdict: the words and the badge class.
  function verdict(m, passing) {
    if (m.error !== undefined) return ["did not build", "b-bad"];
    if (!m.killed) return ["SURVIVED", "b-bad"];
    if (!m.rejected) return ["killed, passes", "b-warn"];
    if (passing - m.score <= JUST) return ["only just rejected", "b-edge"];
    return ["rejected", "b-ok"];
  }

  function pointsTable(ex, v, bonus) {
    const tests = ex.spec.tests;
    const byName = {};
    for (const t of (v.tests || []).concat(bonus ? bonus.tests || [] : [])) byName[t.name] = t;
    // The slowest run of each test over the mutants: a test a mutant makes hang shows its timeout here.
    const slowest = tests.map((t, i) => Math.max(0, ...(ex.mutants || []).map(m => (m.test_ms || [])[i] || 0)));
    const withMutants = v === ex.reference && (ex.mutants || []).length > 0;
    const maxMs = Math.max(1, ...tests.map((t, i) => Math.max((byName[t.name] || {}).ms || 0, withMutants ? slowest[i] : 0)));
    const body = tests.map((t, i) => {
      const r = byName[t.name];
      const res = !r ? el("span", { class: "sub" }, "—") : el("span", { class: r.passed ? "ok" : "fail" }, r.passed ? "ok" : "FAIL");
      return el("tr", {}, el("td", { class: "num" }, i + 1), el("td", { class: "name" }, t.name),
        el("td", { class: "sub" }, t.category || ""), el("td", { class: "num" }, t.bonus ? `+${t.points} bonus` : t.points),
        el("td", {}, res), el("td", { class: "num mono" }, r ? `${r.ms} ms` : ""),
        el("td", {}, r ? bar([[r.ms, "test"]], maxMs, withMutants ? [slowest[i]] : []) : ""),
        withMutants ? el("td", { class: "num mono", title: "the slowest run of this test over the mutants" }, `${slowest[i]} ms`) : null,
        el("td", { class: "detail", title: r && r.detail || "" }, r && r.detail || ""));
    });
    const normRow = ex.spec.forbidden_symbols.length && v.norm ?
      el("tr", {}, el("td"), el("td", { class: "name" }, "norm"), el("td", { class: "sub", title: ex.spec.forbidden_symbols.join(" ") },
        `${ex.spec.forbidden_symbols.length} forbidden symbol(s)`),
        el("td"), el("td", {}, el("span", { class: v.norm.passed ? "ok" : "fail" }, v.norm.passed ? "ok" : "FAIL")),
        el("td"), el("td"), withMutants ? el("td") : null, el("td", { class: "detail" }, v.norm.detail)) : null;
    const heads = ["#", "test", "category", "points", "result", "time", "", ...(withMutants ? ["slowest mutant"] : []), "why it failed"];
    return el("table", {}, el("thead", {}, el("tr", {}, heads
      .map((h, i) => el("th", { class: i === 0 || i === 3 || i === 5 || h === "slowest mutant" ? "num" : "" }, h)))), el("tbody", {}, body, normRow));
  }

  function heatMap(ex) {
    const tests = ex.spec.tests, passing = ex.passing_score;
    const maxPts = Math.max(1, ...tests.map(t => t.points));
    const kills = tests.map(() => 0);
    const rows = ex.mutants.map(m => {
      const failed = new Set(m.failed_tests);
      const [word, cls] = verdict(m, passing);
      const cells = tests.map((t, i) => {
        if (m.error !== undefined) return el("td", { class: "cell none", title: `${m.id}: did not build` });
        const took = m.test_ms && m.test_ms[i] !== undefined ? `, ${m.test_ms[i]} ms` : "";
        if (!failed.has(t.name)) return el("td", { class: "cell miss", title: `${m.id} passes ${t.name}${took}` }, "·");
        kills[i]++;
        const a = 0.35 + 0.65 * t.points / maxPts;
        return el("td", { class: "cell hit", style: `background:rgba(209,36,47,${a.toFixed(2)})`,
                          title: `${t.name} kills ${m.id} (${t.points} points${took})` }, "×");
      });
      const rowCls = cls === "b-edge" ? "just" : (word === "SURVIVED" ? "survived" : "");
      return el("tr", { class: rowCls }, el("td", { class: "name" }, m.id), cells,
        el("td", { class: "num mono" }, m.score), el("td", {}, bar([[m.score, m.score >= passing ? "poor" : "good"]], 100, [passing])),
        el("td", {}, badge(word, cls)), el("td", { class: "sub" }, failed.has("norm") ? "norm" : ""));
    });
    const head = el("tr", {}, el("th", {}, "mutant"), tests.map((t, i) => el("th", { class: "col", title: t.name }, i + 1)),
      el("th", { class: "num" }, "score"), el("th", {}, `vs passing ${passing}`), el("th", {}, "verdict"), el("th"));
    const foot = el("tr", {}, el("td", { style: "text-align:right;padding-right:8px" }, "kills"),
      kills.map((k, i) => el("td", { class: k ? "" : "zero", title: k ? `${tests[i].name} kills ${k} mutant(s)` : `${tests[i].name} kills no mutant` }, k)),
      el("td", { colspan: 4 }));
    return el("div", { class: "heat" }, el("table", {}, el("thead", {}, head), el("tbody", {}, rows), el("tfoot", {}, foot)),
      el("div", { class: "legend" },
        el("span", {}, el("i", { style: "background:rgba(209,36,47,1)" }), "× the test fails: it kills the mutant (darker: more points)"),
        el("span", {}, el("i", { style: "background:#eaeef2" }), "· passes"),
        el("span", {}, el("i", { style: "background:#ffe7c2" }), `only just rejected (≤ ${JUST} points under passing)`),
        el("span", {}, el("i", { style: "background:#1f2328;width:2px" }), "the passing score"),
        el("span", {}, el("i", { style: "background:#e16f24" }), "score a mutant keeps while passing")),
      el("div", { class: "sub" }, "Tests: ", tests.map((t, i) => `${i + 1} ${t.name}`).join(" · ")));
  }

  function mutantTimes(ex) {
    const rows = ex.mutants.map(m => [m.id, m.build_ms || 0, (m.test_ms || []).reduce((a, b) => a + b, 0),
      (m.build_cpu_ms || 0) + (m.tests_cpu_ms || 0)]);
    if (ex.reference) {
      const rt = (ex.reference.tests || []).concat((ex.bonus_reference || {}).tests || []);
      rows.unshift(["reference", ex.reference.build_ms || 0, rt.reduce((a, t) => a + t.ms, 0),
        (ex.reference.build_cpu_ms || 0) + rt.reduce((a, t) => a + (t.cpu_ms || 0), 0)]);
    }
    const max = Math.max(1, ...rows.map(r => r[1] + r[2]));
    return el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "variant"), el("th", { class: "num" }, "build"),
      el("th", { class: "num" }, "tests"), el("th", { class: "num" }, "CPU"), el("th", {}, ""))),
      el("tbody", {}, rows.map(([id, b, t, c]) => el("tr", {}, el("td", { class: "name" }, id), el("td", { class: "num mono" }, secs(b)),
        el("td", { class: "num mono" }, secs(t)), el("td", { class: "num mono" }, secs(c)),
        el("td", { style: "width:100%" }, bar([[b, "build"], [t, "test"]], max))))),
      el("tfoot", {}, el("tr", {}, el("td", { colspan: 5, style: "text-align:left" }, el("div", { class: "legend" },
        el("span", {}, el("i", { style: "background:var(--build)" }), "build (patch, compile, link)"),
        el("span", {}, el("i", { style: "background:var(--test)" }), "tests (summed: they run in parallel)"),
        el("span", {}, "times: how long each held a job slot; CPU: what it used of a core"))))));
  }

  // The score distribution of many submissions: one bar per 10 points, the passing score marked.
  function histogram(subs, passing) {
    const bins = new Array(11).fill(0);
    for (const s of subs) bins[Math.min(10, Math.floor(s.score / 10))]++;
    const W = 560, H = 170, pad = 28, bw = (W - pad * 2) / 11, top = Math.max(1, ...bins);
    const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": "score distribution" });
    bins.forEach((n, i) => {
      const h = (H - 2 * pad) * n / top, x = pad + i * bw;
      g.append(svg("rect", { x: x + 2, y: H - pad - h, width: bw - 4, height: h, rx: 2, fill: i * 10 >= passing ? "#2da44e" : "#cf222e" }));
      g.append(svg("text", { x: x + bw / 2, y: H - pad + 14, "text-anchor": "middle" }, i === 10 ? "100" : `${i * 10}`));
      if (n) g.append(svg("text", { x: x + bw / 2, y: H - pad - h - 4, "text-anchor": "middle" }, n));
    });
    const px = pad + (passing / 10) * bw;
    g.append(svg("line", { x1: px, x2: px, y1: 8, y2: H - pad, stroke: "#1f2328", "stroke-dasharray": "4 3" }));
    g.append(svg("text", { x: px + 4, y: 16 }, `passing ${passing}`));
    return g;
  }

  function submissions(ex) {
    const subs = ex.submissions, passing = ex.passing_score;
    const out = [el("h3", {}, `${subs.length} submission(s)`)];
    if (subs.length > 1) out.push(histogram(subs, passing));
    out.push(el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "submission"), el("th", { class: "num" }, "score"),
      el("th", {}, ""), el("th", {}, "verdict"))),
      el("tbody", {}, subs.map(s => el("tr", {}, el("td", { class: "name" }, s.dir), el("td", { class: "num mono" }, s.score),
        el("td", {}, bar([[s.score, s.passed ? "good" : "lost"]], 100, [passing])),
        el("td", {}, s.build_error !== undefined ? badge("did not build", "b-bad") : badge(s.passed ? "passed" : "failed", s.passed ? "b-ok" : "b-bad")))))));
    for (const s of subs) {
      const d = el("details", {}, el("summary", {}, `${s.dir}: ${s.score}/${s.max}`));
      if (s.build_error !== undefined) d.append(el("pre", { class: "detail", style: "white-space:pre-wrap" }, s.build_error));
      d.append(pointsTable(ex, { tests: s.tests, norm: s.norm }, { tests: s.bonus_tests }));
      out.push(d);
    }
    return out;
  }

  function exercise(ex) {
    const sec = el("section", { class: "ex", id: "ex-" + ex.id.replace(/[^A-Za-z0-9_]/g, "-") });
    const head = el("header", {}, el("h2", {}, ex.id), el("span", { class: "sub" }, ex.spec.title), badge(`passing ${ex.passing_score}`, "b-muted"));
    sec.append(head);
    if (ex.reference) {
      const r = ex.reference, full = r.score === r.max && r.build_error === undefined;
      head.append(badge(`reference ${r.score}/${r.max}`, full ? "b-ok" : "b-bad"));
      if (ex.bonus_reference) head.append(badge(`bonus ${ex.bonus_reference.passed ? "ok" : "FAIL"}`, ex.bonus_reference.passed ? "b-ok" : "b-bad"));
      if (r.build_error !== undefined) sec.append(el("pre", { class: "problems" }, r.build_error));
    }
    if (ex.mutants) {
      const killed = ex.mutants.filter(m => m.killed).length;
      head.append(badge(`${killed}/${ex.mutants.length} mutants killed`, killed === ex.mutants.length ? "b-ok" : "b-bad"));
    }
    if (ex.timing) head.append(el("span", { class: "sub" }, `build ${secs(ex.timing.build_ms)} · tests ${secs(ex.timing.tests_ms)}`));
    if (ex.reference) sec.append(el("h3", {}, "Points (the reference)"), pointsTable(ex, ex.reference, ex.bonus_reference));
    if (ex.mutants && ex.mutants.length)
      sec.append(el("h3", {}, "Mutants × tests"), heatMap(ex), el("h3", {}, "Time per variant (build, tests)"), mutantTimes(ex));
    if (ex.submissions) sec.append(...submissions(ex));
    return sec;
  }

  function summary() {
    const exs = doc.exercises || [];
    const muts = exs.flatMap(e => e.mutants || []);
    const refs = exs.filter(e => e.reference);
    const refsFull = refs.filter(e => e.reference.score === e.reference.max).length;
    const cards = [];
    const card = (label, value, cls) => cards.push(el("div", { class: "card " + (cls || "") }, el("b", {}, value), label));
    card("exercises", exs.length);
    if (!grading) {
      card("references 100/100", `${refsFull}/${refs.length}`, refsFull === refs.length ? "ok" : "bad");
      card("mutants killed", `${muts.filter(m => m.killed).length}/${muts.length}`, muts.every(m => m.killed) ? "ok" : "bad");
      card("only just rejected", exs.flatMap(e => (e.mutants || []).filter(m => m.killed && m.rejected &&
        e.passing_score - m.score <= JUST)).length);
    } else {
      const subs = exs.flatMap(e => e.submissions || []);
      card("submissions", subs.length);
      card("passed", `${subs.filter(s => s.passed).length}/${subs.length}`);
    }
    if (timing.wall_ms) {
      card(`wall, --jobs ${timing.jobs}`, secs(timing.wall_ms));
      if (muts.length) card("mutants graded / min", (muts.length * 60000 / timing.wall_ms).toFixed(1));
      card("CPU (user + system)", secs((timing.build_cpu_ms || 0) + (timing.tests_cpu_ms || 0)));
    }
    const shard = run.shard || {};
    const where = shard.merged ? `merged from ${shard.merged.length} shard report(s)` : shard.count > 1 ? `shard ${shard.index}/${shard.count}` : "one run";
    const problems = (doc.spec_problems || []).slice();
    for (const e of exs) {
      if (e.reference && e.reference.score !== e.reference.max) problems.push(`${e.id}: the reference scores ${e.reference.score}/${e.reference.max}`);
      for (const m of e.mutants || []) if (!m.killed) problems.push(`${e.id}: mutant ${m.id} ${m.error !== undefined ? "does not build" : "survives every test"}`);
    }
    return [el("h1", {}, `moulinette ${run.command || ""}`),
      el("div", { class: "sub mono" }, `pack ${run.pack || "?"} · ${where} · ${run.variants || 0} variant(s) in the batch`),
      el("div", { class: "cards" }, cards),
      problems.length ? el("div", { class: "problems" }, el("b", {}, "Problems"), el("ul", {}, problems.map(p => el("li", {}, p)))) : null];
  }

  root.replaceChildren(...summary().filter(Boolean), ...(doc.exercises || []).map(exercise),
    el("footer", {}, "Made by the moulinette from its JSON report (", el("span", { class: "mono" }, "--json"), "); schema in tests/moulinette/README.md."));
  document.body.setAttribute("data-rendered", String((doc.exercises || []).length));
})();
