/* Dorpshub map: villages coloured by whether they meet the chosen norm. */
(function () {
  var D = BB.data();
  var P = D.palette, MET = P.met, FAILED = P.failed, UNKNOWN = P.unknown;
  var FAILED_COUNT = P.failed_count;
  var f = BB.frame(D), map = f.map, panel = f.panel;
  var state = {norm: D.norms.length ? D.norms[0].key : "failed"};
  var byName = {};
  D.villages.forEach(function (v) { byName[v.name] = v; });
  var hubsAt = {};
  D.hubs.forEach(function (h) { (hubsAt[h.village] = hubsAt[h.village] || []).push(h); });

  // ---- hub links and rings (below the villages), one layer per method; the line style
  // (solid, dashed, dotted) tells the methods apart, not only the colour
  var HUB_STYLE = {
    "p-median": {color: "#1b4f8a", link: null, ring: null, extra: 5, dir: "left", sw: "bb-sw-hub-p"},
    "max-coverage": {color: "#5b2a86", link: "6,5", ring: "5,3", extra: 10, dir: "right", sw: "bb-sw-hub-d"},
    "ov-reach": {color: "#a14a0c", link: "1,5", ring: "2,4", extra: 15, dir: "bottom", sw: "bb-sw-hub-o"}
  };
  var methods = {};
  D.hubs.forEach(function (h) {
    if (!methods[h.method]) {
      methods[h.method] = {label: h.method_nl, mark: h.mark, group: L.layerGroup().addTo(map)};
    }
    var g = methods[h.method].group, st = HUB_STYLE[h.method] || HUB_STYLE["max-coverage"];
    h.links.forEach(function (to) {
      L.polyline([BB.ll(h.ll), BB.ll(to)], {
        pane: "bbLines", className: "bb-hub-link bb-hub-link-" + h.method, interactive: false,
        color: st.color, weight: 2, opacity: 0.8, dashArray: st.link
      }).addTo(g);
    });
    var v = byName[h.village], r = (v ? v.r : 6) + st.extra;
    var ring = L.circleMarker(BB.ll(h.ll), {
      pane: "bbHubs", className: "bb-hub bb-hub-" + h.method, radius: r, fill: false,
      color: st.color, weight: 4, dashArray: st.ring
    }).addTo(g);
    ring.bindPopup(hubPopup(h));
    var off = {left: [-r, 0], right: [r, 0], bottom: [0, r]}[st.dir];
    ring.bindTooltip(BB.esc(h.mark + BB.intNl(h.rank)), {permanent: true, direction: st.dir,
      offset: off, className: "bb-hub-label bb-hub-label-" + h.method, interactive: false});
  });
  Object.keys(methods).forEach(function (k) {
    f.control.addOverlay(methods[k].group, BB.esc("Hubs: " + methods[k].label));
  });
  function hubPopup(h) {
    var ov = h.method === "ov-reach", keys = (D.ov_hub_services || []).join(", ");
    return BB.table("Voorgestelde hub " + h.mark + BB.intNl(h.rank) + ": " + h.village, [
      ["Methode", h.method_nl], ["Inwoners bediend", BB.intNl(h.inw)],
      [ov ? "Inwoners die er met fiets en ov een sleutelvoorziening binnen de ov-norm bij krijgen"
          : "Inwoners die er binnen de hubnorm bij komen", h.gain === null ? null : BB.intNl(h.gain)],
      ["Sleutelvoorzieningen", ov && keys ? keys : null],
      ["Dorpen", h.served.join(", ")]
    ]);
  }

  // ---- ov stops (circles sized by departures per hour in the norm window), below the services
  var OV = D.ov, ovGroup = null;
  if (OV) {
    map.createPane("bbStops").style.zIndex = 600;
    map.createPane("bbStopRings").style.zIndex = 645;
    map.getPane("bbStopRings").style.pointerEvents = "none";
    ovGroup = L.layerGroup().addTo(map);
    OV.stops.forEach(function (s) {
      var title = s.station && s.station !== s.name ? s.name + " (" + s.station + ")" : s.name;
      var rows = [["Halte", s.name], ["Station", s.station && s.station !== s.name ? s.station : null]];
      OV.windows.forEach(function (w) {
        if (w.name in s.dep) {
          rows.push(["Vertrekken per uur, " + w.label, s.dep[w.name] === null ? "–" : BB.numNl(s.dep[w.name], 1)]);
        }
      });
      // a clickable disc below the villages, and a ring above them that lets the clicks
      // through (most stops lie in a village, whose circle would hide the disc)
      L.circleMarker(BB.ll(s.ll), {pane: "bbStops", className: "bb-stop", radius: s.r,
                                   color: "#0b6e4f", weight: 1, fillColor: "#2a9d78", fillOpacity: 0.75})
        .bindPopup(BB.table("Ov-halte: " + title, rows)).addTo(ovGroup);
      L.circleMarker(BB.ll(s.ll), {pane: "bbStopRings", className: "bb-stop-ring", radius: s.r,
                                   color: "#0b6e4f", weight: 2.5, opacity: 0.9, fill: false, interactive: false})
        .addTo(ovGroup);
    });
    f.control.addOverlay(ovGroup, BB.esc("ov-haltes"));
  }

  // ---- services (small squares with a letter: the kind is told by text, not colour)
  var kinds = {};
  D.services.forEach(function (s) {
    if (!kinds[s.kind]) {
      kinds[s.kind] = {label: s.kind_nl, mark: s.mark, group: L.layerGroup()};
      if (!s.off) { kinds[s.kind].group.addTo(map); }
    }
    L.marker(BB.ll(s.ll), {
      icon: L.divIcon({className: "bb-service bb-service-" + s.slug, html: "<span>" + BB.esc(s.mark) + "</span>", iconSize: null}),
      pane: "bbServices", keyboard: false
    }).bindPopup(BB.table(s.kind_nl, [["Naam", s.name],
      ["Vertrekken per uur", s.dep === null ? null : BB.numNl(s.dep, 1)]])).addTo(kinds[s.kind].group);
  });
  Object.keys(kinds).sort().forEach(function (k) {
    f.control.addOverlay(kinds[k].group, BB.esc(kinds[k].mark + " = " + kinds[k].label));
  });

  // ---- the what-if hub
  if (D.what_if && D.what_if.ll) {
    var w = D.what_if;
    var wl = L.marker(BB.ll(w.ll), {
      icon: L.divIcon({className: "bb-whatif", html: "<span>?</span>", iconSize: [22, 22], iconAnchor: [-4, 26]}),
      pane: "bbServices", keyboard: false
    }).bindPopup(BB.table("Wat als er een hub komt in " + w.village + "?", [
      ["Inwoners binnen de hubnorm nu", BB.intNl(w.before)], ["Met deze hub", BB.intNl(w.after)],
      ["Erbij", BB.intNl(w.gain)], ["Waarvan 65+", BB.intNl(w.gain65)],
      ["Dorpen die erop vooruitgaan", w.villages.join(", ")]
    ]) + whatIfOv(w), {maxWidth: 440, minWidth: 300});
    var wg = L.layerGroup([wl]).addTo(map);
    f.control.addOverlay(wg, BB.esc("Wat-als-hub " + w.village));
  }
  function whatIfOv(w) {
    if (!w.ov || !w.ov.length) { return ""; }
    var h = "<table class=\"bb-pop bb-whatif-ov\"><caption>" + BB.esc("Zonder auto: per fiets naar de hub, dan met het ov (inwoners binnen de ov-norm)") +
      "</caption><tr class=\"bb-head-row\"><th>Naar</th><td>nu</td><td>met deze hub</td><td>erbij</td><td>waarvan 65+</td></tr>";
    w.ov.forEach(function (r) {
      h += "<tr><th>" + BB.esc(r.service_nl + " ≤ " + BB.numNl(r.norm, 0) + " min") + "</th><td>" + BB.esc(BB.intNl(r.before)) +
        "</td><td>" + BB.esc(BB.intNl(r.after)) + "</td><td>" + BB.esc(BB.intNl(r.gain)) + "</td><td>" + BB.esc(BB.intNl(r.gain65)) + "</td></tr>";
    });
    return h + "</table>";
  }

  // ---- villages (on top, clickable at their centre)
  // larger circles first, so a small village next to a large one stays clickable
  var order = D.villages.map(function (v, i) { return i; }).sort(function (a, b) {
    return D.villages[b].r - D.villages[a].r || a - b;
  });
  var villageLayers = new Array(D.villages.length);
  order.forEach(function (i) {
    var v = D.villages[i];
    var m = L.circleMarker(BB.ll(v.ll), {pane: "bbVillages", className: "bb-village", radius: v.r,
                                         color: "#222", weight: 1.5, fillOpacity: 0.95});
    m.bindPopup(function () { return villagePopup(v); }, {maxWidth: 440, minWidth: 300});
    m.bindTooltip(BB.esc(v.name), {direction: "top", offset: [0, -v.r]});
    m.addTo(map);
    var p = m.getElement();
    if (p) { p.setAttribute("data-village", v.id || v.name); }
    villageLayers[i] = m;
  });
  function villagePopup(v) {
    var rows = [["Soort kern", v.kind], ["Inwoners", BB.intNl(v.inw)], ["Waarvan 65+", BB.intNl(v.inw65)]];
    var h = BB.table(v.name, rows);
    h += "<table class=\"bb-pop bb-norms\"><tr class=\"bb-head-row\"><th>Norm</th><td>reistijd vanaf het midden</td><td>gehaald?</td><td>inwoners binnen de norm</td></tr>";
    D.norms.forEach(function (n) {
      var ok = v.within[n.key], m = v.minutes[n.key], sh = v.share[n.key];
      var verdict = ok === null ? "onbekend" : (ok ? "✓ ja" : "✗ nee");
      h += "<tr" + (n.key === state.norm ? " class=\"bb-chosen\"" : "") + "><th>" + BB.esc(n.label) + "</th><td>" +
        BB.esc(m === null ? "niet bereikbaar" : BB.numNl(m, 1) + " min") + "</td><td>" + BB.esc(verdict) +
        "</td><td>" + BB.esc(sh === null ? "–" : BB.pctNl(sh)) + "</td></tr>";
    });
    h += "</table>";
    h += "<p class=\"bb-note\">" + BB.esc("Normen gemist: " + BB.intNl(v.nfail)) + "</p>";
    h += ovTable(v);
    (hubsAt[v.name] || []).forEach(function (hub) {
      h += "<p class=\"bb-note\">" + BB.esc("Voorgestelde hub " + hub.mark + BB.intNl(hub.rank) + " (" + hub.method_nl + ")") + "</p>";
    });
    return h;
  }
  function ovTable(v) {
    var rows = OV ? OV.villages[v.id] : null;
    if (!rows || !rows.length) { return ""; }
    var min = function (x) { return x === null ? "–" : BB.numNl(x, 1); };
    var h = "<table class=\"bb-pop bb-ov\"><caption>" + BB.esc("Met het ov, " + OV.window_label + " (minuten, deur tot deur)") +
      "</caption><tr class=\"bb-head-row\"><th>Naar</th><td>p5</td><td>p50</td><td>p95</td><td>lopen</td></tr>";
    rows.forEach(function (r) {
      h += "<tr data-service=\"" + BB.esc(r.service) + "\"><th>" + BB.esc(r.service_nl) + "</th>" + (r.no_trip
        ? "<td colspan=\"3\" class=\"bb-no-trip\">" + BB.esc("geen ov-rit in dit tijdvak") + "</td>"
        : "<td>" + BB.esc(min(r.p05)) + "</td><td>" + BB.esc(min(r.p50)) + "</td><td>" + BB.esc(min(r.p95)) + "</td>") +
        "<td>" + BB.esc(min(r.walk)) + "</td></tr>";
    });
    return h + "</table><p class=\"bb-note\">" + BB.esc("p5: als je goed plant; p50: als je zomaar vertrekt; p95: bijna altijd.") + "</p>";
  }
  function colorOf(v) {
    if (state.norm === "failed") {
      return v.nfail === null ? UNKNOWN : FAILED_COUNT[Math.min(4, v.nfail)];
    }
    var ok = v.within[state.norm];
    return ok === null || ok === undefined ? UNKNOWN : (ok ? MET : FAILED);
  }
  function paint() {
    D.villages.forEach(function (v, i) {
      var m = villageLayers[i], p = m.getElement(), ok = v.within[state.norm];
      var cls = state.norm === "failed" ? "bb-nfail-" + Math.min(4, v.nfail || 0)
        : (ok === null || ok === undefined ? "bb-unknown" : (ok ? "bb-met" : "bb-failed"));
      m.setStyle({fillColor: colorOf(v), weight: cls === "bb-failed" ? 3 : 1.5});
      if (p) {
        p.classList.remove("bb-met", "bb-failed", "bb-unknown", "bb-nfail-0", "bb-nfail-1", "bb-nfail-2", "bb-nfail-3", "bb-nfail-4");
        p.classList.add(cls);
      }
    });
    legBox.textContent = "";
    if (state.norm === "failed") {
      BB.legend(legBox, FAILED_COUNT.map(function (c, i) {
        return ["bb-dot", c, i === 4 ? "4 of meer normen gemist" : (i === 1 ? "1 norm gemist" : i + " normen gemist")];
      }));
    } else {
      var n = D.norms.filter(function (x) { return x.key === state.norm; })[0];
      BB.legend(legBox, [["bb-dot", MET, "haalt de norm: " + n.label], ["bb-dot bb-thick", FAILED, "haalt de norm niet (dikke rand)"],
                         ["bb-dot", UNKNOWN, "onbekend"]]);
      var met = D.villages.filter(function (v) { return v.within[n.key] === true; }).length;
      legBox.appendChild(BB.el("p", "bb-note", met + " van de " + D.villages.length + " dorpen halen deze norm" +
        (n.source ? " (bron norm: " + n.source + ")" : "") + "."));
    }
  }

  // ---- panel
  var pick = BB.section(panel, "Kleur van de dorpen", "bb-picker");
  var sel = BB.el("select", "bb-noprint");
  sel.id = "bb-norm";
  sel.setAttribute("aria-label", "Norm");
  D.norms.forEach(function (n) { var o = BB.el("option", null, n.label); o.value = n.key; sel.appendChild(o); });
  var o = BB.el("option", null, "Aantal gemiste normen (overzicht)"); o.value = "failed"; sel.appendChild(o);
  sel.value = state.norm;
  sel.addEventListener("change", function () { state.norm = sel.value; paint(); });
  pick.appendChild(sel);
  var legBox = BB.el("div");
  pick.appendChild(legBox);
  pick.appendChild(BB.el("p", "bb-note", "De reistijd telt vanaf het midden van het dorp. Cirkelgrootte: aantal inwoners. Klik op een dorp voor alle normen."));
  var hubSec = BB.section(panel, "Voorgestelde dorpshubs");
  var hubItems = [];
  Object.keys(methods).forEach(function (k) {
    var m = methods[k];
    hubItems.push([(HUB_STYLE[k] || HUB_STYLE["max-coverage"]).sw, null, m.mark + "1, " + m.mark + "2 …: " + m.label]);
  });
  if (hubItems.length) { BB.legend(hubSec, hubItems); }
  hubSec.appendChild(BB.el("p", "bb-note", "Lijnen: de dorpen die een hub bedient. Doorgetrokken = kortste gemiddelde reistijd, gestreept = meeste inwoners binnen bereik" +
    (methods["ov-reach"] ? ", gestippeld = meeste inwoners met fiets en ov bij " + (D.ov_hub_services || []).join(", ") : "") + "."));
  if (D.what_if) {
    hubSec.appendChild(BB.el("p", "bb-note", "Vraagteken: wat als er een hub komt in " + D.what_if.village +
      "? " + BB.intNl(D.what_if.gain) + " inwoners komen er binnen de hubnorm bij."));
  }
  var svc = BB.section(panel, "Voorzieningen");
  BB.legend(svc, Object.keys(kinds).sort().map(function (k) { return ["bb-sw-svc", null, kinds[k].mark + " = " + kinds[k].label]; }));
  if (OV) {
    var ovSec = BB.section(panel, "Openbaar vervoer");
    BB.legend(ovSec, [["bb-sw-stop", null, "ov-halte; hoe groter, hoe meer vertrekken per uur (" + OV.norm_window_label + ")"]]);
  }
  BB.notes(panel, D);
  paint();
  document.documentElement.setAttribute("data-bb-ready", "1");
})();
